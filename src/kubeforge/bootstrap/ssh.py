"""SSH transport: asyncssh connections with pinned host keys and ProxyJump.

Host keys are trusted on first contact and written to `<state>/known_hosts` (OpenSSH
format, so `ssh -o UserKnownHostsFile=...` reads it too). After that a different key is
an error, never a prompt or a silent re-pin.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from kubeforge import errors

# Opens an already-connected TCP socket to (address, port): lets the lab and tests reach
# machines inside network namespaces the controller is not in.
SocketFactory = Callable[[str, int], socket.socket]

KEY_NAME = "id_ed25519"
# A machine that just booted may still wait for its DHCP lease or its sshd: keep trying
# this long before calling it unreachable.
REACH_WAIT = 90.0
RUN_TIMEOUT = 3600.0  # package installs on slow mirrors can take long; hangs should not


@dataclass(frozen=True)
class Target:
    """How to reach one host. `jump` names another target used as ProxyJump."""

    name: str
    address: str
    port: int = 22
    user: str = "root"
    jump: str | None = None
    root: str = ""  # agent path prefix: tests run several "hosts" on one filesystem
    python: str = "python3"
    sudo: bool = False


@dataclass(frozen=True)
class Completed:
    exit_status: int
    stdout: bytes
    stderr: bytes


def ensure_key(state_dir: Path) -> Path:
    """The controller's SSH key, made once (0600) in the state directory."""
    path = state_dir / "ssh" / KEY_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="kubeforge")
        key.write_private_key(str(path))
        key.write_public_key(str(path) + ".pub")
        path.chmod(0o600)
    return path


class KnownHosts:
    """Pinned host keys in OpenSSH known_hosts format (hashed entries are understood too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    @staticmethod
    def pattern(target: Target) -> str:
        """How OpenSSH names the host: plain address on port 22, `[address]:port` otherwise."""
        return target.address if target.port == 22 else f"[{target.address}]:{target.port}"

    def pinned(self, target: Target) -> list[asyncssh.SSHKey]:
        if not self.path.exists():
            return []
        known = asyncssh.read_known_hosts(str(self.path))
        return list(known.match(target.address, target.address, target.port)[0])

    async def pin(self, target: Target, key: asyncssh.SSHKey) -> None:
        async with self._lock:
            if self.pinned(target):
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = key.export_public_key("openssh").decode().split()
            with self.path.open("a") as handle:
                handle.write(f"{self.pattern(target)} {data[0]} {data[1]} {target.name}\n")


class Connector:
    """Opens and caches one connection per target; jumps go through the jump's connection."""

    def __init__(self, state_dir: Path, targets: dict[str, Target],
                 key_path: Path | None = None, sock_factory: SocketFactory | None = None,
                 connect_timeout: float = 15.0, known_hosts: Path | None = None,
                 reach_wait: float = REACH_WAIT) -> None:
        self.targets = targets
        self.known = KnownHosts(known_hosts or state_dir / "known_hosts")
        self.key_path = key_path or ensure_key(state_dir)
        self.sock_factory = sock_factory
        self.timeout = connect_timeout
        self.reach_wait = reach_wait
        self.retries: list[str] = []  # why a connection had to be retried (for the logs)
        self._conns: dict[str, asyncio.Task[asyncssh.SSHClientConnection]] = {}

    async def connection(self, name: str) -> asyncssh.SSHClientConnection:
        # One task per host: concurrent callers share a single handshake.
        if name not in self._conns:
            self._conns[name] = asyncio.ensure_future(self._open(self.targets[name]))
        task = self._conns[name]
        try:
            return await task
        except BaseException:
            self._conns.pop(name, None)
            raise

    async def _open(self, target: Target) -> asyncssh.SSHClientConnection:
        pinned = self.known.pinned(target)
        options = asyncssh.SSHClientConnectionOptions(
            username=target.user, client_keys=[str(self.key_path)], agent_path=None,
            known_hosts=(pinned, [], []) if pinned else None, connect_timeout=self.timeout,
            keepalive_interval=15)
        try:
            conn = await self._dial_patiently(target, options)
        except asyncssh.HostKeyNotVerifiable as exc:
            raise errors.ApplyError(
                f"{target.name}: the SSH host key of {target.address}:{target.port} is not the "
                f"one pinned in {self.known.path}. If the machine was re-created on purpose, "
                f"delete its line ({self.known.pattern(target)}) and re-run; otherwise "
                f"something else answers at that address.") from exc
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            via = f" via {target.jump}" if target.jump else ""
            raise errors.ApplyError(
                f"{target.name}: cannot SSH to {target.user}@{target.address}:{target.port}"
                f"{via}: {exc}. Check that the machine is up and that the kubeforge key "
                f"({self.key_path}.pub) is authorised.") from exc
        server_key = conn.get_server_host_key()
        if not pinned and server_key is not None:
            await self.known.pin(target, server_key)
        return conn

    async def _dial_patiently(self, target: Target, options: asyncssh.SSHClientConnectionOptions
                              ) -> asyncssh.SSHClientConnection:
        """Retry while nothing answers (booting, no lease yet); fail fast on anything else."""
        deadline = asyncio.get_running_loop().time() + self.reach_wait
        delay = 0.5
        while True:
            try:
                return await self._dial(target, options)
            except (TimeoutError, OSError, asyncssh.ChannelOpenError) as exc:
                if asyncio.get_running_loop().time() + delay > deadline:
                    raise
                self.retries.append(f"{target.name}: {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _dial(self, target: Target,
                    options: asyncssh.SSHClientConnectionOptions) -> asyncssh.SSHClientConnection:
        if target.jump:
            tunnel = await self.connection(target.jump)
            return await tunnel.connect_ssh(target.address, target.port, options=options)
        if self.sock_factory is not None:
            sock = await asyncio.to_thread(self.sock_factory, target.address, target.port)
            return await asyncssh.connect(sock=sock, options=options)
        return await asyncssh.connect(target.address, target.port, options=options)

    async def run(self, name: str, command: str, stdin: bytes) -> Completed:
        conn = await self.connection(name)
        result = await asyncio.wait_for(
            conn.run(command, input=stdin, encoding=None, check=False), RUN_TIMEOUT)
        status = result.exit_status if result.exit_status is not None else 255
        return Completed(status, as_bytes(result.stdout), as_bytes(result.stderr))

    async def close(self) -> None:
        for task in self._conns.values():
            if task.done() and not task.cancelled() and task.exception() is None:
                task.result().close()
        for task in list(self._conns.values()):
            if task.done() and task.exception() is None:
                await task.result().wait_closed()
        self._conns.clear()


def as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    return data.encode() if isinstance(data, str) else data

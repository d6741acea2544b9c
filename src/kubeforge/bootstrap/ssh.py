"""SSH transport: asyncssh connections with pinned host keys and ProxyJump.

Host keys are trusted on first contact and written to `<state>/known_hosts` (OpenSSH
format, so `ssh -o UserKnownHostsFile=...` reads it too). After that a different key is
an error, never a prompt or a silent re-pin.

Machines that are still booting are waited for: what a booting machine answers (connection
refused, no route yet, a connection lost mid-handshake, "System is booting up" from
pam_nologin, the jump host unable to reach it yet, a connect timeout) is retried with backoff
until a per-host deadline, saying which host it waits for and why. What waiting cannot fix
(the key refused, a host key that changed) fails at once.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from kubeforge import errors
from kubeforge.render import private

# Opens an already-connected TCP socket to (address, port): lets the lab and tests reach
# machines inside network namespaces the controller is not in.
SocketFactory = Callable[[str, int], socket.socket]

KEY_NAME = "id_ed25519"
# A machine that just booted may still wait for its DHCP lease, its sshd or the end of its
# boot: keep trying this long (per host; `apply --wait-for-hosts`) before calling it unreachable.
REACH_WAIT = 120.0
# Told which host is waited for and why: (host, reason, seconds left before giving up).
WaitNotice = Callable[[str, str, float], None]
RUN_TIMEOUT = 3600.0  # package installs on slow mirrors can take long; hangs should not
# AES-GCM first: asyncssh encrypts each packet in Python, and its ChaCha20-Poly1305 (OpenSSH's
# first choice) costs ~7x more CPU per packet; through a jump host every byte is encrypted
# twice in this process. The rest of asyncssh's defaults follow, for servers without GCM.
CIPHERS = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
           "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"]


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
        # The file parsed once per version of it: the runner asks for every host's key in
        # every phase, and parsing all N lines N times a phase grew with the square of N.
        self._parsed: tuple[tuple[int, int, int], asyncssh.SSHKnownHosts] | None = None
        # Each host's keys, found once per version: matching walks every entry (an HMAC per
        # hashed one, as OpenSSH writes them), so asking each of N hosts cost N matches.
        self._keys: dict[tuple[str, int], list[asyncssh.SSHKey]] = {}

    @staticmethod
    def pattern(target: Target) -> str:
        """How OpenSSH names the host: plain address on port 22, `[address]:port` otherwise."""
        return target.address if target.port == 22 else f"[{target.address}]:{target.port}"

    def pinned(self, target: Target) -> list[asyncssh.SSHKey]:
        known = self._known()
        if known is None:
            return []
        where = (target.address, target.port)
        if where not in self._keys:
            self._keys[where] = list(known.match(target.address, target.address,
                                                 target.port)[0])
        return list(self._keys[where])

    def _known(self) -> asyncssh.SSHKnownHosts | None:
        """The parsed file, read again only when it changed (a pin, or a person's edit)."""
        if not private.check(self.path, secret=False):  # absent; a planted link: refused
            return None
        info = self.path.stat()
        version = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._parsed is None or self._parsed[0] != version:
            self._parsed = (version, asyncssh.read_known_hosts(str(self.path)))
            self._keys = {}
        return self._parsed[1]

    async def pin(self, target: Target, key: asyncssh.SSHKey) -> None:
        async with self._lock:
            if self.pinned(target):
                return
            private.ensure_dir(self.path.parent)
            data = key.export_public_key("openssh").decode().split()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW,
                         private.FILE_MODE)
            with os.fdopen(fd, "a") as handle:
                handle.write(f"{self.pattern(target)} {data[0]} {data[1]} {target.name}\n")


# A connection dropped without a more specific reason (not PermissionDenied & co.).
LOST = (asyncssh.ConnectionLost, asyncssh.DisconnectError)


class Banners(asyncssh.SSHClient):
    """Keeps the banners a server sends during login: sshd sends pam_nologin's "System is
    booting up" as one, right before it drops the connection."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def auth_banner_received(self, msg: str, lang: str) -> None:
        self.seen.append(msg.strip())


def still_booting(exc: BaseException, banners: list[str], jump: str | None = None) -> str | None:
    """Why `exc` (from a connect) looks like a machine that is not up yet, for a person; None
    when waiting cannot help: the key refused, the host key changed, anything unknown."""
    booting = [b for b in banners if "booting up" in b or "nologin" in b]
    if booting:
        return f"logins refused while it boots: {booting[-1].splitlines()[0]}"
    if isinstance(exc, asyncssh.ChannelOpenError):
        return f"{jump or 'the jump host'} cannot reach it yet: {exc.reason or exc}"
    if isinstance(exc, asyncssh.DisconnectError) and type(exc) in LOST:
        return f"connection lost during the SSH handshake ({exc.reason or exc})"
    if isinstance(exc, asyncssh.Error):
        return None  # PermissionDenied, HostKeyNotVerifiable, key exchange failures...
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (sshd is not listening yet)"
    if isinstance(exc, TimeoutError):
        return "no answer within the connect timeout"
    if isinstance(exc, OSError):
        return f"not reachable yet ({exc.strerror or exc})"
    return None


class Connector:
    """Opens and caches one connection per target; jumps go through the jump's connection."""

    def __init__(self, state_dir: Path, targets: dict[str, Target],
                 key_path: Path | None = None, sock_factory: SocketFactory | None = None,
                 connect_timeout: float = 15.0, known_hosts: Path | None = None,
                 reach_wait: float = REACH_WAIT, on_wait: WaitNotice | None = None) -> None:
        self.targets = targets
        self.known = KnownHosts(known_hosts or state_dir / "known_hosts")
        self.key_path = key_path or ensure_key(state_dir)
        self.sock_factory = sock_factory
        self.timeout = connect_timeout
        self.reach_wait = reach_wait
        self.on_wait = on_wait
        self.retries: list[str] = []  # why a connection had to be retried (for the logs)
        self._conns: dict[str, asyncio.Task[asyncssh.SSHClientConnection]] = {}

    async def connection(self, name: str) -> asyncssh.SSHClientConnection:
        # One task per host: concurrent callers share a single handshake.
        if name in self._conns and _closed(self._conns[name]):
            del self._conns[name]  # lost (the machine rebooted, the jump dropped): dial again
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
            keepalive_interval=15, encryption_algs=CIPHERS)
        try:
            conn = await self._dial_patiently(target, options)
        except asyncssh.HostKeyNotVerifiable as exc:
            raise errors.ApplyError(
                f"{target.name}: the SSH host key of {target.address}:{target.port} is not the "
                f"one pinned in {self.known.path}. If the machine was re-created on purpose, "
                f"delete its line ({self.known.pattern(target)}) and re-run; otherwise "
                f"something else answers at that address.") from exc
        except asyncssh.PermissionDenied as exc:
            raise errors.ApplyError(
                f"{target.name}: {target.user}@{target.address}:{target.port} refused the "
                f"kubeforge key ({exc.reason or exc}): authorise {self.key_path}.pub for "
                f"{target.user} there (the cloud-init seed does), or pass --user.") from exc
        except Unreachable as exc:
            raise errors.ApplyError(
                f"{target.name}: cannot SSH to {target.user}@{target.address}:{target.port}"
                f"{_via(target)}: {exc}. Check that the machine is up (its console), or "
                "wait longer with `kubeforge apply --wait-for-hosts SECONDS`.") from exc
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            raise errors.ApplyError(
                f"{target.name}: cannot SSH to {target.user}@{target.address}:{target.port}"
                f"{_via(target)}: {type(exc).__name__}: {exc}. Check the machine's sshd "
                f"and that the kubeforge key ({self.key_path}.pub) is authorised.") from exc
        server_key = conn.get_server_host_key()
        if not pinned and server_key is not None:
            await self.known.pin(target, server_key)
        return conn

    async def _dial_patiently(self, target: Target, options: asyncssh.SSHClientConnectionOptions
                              ) -> asyncssh.SSHClientConnection:
        """Retry, with backoff, what a booting machine answers, until `reach_wait` seconds
        have passed; fail at once on anything waiting cannot fix (`still_booting`)."""
        clock = asyncio.get_running_loop().time
        deadline = clock() + self.reach_wait
        delay, said = 0.5, ""
        while True:
            banners = Banners()
            try:
                # The jump's own errors are its own (it waited for itself): not caught here.
                tunnel = await self.connection(target.jump) if target.jump else None
                return await self._dial(target, options, banners, tunnel)
            except (TimeoutError, OSError, asyncssh.Error) as exc:
                reason = still_booting(exc, banners.seen, target.jump)
                if reason is None:
                    raise
                left = deadline - clock()
                if left < delay:
                    raise Unreachable(f"still not ready after {self.reach_wait:.0f} s: "
                                      f"{reason}") from exc
                self.retries.append(f"{target.name}: {reason}")
                if self.on_wait is not None and reason != said:
                    self.on_wait(target.name, reason, left)
                said = reason
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _dial(self, target: Target, options: asyncssh.SSHClientConnectionOptions,
                    banners: Banners, tunnel: asyncssh.SSHClientConnection | None
                    ) -> asyncssh.SSHClientConnection:
        def client() -> Banners:
            return banners

        if tunnel is not None:
            return await tunnel.connect_ssh(target.address, target.port, options=options,
                                            client_factory=client)
        if self.sock_factory is not None:
            sock = await asyncio.to_thread(self.sock_factory, target.address, target.port)
            return await asyncssh.connect(sock=sock, options=options, client_factory=client)
        return await asyncssh.connect(target.address, target.port, options=options,
                                      client_factory=client)

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


class Unreachable(Exception):
    """A machine that kept answering like a booting one until its deadline."""


def _via(target: Target) -> str:
    return f" via {target.jump}" if target.jump else ""


def _closed(task: asyncio.Task[asyncssh.SSHClientConnection]) -> bool:
    return (task.done() and not task.cancelled() and task.exception() is None
            and task.result().is_closed())


def as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    return data.encode() if isinstance(data, str) else data

"""Engine-only fixture hosts: sshd servers in their own network namespaces.

Layout (every object named `kft-<tag>-*`, nothing in the root namespace):
  kft-<tag>-sw   holds bridge `kftbr`; one veth per host/client is enslaved to it
  kft-<tag>-cl   the controller's side (10.213.0.2): ansible/pyinfra run in it
  kft-<tag>-hN   one sshd each (10.213.0.(10+N)), with its own host key and config
Every host shares the filesystem, so each gets a private root dir for the agent's files.
Teardown kills the sshds by PID and deletes exactly these namespaces.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from kubeforge import netns_socket
from kubeforge.bootstrap import ssh

SUBNET = "10.213.0"
SSHD = "/usr/sbin/sshd"

SSHD_CONFIG = """Port 22
ListenAddress 0.0.0.0
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 200:30:400
MaxSessions 200
Subsystem sftp internal-sftp
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@dataclass
class SshNet:
    base: Path
    count: int
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    made: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def switch(self) -> str:
        return f"kft-{self.tag}-sw"

    @property
    def client(self) -> str:
        return f"kft-{self.tag}-cl"

    def host_ns(self, i: int) -> str:
        return f"kft-{self.tag}-h{i}"

    def address(self, i: int) -> str:
        return f"{SUBNET}.{10 + i}"

    def up(self, key_path: Path) -> list[ssh.Target]:
        self._netns(self.switch)
        ip("-n", self.switch, "link", "add", "kftbr", "type", "bridge")
        ip("-n", self.switch, "link", "set", "kftbr", "up")
        self._attach(self.client, "vcl", f"{SUBNET}.2")
        pub = Path(str(key_path) + ".pub").read_text()
        targets = [self._host(i, pub) for i in range(1, self.count + 1)]
        for i in range(1, self.count + 1):
            self._wait_port(self.address(i))
        return targets

    def _netns(self, name: str) -> None:
        ip("netns", "add", name)
        self.made.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def _attach(self, ns: str, port: str, address: str) -> None:
        self._netns(ns)
        # The veth is created inside the switch namespace, its peer moved straight into `ns`.
        ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0",
           "netns", ns)
        ip("-n", self.switch, "link", "set", port, "master", "kftbr", "up")
        ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")

    def _host(self, i: int, pubkey: str) -> ssh.Target:
        ns, address = self.host_ns(i), self.address(i)
        self._attach(ns, f"vh{i}", address)
        hdir = self.base / f"h{i}"
        (hdir / "root").mkdir(parents=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(hdir / "ssh_host_ed25519_key")], check=True)
        (hdir / "authorized_keys").write_text(pubkey)
        (hdir / "sshd_config").write_text(SSHD_CONFIG.format(address=address, dir=hdir))
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation directory
        self._start_sshd(i)
        return ssh.Target(name=f"h{i}", address=address, root=str(hdir / "root"),
                          python="/usr/bin/python3")

    def _start_sshd(self, i: int) -> None:
        """sshd in host i's namespace, and in a private mount namespace where root's
        ~/.bashrc is empty: this machine's one runs `pyenv init` (~0.3 s per exec), which a
        Debian host does not; every tool in the benchmark pays the same either way."""
        hdir = self.base / f"h{i}"
        empty = self.base / "empty-bashrc"
        empty.touch()
        script = (f"mount --bind {empty} /root/.bashrc 2>/dev/null; "
                  f"exec {SSHD} -D -e -f {hdir / 'sshd_config'}")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.host_ns(i), "unshare", "--mount",
             "--propagation", "private", "sh", "-c", script],
            stdout=subprocess.DEVNULL, stderr=(hdir / "sshd.log").open("ab"))
        if len(self.procs) >= i:
            self.procs[i - 1] = proc
        else:
            self.procs.append(proc)

    def _wait_port(self, address: str) -> None:
        for _ in range(100):
            if netns_socket.port_open(self.client, address, 22):
                return
            time.sleep(0.05)
        raise RuntimeError(f"sshd on {address} did not start (see {self.base}/h*/sshd.log)")

    def private_link(self, i: int, j: int) -> tuple[str, str]:
        """A cable between hosts i and j only (10.214.0.0/30): j is then reachable from
        the client only by jumping through i. Returns (address on i, address on j)."""
        a, b = "10.214.0.1", "10.214.0.2"
        ip("-n", self.host_ns(i), "link", "add", "plink", "type", "veth", "peer", "name",
           "plink", "netns", self.host_ns(j))
        for ns, address in ((self.host_ns(i), a), (self.host_ns(j), b)):
            ip("-n", ns, "addr", "add", f"{address}/30", "dev", "plink")
            ip("-n", ns, "link", "set", "plink", "up")
        return a, b

    def restart_with_new_host_key(self, i: int) -> None:
        """Simulate a re-created machine (or an impostor) at the same address."""
        proc = self.procs[i - 1]
        proc.terminate()
        proc.wait()
        key = self.base / f"h{i}" / "ssh_host_ed25519_key"
        key.unlink()
        Path(str(key) + ".pub").unlink()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                       check=True)
        self._start_sshd(i)
        self._wait_port(self.address(i))

    def socket_factory(self) -> ssh.SocketFactory:
        client = self.client
        return lambda address, port: netns_socket.connect(client, address, port, timeout=10.0)

    def down(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
        self.made.clear()


def available() -> bool:
    """Root, iproute2 and sshd: what the fixture needs."""
    return os.geteuid() == 0 and Path(SSHD).exists() and hasattr(socket, "AF_INET")

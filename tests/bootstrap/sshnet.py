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

from kubeforge.bootstrap import netns, ssh

SUBNET = "10.213.0"
SSHD = "/usr/sbin/sshd"

SSHD_CONFIG = """Port 22
ListenAddress {address}
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
        self.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", ns, SSHD, "-D", "-e", "-f", str(hdir / "sshd_config")],
            stdout=subprocess.DEVNULL, stderr=(hdir / "sshd.log").open("wb")))
        return ssh.Target(name=f"h{i}", address=address, root=str(hdir / "root"))

    def _wait_port(self, address: str) -> None:
        for _ in range(100):
            try:
                netns.connect_in(self.client, address, 22, timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd on {address} did not start (see {self.base}/h*/sshd.log)")

    def socket_factory(self) -> ssh.SocketFactory:
        return netns.factory(self.client)

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

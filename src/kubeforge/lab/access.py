"""How the operator reaches a lab machine by SSH: the route, documented in docs/lab.md.

  operator (netns kf-operator, 10.0.3.1)
    -> stub internet (kf-internet routes 10.0.3.0/24 <-> 10.0.2.0/24)
    -> gateway uplink wan0 10.0.2.15:22          (the provider front door; firewall allows ssh)
    -> ProxyJump to every other machine at its planned address on its subnet

Tools run SSH from inside kf-operator: OpenSSH via `ip netns exec kf-operator ssh ...`
(`ssh_argv`), or Python (asyncssh) over a socket opened in that namespace (`connect`).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from kubeforge import netns_socket, readiness
from kubeforge.errors import LabError
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.topology import INTERNET_UPLINK_LEASE, OPERATOR_NS
from kubeforge.plan.model import Plan

SSH_PORT = 22


@dataclass(frozen=True)
class Route:
    host: str  # the machine's name
    address: str  # where its sshd is reached (from the jump host, if there is one)
    user: str
    identity: Path  # the operator's private key
    known_hosts: Path  # lab-scoped: machines get new host keys at every `lab up`
    jump: Route | None = None  # the gateway, for every machine but the gateway
    netns: str = OPERATOR_NS  # where SSH connections start
    port: int = SSH_PORT

    def ssh_argv(self, command: list[str] | None = None) -> list[str]:
        """OpenSSH argv, run from the operator namespace, jumping through the gateway
        (`kubeforge.readiness.OpenSSH`: the same argv every provider's readiness uses)."""
        ssh = readiness.OpenSSH(self.identity, self.known_hosts)
        jump = (self.jump.user, self.jump.address, self.jump.port) if self.jump else None
        argv = ssh.argv(self.user, self.address, self.port, command or [], jump)
        return ["ip", "netns", "exec", self.netns, *argv]

    def connect(self, timeout: float = 10.0) -> socket.socket:
        """A TCP socket to the first hop (the gateway's sshd), opened in the operator namespace:
        hand it to asyncssh (`sock=`), then tunnel to `address` for internal machines."""
        first = self.jump or self
        return netns_socket.connect(first.netns, first.address, first.port, timeout)


def gateway_address() -> str:
    """The gateway's uplink address, leased by the stub internet's DHCP (VirtualBox NAT style)."""
    return str(INTERNET_UPLINK_LEASE)


def operator_netns(paths: LabPaths | None = None) -> str:
    """Where this lab's SSH connections start (`kf-operator` for the default lab)."""
    return f"{(paths or LabPaths.default()).prefix}-operator"


def route(plan: Plan, host: str, identity: Path, paths: LabPaths | None = None) -> Route:
    paths = paths or LabPaths.default()
    known_hosts = paths.state / "known_hosts"
    user = plan.ssh.user
    netns = operator_netns(paths)
    gateway = Route(plan.gateway.name, gateway_address(), user, identity, known_hosts, None, netns)
    if host == plan.gateway.name:
        return gateway
    if host not in {m.name for m in plan.machines}:
        known = ", ".join(m.name for m in plan.machines)
        raise LabError(f"no machine named {host!r} in the plan; it has: {known}")
    return Route(host, str(plan.machine(host).address), user, identity, known_hosts, gateway,
                 netns)


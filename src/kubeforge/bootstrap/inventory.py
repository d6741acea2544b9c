"""How to reach the machines: SSH targets, how to open the first socket, whose known_hosts.

The gateway is the front door and every other machine is reached by ProxyJump through it
(plan.ssh), or all directly when the operator sits inside the cluster network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubeforge.bootstrap.ssh import SocketFactory, Target
from kubeforge.plan.model import Plan


@dataclass(frozen=True)
class Reach:
    targets: dict[str, Target]
    sock_factory: SocketFactory | None = None  # None: ordinary TCP from this process
    known_hosts: Path | None = None  # None: <state>/known_hosts
    kubernetes_binaries: bool = True  # False on the lab: Kubernetes phases only dry-run


def via_gateway(plan: Plan, gateway_address: str, port: int = 22,
                user: str | None = None) -> Reach:
    login = user or plan.ssh.user
    sudo = login != "root"
    jump = plan.ssh.jump_host
    targets = {jump: Target(jump, gateway_address, port, login, sudo=sudo)}
    for machine in plan.machines:
        if machine.name != jump:
            targets[machine.name] = Target(machine.name, str(machine.address), 22, login,
                                           jump=jump, sudo=sudo)
    return Reach(targets)


def direct(plan: Plan, user: str | None = None) -> Reach:
    login = user or plan.ssh.user
    return Reach({m.name: Target(m.name, str(m.address), 22, login, sudo=login != "root")
                  for m in plan.machines})

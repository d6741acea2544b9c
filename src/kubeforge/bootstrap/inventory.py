"""How to reach the machines: SSH targets, how to open the first socket, whose known_hosts.

The gateway is the front door and every other machine is reached by ProxyJump through it
(plan.ssh), or all directly when the operator sits inside the cluster network. Normally the
route is what the provider recorded at `kubeforge up` (`recorded`: the handoff file); the
flags --gateway and --direct build one instead (`via_gateway`, `direct`).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from kubeforge import errors, netns_socket
from kubeforge.bootstrap.ssh import SocketFactory, Target
from kubeforge.plan.model import Plan
from kubeforge.provision import handoff as handoff_mod
from kubeforge.provision.base import Endpoint


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


def recorded(plan: Plan, state_dir: Path, user: str | None = None) -> Reach:
    """The route `kubeforge up` recorded for this cluster: what every command reads."""
    found = handoff_mod.load(state_dir)
    if found is None:
        raise errors.ApplyError(
            f"no machine endpoints recorded in {handoff_mod.path(state_dir)}: run `kubeforge up "
            "--provider ...` first, or say how to reach the machines: --gateway ADDRESS[:PORT] "
            "(the gateway's SSH front door), --direct, or --lab")
    return from_handoff(plan, found, user)


def from_handoff(plan: Plan, handoff: handoff_mod.Handoff, user: str | None = None) -> Reach:
    """Targets for the plan's machines from the provider's endpoints; `user` overrides its."""
    missing = [m.name for m in plan.machines if m.name not in handoff.endpoints]
    if missing:
        raise errors.ApplyError(
            f"no recorded endpoint for {', '.join(missing)} (the {handoff.provider} provider "
            "made fewer machines than the spec has now): run `kubeforge up` again")
    endpoints = [handoff.endpoints[m.name] for m in plan.machines]
    targets = {e.name: _target(e, user) for e in endpoints}
    return Reach(targets, _sockets(endpoints), _known_hosts(endpoints),
                 kubernetes_binaries=handoff.kubernetes_binaries)


def _target(endpoint: Endpoint, user: str | None) -> Target:
    login = user or endpoint.user
    return Target(endpoint.name, endpoint.host, endpoint.port, login, jump=endpoint.jump,
                  sudo=login != "root")


def _sockets(endpoints: list[Endpoint]) -> SocketFactory | None:
    """Dial each first hop from the namespace its endpoint names (None: none names one)."""
    where = {(e.host, e.port): e.netns for e in endpoints if e.jump is None and e.netns}
    if not where:
        return None

    def open_socket(address: str, port: int) -> socket.socket:
        return netns_socket.connect(where.get((address, port)), address, port)

    return open_socket


def _known_hosts(endpoints: list[Endpoint]) -> Path | None:
    files = {e.known_hosts for e in endpoints}
    if len(files) > 1:
        raise errors.StateError(f"the recorded endpoints name {len(files)} known_hosts files; "
                                "run `kubeforge up` again to record one")
    only = next(iter(files), None)
    return Path(only) if only else None

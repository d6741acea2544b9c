"""Reach the lab's machines: from the operator namespace, through the gateway's uplink.

The route comes from `kubeforge.lab.access` (docs/lab.md); host keys are pinned in the
lab's own known_hosts, because every `lab up` makes machines with new host keys. Lab
machines have no kubeadm/kubelet, so the Kubernetes phases only dry-run there.
"""

from __future__ import annotations

import socket

from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.ssh import Target
from kubeforge.lab import access, nsnet, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.workspace import Workspace


def plan(ws: Workspace) -> Plan:
    """The plan the lab was brought up from (its machines have every package preinstalled)."""
    return seeds.lab_plan(ws.operator_spec())


def reach(ws: Workspace, plan: Plan, paths: LabPaths | None = None) -> Reach:
    routes = [access.route(plan, m.name, ws.ssh_key_path, paths) for m in plan.machines]
    targets = {r.host: Target(r.host, r.address, r.port, r.user,
                              jump=r.jump.host if r.jump else None, sudo=r.user != "root")
               for r in routes}
    netns = routes[0].netns  # this lab's operator namespace (labs differ by prefix)

    def open_socket(address: str, port: int) -> socket.socket:
        return nsnet.connect(netns, address, port)

    return Reach(targets, open_socket, routes[0].known_hosts, kubernetes_binaries=False)

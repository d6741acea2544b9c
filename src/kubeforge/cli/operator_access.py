"""What `kubeforge kubeconfig` and `kubeforge dashboard` share: the first control plane, and
the OpenSSH command that forwards a local port to the API VIP through the gateway."""

from __future__ import annotations

import shlex
from pathlib import Path

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.phases.kube import first_control_plane
from kubeforge.errors import ApplyError
from kubeforge.provision import handoff
from kubeforge.verify import kubeconfig as kc
from kubeforge.workspace import Workspace

KUBECONFIG_FILE = "kubeconfig"  # in the state directory, unless -o says otherwise


def first_master(ctx: Context) -> str:
    found = first_control_plane(ctx)
    if not found:
        raise ApplyError("the spec has no control-plane machine: there is no cluster to reach")
    return found[0]


def forward_command(ws: Workspace, ctx: Context, reach: Reach, local_port: int) -> str:
    gateway = reach.targets[ctx.plan.ssh.jump_host or ctx.plan.gateway.name]
    recorded = handoff.load(ws.state_dir)
    endpoint = recorded.endpoints.get(gateway.name) if recorded else None
    netns = endpoint.netns if endpoint else None
    known = reach.known_hosts or ws.state_dir / "known_hosts"
    argv = kc.forward_argv(gateway, ws.ssh_key_path, known, netns, local_port,
                           str(ctx.plan.network.api_vip))
    return shlex.join(argv)


def default_kubeconfig(ws: Workspace) -> Path:
    return ws.state_dir / KUBECONFIG_FILE

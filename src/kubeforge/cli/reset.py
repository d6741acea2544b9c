"""`kubeforge reset`: Kubernetes off the machines, the machines kept (`destroy` removes them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.phases import reset as resetting
from kubeforge.bootstrap.state import ApplyState
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption

# Phases whose records go with a reset, so the next apply runs them again.
UNDONE = tuple(p.name for p in all_phases() if p.needs_kubernetes) + (
    "etcd-standin", "etcd-standin-join")


def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Really remove Kubernetes (and every "
                                      "workload and etcd's data) from the machines.")] = False,
    spec: SpecOption = None, state: StateOption = None,
    dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """Remove Kubernetes from the control planes and workers and keep the machines: the
    inverse of apply's Kubernetes phases. Gateway, load balancers and storage stay."""
    if not (yes or dry_run):
        console.error("reset deletes the cluster's state (etcd, workloads): pass --yes, or "
                      "--dry-run to see the steps")
        raise typer.Exit(console.EXIT_INVALID)
    ws = reaching.workspace(spec, state)
    ctx, reach = reaching.connect(ws, reaching.Route(gateway, direct, user, lab))
    reaching.run_listed(ctx, reach, ws.state_dir, resetting.phases(ctx), dry_run)
    if not dry_run:
        forget(ws.state_dir)
        console.out.print("Kubernetes removed; `kubeforge apply` builds it again")


def forget(state_dir: Path) -> None:
    state = ApplyState.load(state_dir)
    for phase in UNDONE:
        for host in list(state.phases.get(phase, {})):
            state.forget(phase, host)

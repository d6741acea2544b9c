"""`kubeforge upgrade --to 1.N`: one Kubernetes minor, control planes first, workers in
batches; refused with the reason when the version-skew rules say no."""

from __future__ import annotations

from typing import Annotated

import typer

from kubeforge.bootstrap import upgrade as upgrading
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption

REFUSED = 3


def upgrade(
    to: Annotated[str, typer.Option("--to", help="The next Kubernetes minor, e.g. 1.37.")],
    parallel: Annotated[int, typer.Option(
        "--parallel", min=1, help="Workers drained and upgraded at once.")] = 1,
    spec: SpecOption = None, state: StateOption = None,
    dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """Upgrade the cluster from the spec's kubernetes_version to the next minor (kubeadm's
    procedure). Re-run the same command to resume an interrupted upgrade; afterwards set
    kubernetes_version to the new minor in the spec."""
    ws = reaching.workspace(spec, state)
    problems = upgrading.skew_problems(ws.spec, to)
    if problems:
        for problem in problems:
            console.error(f"refused: {problem}")
        raise typer.Exit(REFUSED)
    ctx, reach = reaching.connect(ws, reaching.Route(gateway, direct, user, lab))
    target = upgrading.target_context(ctx, to)
    reaching.run_listed(target, reach, ws.state_dir, upgrading.phases(target, to, parallel),
                        dry_run)
    if not dry_run:
        console.out.print(f"now set kubernetes_version: \"{to}\" in the spec (kubeforge does "
                          "not edit your file), so apply keeps the nodes on the new minor")

"""`kubeforge add` and `kubeforge remove`: control planes and workers, to the spec's counts."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from kubeforge.bootstrap import membership, nodes
from kubeforge.bootstrap.operation import Operation
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.lab import lifecycle, seeds
from kubeforge.plan.model import Machine
from kubeforge.provision import handoff
from kubeforge.workspace import Workspace

ForceOption = Annotated[bool, typer.Option(
    "--force", help="Allow an even number of control planes (etcd gains no fault tolerance).")]
LAB_STAYS = ("the lab cannot remove a single machine: {names} stay(s) running, outside the "
             "cluster, until `kubeforge lab down`")


def add(
    spec: SpecOption = None, state: StateOption = None, force: ForceOption = False,
    dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """Add the control planes and workers the spec has and the cluster not yet (raise
    hosts.<role>.count in cluster.yaml first). Re-run to resume an interrupted add."""
    ws = reaching.workspace(spec, state)
    change = _change(ws, force)
    if not change.added:
        console.out.print("nothing to add: every control plane and worker of the spec is "
                          "deployed; raise hosts.<role>.count in the spec first")
        return
    route = reaching.Route(gateway, direct, user, lab)
    grow = _lab_grower(ws) if _on_lab(ws, route) else None

    async def work(op: Operation) -> None:
        await nodes.add(op, change, dry_run, grow)

    reaching.run(ws, route, work)
    if not dry_run:
        console.out.print(f"added {', '.join(m.name for m in change.added)}")


def remove(
    names: Annotated[list[str] | None, typer.Argument(
        help="Machines to remove (must be the ones the lowered counts drop).")] = None,
    spec: SpecOption = None, state: StateOption = None, force: ForceOption = False,
    dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """Remove the control planes and workers the cluster has and the spec no longer (lower
    hosts.<role>.count first: machines are numbered, so the highest numbers go). Re-run to
    resume an interrupted remove."""
    ws = reaching.workspace(spec, state)
    change = _change(ws, force)
    _check_names(change, names or [])
    if not change.removed:
        console.out.print("nothing to remove: the spec has every deployed control plane and "
                          "worker; lower hosts.<role>.count in the spec first")
        return
    route = reaching.Route(gateway, direct, user, lab)
    ctx, reach = reaching.connect(ws, route)

    async def work() -> None:
        async with Operation(ctx, nodes.with_leaving(reach, change), ws.state_dir,
                             console.out) as op:
            await nodes.remove(op, change, dry_run)

    asyncio.run(work())
    if not dry_run:
        gone = ", ".join(m.name for m in change.removed)
        console.out.print(f"removed {gone} from the cluster")
        if _on_lab(ws, route):
            console.out.print(LAB_STAYS.format(names=gone))
        else:
            console.out.print(f"delete the machine(s) {gone} with your provider")


def _change(ws: Workspace, force: bool) -> membership.Change:
    change = membership.change(ws.operator_spec(), ws.state_dir)
    problems = nodes.refusals(change, force)
    if problems:
        for problem in problems:
            console.error(f"refused: {problem}")
        raise typer.Exit(nodes.Refused.exit_code)
    return change


def _check_names(change: membership.Change, names: list[str]) -> None:
    leaving = {m.name for m in change.removed}
    kept = [n for n in names if n not in leaving]
    if kept:
        console.error(f"{', '.join(kept)}: still in the spec, or not deployed; lower "
                      "hosts.<role>.count so the spec no longer has it (the highest numbers "
                      f"go first); the spec now drops: {', '.join(sorted(leaving)) or 'none'}")
        raise typer.Exit(console.EXIT_INVALID)


def _on_lab(ws: Workspace, route: reaching.Route) -> bool:
    if route.lab:
        return True
    recorded = handoff.load(ws.state_dir)
    return recorded is not None and recorded.provider == "lab" and not (
        route.gateway or route.direct)


def _lab_grower(ws: Workspace) -> nodes.Create:
    """The lab as the provider: boot the new machines beside the running ones."""
    async def grow(machines: list[Machine]) -> None:
        plan = seeds.lab_plan(ws.operator_spec())
        await asyncio.to_thread(lambda: lifecycle.up(plan, seeds.render_seeds(plan),
                                                     identity=ws.ssh_key_path))

    return grow

"""`kubeforge status`: per machine reachable / converged / drift; VIP holder; gluster bricks and
heal backlog; Kubernetes nodes. Read-only: nothing on the machines or in the state changes."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.state import ApplyState
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.verify import checks
from kubeforge.verify import status as status_mod


def status(spec: SpecOption = None, state: StateOption = None,
           gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
           user: reaching.UserOption = None, lab: reaching.LabOption = False) -> None:
    """Is the cluster healthy? Exit 0 when it is, 1 when anything needs attention."""
    ws = reaching.workspace(spec, state)
    ctx, reach = reaching.connect(ws, reaching.Route(gateway, direct, user, lab))
    found = asyncio.run(gather(ctx, reach, ws.state_dir))
    show(found, console.out)
    if not found.healthy:
        raise typer.Exit(1)


async def gather(ctx: Context, reach: Reach, state_dir: Path) -> status_mod.Status:
    quiet = Console(file=io.StringIO())
    async with Operation(ctx, reach, state_dir, quiet) as op:
        reached = await status_mod.reachability(op, [m.name for m in ctx.plan.machines])
        reports = await checks.check_all(ctx, reach.targets, op.transport, state_dir,
                                         all_phases())
        holders = await status_mod.vip_holders(op, ctx)
        volume, bricks, storage_note = await status_mod.storage(op, ctx)
        nodes, nodes_note = await status_mod.nodes(op, ctx)
    machines = status_mod.machines(ctx, reached, reports, ApplyState.load(state_dir))
    return status_mod.Status(machines, str(ctx.plan.network.api_vip), holders, volume, bricks,
                             storage_note, nodes, nodes_note)


def show(found: status_mod.Status, out: Console) -> None:
    table = Table("machine", "role", "reachable", "converged", "to change", "drift",
                  "failed", "dry-run only", title="machines")
    for m in found.machines:
        table.add_row(m.name, m.role, "yes" if m.reachable else "[red]NO[/]",
                      str(len(m.converged)), _names(m.pending), _names(m.drift),
                      _names(m.failed), str(len(m.dry_only)) if m.dry_only else "")
    out.print(table)
    holders = ", ".join(found.vip_holders) or "[red]nobody[/]"
    warn = "" if len(found.vip_holders) == 1 else "  [red](exactly one should)[/]"
    out.print(f"API VIP {found.vip}: held by {holders}{warn}", highlight=False)
    _storage(found, out)
    _nodes(found, out)
    verdict = "[green]healthy[/]" if found.healthy else "[yellow]needs attention[/]"
    out.print(f"status: {verdict}", highlight=False)


def _names(names: list[str]) -> str:
    return escape(", ".join(names))


def _storage(found: status_mod.Status, out: Console) -> None:
    out.print(f"gluster volume {found.volume or '-'}: {escape(found.storage_note)}",
              highlight=False)
    for brick in found.bricks:
        state = "online" if brick.online else "[red]OFFLINE[/]"
        heal = "?" if brick.heal_pending is None else str(brick.heal_pending)
        out.print(f"  {escape(brick.name)}: {state}, heal backlog {heal}", highlight=False)


def _nodes(found: status_mod.Status, out: Console) -> None:
    out.print(f"Kubernetes nodes: {escape(found.nodes_note)}", highlight=False, soft_wrap=True)
    for node in found.nodes or []:
        ready = "Ready" if node.ready else "[red]NotReady[/]"
        out.print(f"  {escape(node.name)}: {ready}", highlight=False)

"""What every command that works on the machines shares with `kubeforge apply`: the options
that say how to reach them, the route (`apply._reach`: the recorded endpoints unless a flag
says otherwise) and the engine's context for that route."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from kubeforge.bootstrap import inputs
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.steps import listing
from kubeforge.cli import apply, console
from kubeforge.workspace import Workspace

T = TypeVar("T")

GatewayOption = Annotated[str | None, typer.Option(
    "--gateway", help="ADDRESS[:PORT] of the gateway's SSH front door (default: the "
    "endpoints `kubeforge up` recorded).")]
DirectOption = Annotated[bool, typer.Option(
    "--direct", help="Reach every machine at its planned address (you are inside).")]
UserOption = Annotated[str | None, typer.Option("--user", help="SSH user (default: the "
                                                "spec's admin user; sudo when not root).")]
LabOption = Annotated[bool, typer.Option("--lab", help="The lab's machines (kubeforge lab up).")]
DryRunOption = Annotated[bool, typer.Option(
    "--dry-run", help="Print the exact steps per host and what would change; change nothing.")]


@dataclass(frozen=True)
class Route:
    gateway: str | None = None
    direct: bool = False
    user: str | None = None
    lab: bool = False


def workspace(spec: Path | None, state: Path | None) -> Workspace:
    return console.checked_workspace(spec, state)


def connect(ws: Workspace, route: Route) -> tuple[Context, Reach]:
    plan, reach = apply._reach(ws, route.gateway, route.direct, route.user, route.lab)
    return inputs.context(ws, plan, reach), reach


def run(ws: Workspace, route: Route, work: Callable[[Operation], Awaitable[T]]) -> T:
    """Open one operation on the machines, run `work` in it, close it."""
    ctx, reach = connect(ws, route)

    async def go() -> T:
        async with Operation(ctx, reach, ws.state_dir, console.out) as op:
            return await work(op)

    return asyncio.run(go())


def run_listed(ctx: Context, reach: Reach, state_dir: Path, phases: Sequence[Phase],
               dry_run: bool) -> None:
    """Print the steps `phases` take per host, then run them as one resumable operation
    (reset, upgrade, certs renew: what a person confirms before it touches the cluster)."""
    console.out.print("\n".join(listing(phases, ctx)), highlight=False)

    async def work() -> None:
        async with Operation(ctx, reach, state_dir, console.out) as op:
            await op.phases(phases, dry_run)

    asyncio.run(work())

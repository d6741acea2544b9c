"""`kubeforge apply`: converge the cluster's machines, phase by phase, over SSH."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from kubeforge import errors
from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.cli import console
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.plan.model import Plan
from kubeforge.render import bundle
from kubeforge.workspace import Workspace

PHASE_NAMES = ", ".join(p.name for p in all_phases())


def apply(
    spec: SpecOption = None,
    state: StateOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show per host the commands and file diffs; change nothing.")] = False,
    phase: Annotated[list[str] | None, typer.Option(
        "--phase", help=f"Run only this phase (repeatable). Phases: {PHASE_NAMES}.")] = None,
    from_phase: Annotated[str | None, typer.Option(
        "--from", help="Start at this phase and run every later one.")] = None,
    hosts: Annotated[str | None, typer.Option(
        "--hosts", help="Comma-separated machine names: only these.")] = None,
    recheck: Annotated[bool, typer.Option(
        "--recheck", help="Check hosts even when their inputs did not change (drift).")] = False,
    gateway: Annotated[str | None, typer.Option(
        "--gateway", help="ADDRESS[:PORT] of the gateway's SSH front door; the other "
        "machines are reached through it (ProxyJump).")] = None,
    direct: Annotated[bool, typer.Option(
        "--direct", help="Reach every machine at its planned address (you are inside).")] = False,
    user: Annotated[str | None, typer.Option("--user", help="SSH user (default: the spec's "
                                             "admin user; sudo when not root).")] = None,
    lab: Annotated[bool, typer.Option(
        "--lab", help="Apply to the lab's machines (kubeforge lab up).")] = False,
) -> None:
    """Converge the machines: check each phase per host, change only what differs."""
    ws = console.checked_workspace(spec, state)
    plan, reach = _reach(ws, gateway, direct, user, lab)
    ctx = Context(plan, tuple(bundle.render_all(plan, ws.secrets())), ws.secrets(),
                  kubernetes_binaries=reach.kubernetes_binaries)
    wanted = frozenset(h.strip() for h in hosts.split(",")) if hosts else None
    options = Options(dry_run, recheck, Selection(tuple(phase or ()), from_phase, wanted))
    asyncio.run(engine.apply(ctx, reach, ws.state_dir, options, console.out))


def _reach(ws: Workspace, gateway: str | None, direct: bool, user: str | None,
           lab: bool) -> tuple[Plan, inventory.Reach]:
    if lab:
        from kubeforge.bootstrap import labaccess  # the lab is optional: import on use
        lab_plan = labaccess.plan(ws)
        return lab_plan, labaccess.reach(ws, lab_plan)
    plan = ws.plan()
    if direct:
        return plan, inventory.direct(plan, user)
    if gateway:
        address, _, port = gateway.partition(":")
        return plan, inventory.via_gateway(plan, address, int(port or 22), user)
    raise errors.ApplyError("say how to reach the machines: --gateway ADDRESS[:PORT] (the "
                            "gateway's SSH front door), --direct, or --lab")

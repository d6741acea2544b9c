"""`kubeforge apply`: converge the cluster's machines, phase by phase, over SSH."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from kubeforge import errors
from kubeforge.bootstrap import engine, inputs, inventory, ssh
from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.cli import console
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
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
        "--from", help="Start at this phase: run it and every phase it does not need.")] = None,
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
        "--lab", help="Apply to the lab's machines as they are now (`kubeforge lab up` and "
        "`kubeforge up --provider lab` record them: no flag is needed after either).")] = False,
    wait_for_hosts: Annotated[float, typer.Option(
        "--wait-for-hosts", min=0, metavar="SECONDS",
        help="Per machine: how long to wait for one that is still booting (connection "
        "refused or lost, 'System is booting up', no route yet) before failing.")
    ] = ssh.REACH_WAIT,
) -> None:
    """Converge the machines: check each phase per host, change only what differs.

    The machines are reached as `kubeforge up` recorded (<state>/endpoints.json), unless
    --gateway, --direct or --lab says otherwise."""
    ws = console.checked_workspace(spec, state)
    plan, reach = _reach(ws, gateway, direct, user, lab)
    ctx = inputs.context(ws, plan, reach)  # one way for apply and the day-2 commands
    wanted = frozenset(h.strip() for h in hosts.split(",")) if hosts else None
    options = Options(dry_run, recheck, Selection(tuple(phase or ()), from_phase, wanted),
                      reach_wait=wait_for_hosts)
    asyncio.run(engine.apply(ctx, reach, ws.state_dir, options, console.out))


def _reach(ws: Workspace, gateway: str | None, direct: bool, user: str | None,
           lab: bool) -> tuple[Plan, inventory.Reach]:
    """The flags override; without one, the route `kubeforge up` recorded."""
    plan = ws.plan()
    if lab:  # an alias: the lab provider's endpoints for the lab in use ($KUBEFORGE_LAB_*)
        return plan, inventory.from_handoff(plan, provision_lab.handoff(plan), user)
    if direct:
        return plan, inventory.direct(plan, user)
    if gateway:
        address, _, port = gateway.partition(":")
        return plan, inventory.via_gateway(plan, address, _port(port), user)
    return plan, inventory.recorded(plan, ws.state_dir, user)


def _port(text: str) -> int:
    if not text:
        return 22
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise errors.ApplyError(f"--gateway: port {text!r} is not a TCP port (1-65535); "
                                "write ADDRESS[:PORT], e.g. 203.0.113.10:2222")
    return int(text)

"""`kubeforge certs check`: an expiry table for the control planes' certificates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from kubeforge.bootstrap import certs_check
from kubeforge.bootstrap.certs_check import Expiry
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases import certs_renew
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption

app = typer.Typer(help="Certificate expiry and renewal on the control planes.",
                  no_args_is_help=True)
STYLE = {"ok": "green", "warn": "yellow", "EXPIRED": "bold red"}


@app.command()
def check(
    spec: SpecOption = None, state: StateOption = None,
    warn_days: Annotated[int, typer.Option(
        min=1, help="Warn when a certificate expires within this many days.")]
    = certs_check.WARN_DAYS,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """Every certificate and kubeconfig on the control planes, soonest expiry first; exit 1
    when one has expired or a control plane could not be read."""
    ws = reaching.workspace(spec, state)

    async def work(op: Operation) -> dict[str, list[Expiry] | None]:
        return await certs_check.check(op)

    found = reaching.run(ws, reaching.Route(gateway, direct, user, lab), work)
    now = dt.datetime.now(dt.UTC)
    console.out.print(table(found, now, warn_days))
    problems = summary(found, now, warn_days)
    if problems:
        raise typer.Exit(1)


def table(found: dict[str, list[Expiry] | None], now: dt.datetime, warn_days: int) -> Table:
    result = Table(title=f"certificate expiry (warn under {warn_days} days)")
    for column in ("host", "file", "expires (UTC)", "days left", "status"):
        result.add_column(column)
    rows = sorted((e for certs in found.values() for e in certs or []),
                  key=lambda e: (e.not_after, e.host, e.path))
    for e in rows:
        state = e.status(now, warn_days)
        result.add_row(e.host, e.path, e.not_after.strftime("%Y-%m-%d %H:%M"),
                       f"{e.days_left(now):.0f}", f"[{STYLE[state]}]{state}[/]")
    return result


def summary(found: dict[str, list[Expiry] | None], now: dt.datetime, warn_days: int) -> bool:
    """Print warnings; True when something is expired or unreadable."""
    bad = False
    for host, certs in found.items():
        if certs is None:
            console.error(f"{host}: could not read its certificates (unreachable?)")
            bad = True
        for e in certs or []:
            state = e.status(now, warn_days)
            if state != "ok":
                console.out.print(f"[yellow]warning[/]: {e.host}:{e.path} expires in "
                                  f"{e.days_left(now):.0f} days; renew with `kubeforge certs "
                                  "renew`", highlight=False)
            bad = bad or state == "EXPIRED"
    return bad


@app.command()
def renew(
    spec: SpecOption = None, state: StateOption = None,
    dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """`kubeadm certs renew all` on each control plane, one at a time, and the restart of its
    control-plane pods. A re-run the same day resumes (one renewal per UTC day)."""
    ws = reaching.workspace(spec, state)
    ctx, reach = reaching.connect(ws, reaching.Route(gateway, direct, user, lab))
    renewal = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    phase = certs_renew.renew(ctx.hosts_with_role("control_plane"), renewal)
    reaching.run_listed(ctx, reach, ws.state_dir, [phase], dry_run)
    if not dry_run:
        console.out.print("renewed; fetch a new admin kubeconfig: the old one's certificate "
                          "was renewed too")

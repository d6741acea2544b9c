"""`kubeforge etcd backup|restore|status`: snapshots of the control planes' stacked etcd."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kubeforge.bootstrap import etcd_backup
from kubeforge.bootstrap.operation import Operation
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption

app = typer.Typer(help="Back up and restore the control planes' etcd.", no_args_is_help=True)


@app.command()
def backup(
    spec: SpecOption = None, state: StateOption = None,
    out: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Where to write the snapshot (default: "
        "<state>/etcd-backups/etcd-<cluster>-<UTC time>.db, the newest --keep kept).")] = None,
    keep: Annotated[int, typer.Option(
        min=1, help="Snapshots kept on the control plane and in <state>/etcd-backups.")]
    = etcd_backup.KEEP,
    dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """`etcdctl snapshot save` on a healthy control plane with kubeadm's etcd certificates,
    copied here with its sha256."""
    ws = reaching.workspace(spec, state)

    async def work(op: Operation) -> etcd_backup.Snapshot | None:
        return await etcd_backup.backup(op, out, keep, dry_run)

    taken = reaching.run(ws, reaching.Route(gateway, direct, user, lab), work)
    if taken is not None:
        console.out.print(f"snapshot of {taken.source}: {taken.path} ({taken.size} bytes, "
                          f"sha256 {taken.sha256})", highlight=False)


@app.command()
def restore(
    snapshot: Annotated[Path, typer.Argument(help="A snapshot from `kubeforge etcd backup`.")],
    spec: SpecOption = None, state: StateOption = None, dry_run: reaching.DryRunOption = False,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """Restore every control plane's etcd member from SNAPSHOT (upstream procedure: stop the
    API servers and etcd, restore each data directory, start them together). Everything
    written after the snapshot is lost. Re-run to resume an interrupted restore."""
    ws = reaching.workspace(spec, state)

    async def work(op: Operation) -> str:
        return await etcd_backup.restore(op, snapshot, dry_run)

    restore_id = reaching.run(ws, reaching.Route(gateway, direct, user, lab), work)
    if not dry_run:
        console.out.print(f"restored from {snapshot} (restore {restore_id}); etcd is healthy "
                          "on every control plane", highlight=False)


@app.command()
def status(
    spec: SpecOption = None, state: StateOption = None,
    gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
    user: reaching.UserOption = None, lab: reaching.LabOption = False,
) -> None:
    """The etcd members and their health, as the first reachable control plane sees them."""
    ws = reaching.workspace(spec, state)

    async def work(op: Operation) -> Table:
        via = await etcd_backup.healthy_member(op)
        found, healthy = await etcd_backup.members(op, via), await etcd_backup.health(op, via)
        table = Table(title=f"etcd members (seen from {via})")
        for column in ("name", "peer URL", "client URL", "healthy"):
            table.add_column(column)
        for member in found:
            clients = member.get("clientURLs") or ["(not started)"]
            table.add_row(member.get("name") or "(not started)",
                          ", ".join(member.get("peerURLs", [])), ", ".join(clients),
                          "yes" if healthy.get(clients[0]) else "no")
        return table

    console.out.print(reaching.run(ws, reaching.Route(gateway, direct, user, lab), work))

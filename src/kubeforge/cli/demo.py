"""`kubeforge demo ...`: the reference's HA and storage demos, measured on the lab. Root only."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table

from kubeforge.cli import console
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.demo import ha, report, volumes, volumes_nfs
from kubeforge.demo.onlab import DemoLab

app = typer.Typer(
    help="Break lab machines on purpose and measure what a client notices. Root only; brings "
    "the lab up if needed (`kubeforge lab up`).",
    no_args_is_help=True,
)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


@app.command("ha")
def ha_command(
    spec: SpecOption = None,
    state: StateOption = None,
    manager: Annotated[str, typer.Option(
        help="VIP manager to demonstrate: pacemaker, keepalived or both.")] = "both",
    seconds: Annotated[float, typer.Option(help="Probe duration per scenario.")] = 30.0,
    interval: Annotated[float, typer.Option(help="Seconds between client requests.")] = 0.1,
) -> None:
    """Client loop against VIP:6443 while the active LB loses power, then while one
    control-plane API server stops; per VIP manager."""
    managers = _managers(manager)
    lab = DemoLab.open(console.checked_workspace(spec, state), console=console.out)
    results = ha.run(lab, managers, seconds, interval)
    console.out.print(_table("demo ha", report.HA_COLUMNS, report.ha_rows(results)))
    console.out.print(ha.STANDIN_NOTE)
    for result in results:
        if result.fault.startswith("load balancer"):
            console.out.print(f"{result.manager}: VIP outage "
                              f"{result.summary['longest_outage_s']:.2f} s (goal ≤ "
                              f"{report.HA_GOAL_OUTAGE_S} s)")


def _managers(manager: str) -> tuple[ha.Manager, ...]:
    if manager == "both":
        return ha.MANAGERS
    if manager not in ha.MANAGERS:
        raise typer.BadParameter("pacemaker, keepalived or both", param_hint="--manager")
    return (manager,)


@app.command("volumes")
def volumes_command(
    spec: SpecOption = None,
    state: StateOption = None,
    files: Annotated[int, typer.Option(help="Files written before and again during the "
                                       "outage.")] = 200,
    size_kib: Annotated[int, typer.Option(help="Size of each file.")] = 64,
    power_failure: Annotated[bool, typer.Option(
        "--power-failure", help="Cut the power instead of a clean shutdown (clients then "
        "wait gluster's network.ping-timeout, 3 s as kubeforge sets it, before giving up on "
        "the brick).")] = False,
    heal_timeout: Annotated[float, typer.Option(help="Seconds to wait for the heal.")] = 300.0,
    nfs: Annotated[bool, typer.Option(
        "--nfs", help="Through the path pods use instead: NFSv4.1 to storage.<domain> (the "
        "storage VIP) from a worker, with the lab's userspace NFS client, while the VIP's "
        "holder loses power; then write past a volume's size.")] = False,
) -> None:
    """Write to the replica-3 gluster volume, take one gluster machine down, read and
    write, bring it back, heal; report bytes lost and heal time."""
    how: Literal["power-failure", "shutdown"] = "power-failure" if power_failure else "shutdown"
    lab = DemoLab.open(console.checked_workspace(spec, state), console=console.out)
    if nfs:
        stall, past = volumes_nfs.run(lab)
        console.out.print(_table("demo volumes --nfs", volumes_nfs.COLUMNS,
                                 [volumes_nfs.row(stall, past)]))
        console.out.print(f"bytes lost: {stall.lost} (goal 0); longest write "
                          f"{stall.longest_s:.1f} s (goal ≤ 10 s)")
        return
    demo = volumes.run(lab, files, size_kib * 1024, how, heal_timeout)
    console.out.print(_table("demo volumes", report.VOLUME_COLUMNS, [report.volume_row(demo)]))
    console.out.print(f"bytes lost: {demo.bytes_lost} (goal 0); heal {demo.heal_s:.1f} s")
    if demo.lost or demo.brick_missing:
        console.out.print(f"lost through the mount: {demo.lost[:10]}; not on the returned "
                          f"brick: {demo.brick_missing[:10]}")

"""`kubeforge volume create|list|expand|delete`: sized directories of the gluster volume, by
hand, as Heketi offered (bootstrap/volumes.py; docs/storage.md, "Volumes with sizes")."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kubeforge.bootstrap import claims, volumes
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases.kube import KUBECTL
from kubeforge.cli import console, reaching
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.errors import ApplyError, SpecError
from kubeforge.render import addon_versions, storage

app = typer.Typer(help="Volumes with an enforced size (gluster directory quota).",
                  no_args_is_help=True)
NameArg = Annotated[str, typer.Argument(help="Volume name: a-z, 0-9 and '-'.")]
SizeArg = Annotated[str, typer.Argument(help="Size, e.g. 10Gi, 512Mi or bytes.")]


def _route(gateway: str | None, direct: bool, user: str | None, lab: bool) -> reaching.Route:
    return reaching.Route(gateway, direct, user, lab)


def _on_admin(spec: SpecOption, state: StateOption, route: reaching.Route, command: str) -> str:
    """Run `command` on the first gluster machine; its stdout."""
    ws = reaching.workspace(spec, state)

    async def work(op: Operation) -> str:
        servers = op.ctx.hosts_with_role("gluster")
        if not servers:
            raise ApplyError("this spec has no gluster machines (hosts.gluster.count)")
        return await _admin(op, servers[0], command)

    return reaching.run(ws, route, work)


async def _admin(op: Operation, host: str, command: str) -> str:
    """stdout of a volume command; its own refusals (exit 3-5: exists, not kubeforge's, no such
    volume) as bad input, anything else as a failure naming the host, never the script."""
    status, stdout, stderr = await op.status(host, command)
    said = stderr.decode("utf-8", "replace").strip()[-2000:]
    if status in (3, 4, 5):
        raise SpecError([said])
    if status != 0:
        raise ApplyError(f"{host}: the volume command exited {status}: {said or 'no message'}")
    return stdout.decode("utf-8", "replace")


def _volume_name(spec: SpecOption, state: StateOption) -> str:
    return reaching.workspace(spec, state).spec.storage.volume


@app.command("list")
def list_(spec: SpecOption = None, state: StateOption = None,
          gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
          user: reaching.UserOption = None, lab: reaching.LabOption = False) -> None:
    """Every sized volume: size, used and available, as gluster's quota reports them."""
    route = _route(gateway, direct, user, lab)
    found = volumes.parse_list(_on_admin(spec, state, route,
                                         volumes.list_command(_volume_name(spec, state))))
    table = Table("volume", "size (bytes)", "used", "available", "full", title="volumes")
    for v in found:
        table.add_row(v.name, str(v.size), str(v.used), str(v.available),
                      "[red]yes[/]" if v.exceeded else "no")
    console.out.print(table)


@app.command()
def create(name: NameArg, size: SizeArg, spec: SpecOption = None, state: StateOption = None,
           gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
           user: reaching.UserOption = None, lab: reaching.LabOption = False) -> None:
    """Make a directory of the gluster volume with a hard size limit."""
    command = volumes.create_command(_volume_name(spec, state), name, volumes.parse_size(size))
    _on_admin(spec, state, _route(gateway, direct, user, lab), command)
    console.out.print(f"volume {name}: created, {volumes.parse_size(size)} bytes")


@app.command()
def expand(name: NameArg, size: SizeArg, spec: SpecOption = None, state: StateOption = None,
           gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
           user: reaching.UserOption = None, lab: reaching.LabOption = False) -> None:
    """Raise a volume's size limit (volumes only grow)."""
    route, volume = _route(gateway, direct, user, lab), _volume_name(spec, state)
    wanted = volumes.parse_size(size)
    current = {v.name: v for v in volumes.parse_list(
        _on_admin(spec, state, route, volumes.list_command(volume)))}.get(name)
    volumes.refuse_shrink(current, name, wanted)
    _on_admin(spec, state, route, volumes.expand_command(volume, name, wanted))
    console.out.print(f"volume {name}: {wanted} bytes")


@app.command()
def delete(name: NameArg, spec: SpecOption = None, state: StateOption = None,
           gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
           user: reaching.UserOption = None, lab: reaching.LabOption = False) -> None:
    """Remove a volume `volume create` made, its data and its limit."""
    _on_admin(spec, state, _route(gateway, direct, user, lab),
              volumes.delete_command(_volume_name(spec, state), name))
    console.out.print(f"volume {name}: deleted")


@app.command()
def sync(spec: SpecOption = None, state: StateOption = None,
         dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the sizes it would set; "
                                               "set none.")] = False,
         gateway: reaching.GatewayOption = None, direct: reaching.DirectOption = False,
         user: reaching.UserOption = None, lab: reaching.LabOption = False) -> None:
    """Size every Kubernetes volume: each PersistentVolume csi-driver-nfs made on the gluster
    volume gets its capacity as its directory's limit (again after an expansion). Run it after
    claims are made or grown, or from a timer (docs/storage.md)."""
    ws = reaching.workspace(spec, state)
    volume = ws.spec.storage.volume

    async def work(op: Operation) -> tuple[list[str], list[claims.Claim], list[str]]:
        control, servers = op.ctx.hosts_with_role("control_plane"), op.ctx.hosts_with_role("gluster")
        if not control or not servers:
            raise ApplyError("volume sync needs control-plane and gluster machines in the spec")
        pv_list = (await op.read(control[0], f"{KUBECTL} get pv -o json")).decode()
        ours = claims.of_volume(pv_list, volume, addon_versions.CSI_DRIVER_NFS_PROVISIONER,
                                {storage.storage_server(op.ctx.plan), storage.storage_vip(op.ctx.plan)})
        limits = volumes.parse_list(await _admin(op, servers[0], volumes.list_command(volume)))
        todo, kept = claims.changes(ours.found, limits)
        done: list[claims.Claim] = []
        failed: list[str] = []
        for claim in [] if dry_run else todo:  # one that fails does not keep the others unsized
            try:
                await _admin(op, servers[0], volumes.expand_command(volume, claim.directory, claim.size))
                done.append(claim)
            except (ApplyError, SpecError) as exc:
                failed.append(f"PersistentVolume {claim.pv}: {exc}")
        return [*ours.skipped, *kept], todo if dry_run else done, failed

    notes, done, failed = reaching.run(ws, _route(gateway, direct, user, lab), work)
    for note in notes:  # PersistentVolume fields are anyone's text: never Rich markup
        console.err.print(f"[yellow]skipped[/] {escape(note)}")
    verb = "would set" if dry_run else "set"
    for claim in done:
        console.out.print(f"{escape(claim.pv)}: {verb} /{claim.directory} to {claim.size} bytes")
    for failure in failed:
        console.err.print(f"[red]failed[/] {escape(failure)}")
    console.out.print(f"volume sync: {verb} {len(done)} size(s), {len(failed)} failed, "
                      f"{len(notes)} skipped")
    if failed:
        raise typer.Exit(1)

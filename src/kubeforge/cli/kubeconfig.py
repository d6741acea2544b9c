"""`kubeforge kubeconfig`: the cluster's admin kubeconfig for the operator, written 0600."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases.kube import ADMIN_CONF
from kubeforge.cli import console, operator_access, reaching
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.errors import ApplyError
from kubeforge.verify import kubeconfig as kc
from kubeforge.verify import status as status_mod

OutputOption = Annotated[str | None, typer.Option(
    "-o", "--output", help="Where to write it (0600). `-o -` prints it. "
    "Default: <state>/kubeconfig.")]
ForwardOption = Annotated[int | None, typer.Option(
    "--forward", help="Point it at https://127.0.0.1:PORT, a local forward to the API VIP "
    "through the gateway (the SSH command is printed), instead of the VIP itself.",
    min=1, max=65535)]


def kubeconfig(spec: SpecOption = None, state: StateOption = None, output: OutputOption = None,
               forward: ForwardOption = None, gateway: reaching.GatewayOption = None,
               direct: reaching.DirectOption = False, user: reaching.UserOption = None,
               lab: reaching.LabOption = False) -> None:
    """Fetch admin.conf from the first control plane over the recorded route, server set to
    the API VIP (or a local forward), and write it 0600. Never printed unless -o -."""
    ws = reaching.workspace(spec, state)
    ctx, reach = reaching.connect(ws, reaching.Route(gateway, direct, user, lab))
    first = operator_access.first_master(ctx)
    server = kc.forward_server(forward) if forward else kc.vip_server(ctx.plan)
    admin = _fetch(ws.state_dir, ctx, reach, first)
    if admin is None:  # the lab: said so, nothing written
        return
    content = kc.rewrite(admin, server, ctx.plan.name)
    if output == "-":
        sys.stdout.buffer.write(content)
        return
    path = Path(output) if output else operator_access.default_kubeconfig(ws)
    kc.write(path, content, ctx.plan.name, ws.state_dir)
    console.out.print(f"admin kubeconfig written to {path} (mode 0600), server {server.url}\n"
                      f"  export KUBECONFIG={path}", highlight=False, soft_wrap=True)
    if forward:
        console.out.print("keep this forward open while you use it:\n  "
                          + operator_access.forward_command(ws, ctx, reach, forward),
                          highlight=False, soft_wrap=True, markup=False)


def _fetch(state_dir: Path, ctx: Context, reach: Reach, first: str) -> bytes | None:
    async def go() -> bytes | None:
        async with Operation(ctx, reach, state_dir, console.out) as op:
            if not ctx.kubernetes_binaries:
                reached = await op.try_read(first, "true") is not None
                _say_dry(first, reached)
                return None
            found = await kc.fetch(op, first)
            if found is None:
                raise ApplyError(f"{first}: no {ADMIN_CONF} (or {first} is unreachable): "
                                 "run `kubeforge apply` first (phase control-plane-init)")
            return found

    return asyncio.run(go())


def _say_dry(first: str, reached: bool) -> None:
    how = "reached over the recorded route" if reached else "NOT reachable over the route"
    console.out.print(
        status_mod.DRY_ONLY.format(command=f"cat {ADMIN_CONF}", host=first)
        + f"; {first} {how}. Nothing written.", highlight=False, soft_wrap=True)

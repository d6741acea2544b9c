"""`kubeforge dashboard`: how to reach the dashboard through the gateway, and a login token."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.operation import Operation
from kubeforge.cli import console, operator_access, reaching
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.errors import ApplyError
from kubeforge.verify import dashboard as dash
from kubeforge.verify import kubeconfig as kc
from kubeforge.verify import status as status_mod

TOKEN_FILE = "dashboard-token"
TokenOption = Annotated[str | None, typer.Option(
    "--token-file", help=f"Where to write the token (0600). `-` prints it. Default: "
    f"<state>/{TOKEN_FILE}.")]
ForwardOption = Annotated[int, typer.Option(
    "--forward", help="Local port forwarded to the API VIP through the gateway.",
    min=1, max=65535)]


def dashboard(spec: SpecOption = None, state: StateOption = None, token_file: TokenOption = None,
              forward: ForwardOption = 6443, gateway: reaching.GatewayOption = None,
              direct: reaching.DirectOption = False, user: reaching.UserOption = None,
              lab: reaching.LabOption = False) -> None:
    """Print how to open the dashboard through the gateway; mint a short-lived token for its
    ServiceAccount (`kubectl create token`, 1 h) into a 0600 file."""
    ws = reaching.workspace(spec, state)
    ctx, reach = reaching.connect(ws, reaching.Route(gateway, direct, user, lab))
    found = dash.access(ctx.plan)
    if found is None:
        raise ApplyError("addons.dashboard.kind is none: this cluster has no dashboard")
    first = operator_access.first_master(ctx)
    kubeconfig = operator_access.default_kubeconfig(ws)
    for line in (
        f"{found.kind} in namespace {found.service_namespace}; reach it in three steps:",
        "  1. forward the API through the gateway (keep it open):\n     "
        + operator_access.forward_command(ws, ctx, reach, forward),
        f"  2. kubeforge kubeconfig --forward {forward}   (writes {kubeconfig})",
        f"  3. {found.port_forward(str(kubeconfig))}\n     then open {found.url}",
    ):
        console.out.print(line, highlight=False, soft_wrap=True, markup=False)
    _token(ws.state_dir, ctx, reach, first, found, token_file)


def _token(state_dir: Path, ctx: Context, reach: Reach, first: str,
           found: dash.Access, token_file: str | None) -> None:
    async def go() -> str | None:
        async with Operation(ctx, reach, state_dir, console.out) as op:
            if not ctx.kubernetes_binaries:
                reached = await op.try_read(first, "true") is not None
                how = "reached" if reached else "NOT reachable"
                console.out.print(status_mod.DRY_ONLY.format(
                    command=dash.token_command(found), host=first)
                    + f"; {first} {how} over the recorded route. No token minted.",
                    highlight=False, soft_wrap=True)
                return None
            return await dash.token(op, first, found)

    minted = asyncio.run(go())
    if minted is None:
        if ctx.kubernetes_binaries:
            raise ApplyError(f"{first}: `kubectl create token` failed: is the dashboard "
                             "applied (kubeforge apply --phase addons)?")
        return
    if token_file == "-":
        sys.stdout.write(minted + "\n")
        return
    path = Path(token_file) if token_file else state_dir / TOKEN_FILE
    kc.write_0600(path, (minted + "\n").encode(), state_dir)
    console.out.print(f"login token (valid {dash.TOKEN_DURATION}) written to {path} "
                      "(mode 0600)", highlight=False)

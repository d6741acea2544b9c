"""`kubeforge lab ...`: the planned machines as containers on sealed networks, on this host."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from kubeforge import readiness
from kubeforge.cli import console
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.lab import access, lifecycle, seeds, sh
from kubeforge.plan.model import Plan
from kubeforge.provision import handoff
from kubeforge.provision import lab as provision_lab
from kubeforge.workspace import Workspace

app = typer.Typer(
    help="Rehearse the plan on this host: machines (systemd-nspawn) on sealed networks. Root only.",
    no_args_is_help=True,
)
HostArgument = Annotated[str, typer.Argument(help="Machine name, e.g. kube-mast01.")]
CommandArgument = Annotated[list[str] | None, typer.Argument(help="Command (after --).")]


def _plan(spec: SpecOption, state: StateOption) -> tuple[Workspace, Plan]:
    workspace = console.checked_workspace(spec, state)
    return workspace, seeds.lab_plan(workspace.operator_spec())


@app.command()
def up(
    spec: SpecOption = None,
    state: StateOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every machine.")] = 300.0,
) -> None:
    """Build the base tree if needed, make the networks, boot every machine. Idempotent."""
    workspace, plan = _plan(spec, state)
    sh.require_root()
    lifecycle.up(plan, seeds.render_seeds(plan), timeout=timeout,
                 identity=workspace.ssh_key_path, progress=_waiting)
    # The same handoff `up --provider lab` records: later commands need no route flag.
    handoff.save(workspace.state_dir, provision_lab.handoff(plan))
    _print_status(plan)
    console.out.print(
        "Control-plane machines run [bold]kubeforge-apiserver-standin[/] on :6443 "
        "(TLS, /healthz, /readyz): a stand-in for the load balancer to check, [bold]not "
        "Kubernetes[/]. The gateway serves DHCP and DNS from its first boot (its cloud-init "
        "seed); every machine above took a login by the operator route."
    )


def _waiting(verdict: readiness.Verdict) -> None:
    console.err.print(f"waiting for {verdict.host}: {verdict.reason}", highlight=False,
                      markup=False)


@app.command()
def down() -> None:
    """Stop every machine and remove exactly what `up` made."""
    removed = lifecycle.down()
    console.out.print(f"removed {len(removed)} lab objects (processes, mounts, namespaces)")


@app.command()
def status(spec: SpecOption = None, state: StateOption = None) -> None:
    """Show each machine: running, ready (booted, logins open, cloud-init done, sshd answering)."""
    _, plan = _plan(spec, state)
    _print_status(plan)


@app.command()
def ssh(host: HostArgument, command: CommandArgument = None, spec: SpecOption = None,
        state: StateOption = None) -> None:
    """SSH to a machine the way kubeforge does: from kf-operator, through the gateway."""
    workspace, plan = _plan(spec, state)
    sh.require_root()
    argv = access.route(plan, host, workspace.ssh_key_path).ssh_argv(command or [])
    os.execvp(argv[0], argv)


@app.command("exec")
def exec_(host: HostArgument, command: CommandArgument = None, spec: SpecOption = None,
          state: StateOption = None) -> None:
    """Run a command as root inside a machine, like its console (no network needed)."""
    _, plan = _plan(spec, state)
    sh.require_root()
    argv = lifecycle.console_argv(plan, host, command or ["/bin/bash", "-l"])
    os.execvp(argv[0], argv)


def _print_status(plan: Plan) -> None:
    table = Table("machine", "role", "address", "pid", "running", "ready")
    for item in lifecycle.status(plan):
        table.add_row(item.name, item.role, item.address, str(item.pid or "-"),
                      _yes(item.running), _yes(item.ready))
    console.out.print(table)
    console.out.print(f"operator route: netns {access.operator_netns()} -> gateway "
                      f"{plan.gateway.name} at {access.gateway_address()}:22 -> ProxyJump")


def _yes(value: bool) -> str:
    return "[green]yes[/]" if value else "[red]no[/]"

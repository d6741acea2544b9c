"""The `kubeforge` command: parse, call the library, print. One module per command group."""

from __future__ import annotations

import sys

import typer

from kubeforge.cli import (
    apply,
    certs,
    console,
    dashboard,
    demo,
    etcd,
    image,
    kubeconfig,
    lab,
    nodes,
    reset,
    spec_cmds,
    status,
    up,
    upgrade,
    versions,
    volume,
)
from kubeforge.errors import KubeforgeError

app = typer.Typer(
    name="kubeforge",
    help="One cluster spec to a highly-available Kubernetes cluster; rehearsed on one Linux host.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
spec_cmds.register(app)
app.command()(up.up)
app.command()(up.destroy)
app.command()(apply.apply)
app.command()(versions.versions)
app.add_typer(lab.app, name="lab")
app.add_typer(demo.app, name="demo")
app.command()(kubeconfig.kubeconfig)
app.command()(dashboard.dashboard)
app.command()(status.status)
app.add_typer(image.app, name="image")
app.command()(nodes.add)
app.command()(nodes.remove)
app.command()(upgrade.upgrade)
app.command()(reset.reset)
app.add_typer(etcd.app, name="etcd")
app.add_typer(certs.app, name="certs")
app.add_typer(volume.app, name="volume")


def main() -> None:
    try:
        app()
    except KubeforgeError as exc:
        console.error(str(exc))
        sys.exit(exc.exit_code)

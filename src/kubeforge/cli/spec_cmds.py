"""Commands on the spec itself: init, validate, plan, render, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kubeforge.cli import console
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.plan.model import Plan
from kubeforge.render import bundle
from kubeforge.report import tables
from kubeforge.spec import default
from kubeforge.spec.model import ClusterSpec


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(validate)
    app.command()(plan)
    app.command()(render)
    app.command()(schema)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the spec.")] = Path("cluster.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the default spec (the reference design, errata fixed), with comments."""
    if path.exists() and not force:
        console.error(f"{path} exists; pass --force to overwrite it, or give another PATH")
        raise typer.Exit(1)
    path.write_text(default.default_text())
    console.out.print(f"wrote {path}: edit it, then run `kubeforge validate -f {path}`")


def validate(spec: SpecOption = None) -> None:
    """Check the spec; list every problem with its fix. Exit 2 if any is an error."""
    found = console.checked_workspace(spec, None, check_state=False).findings
    console.out.print("[green]valid[/]" + (" (with warnings)" if found else ""))


def plan(
    spec: SpecOption = None,
    state: StateOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a one-page report.")] = None,
) -> None:
    """Show the machines and networks the spec plans (and optionally an HTML report)."""
    workspace = console.checked_workspace(spec, state)
    found = workspace.findings
    planned = workspace.plan()
    console.out.print(host_table(planned))
    console.out.print(network_table(planned))
    if html:
        from kubeforge.report import html as report

        html.write_text(report.page(planned, found))
        console.out.print(f"report: {html}")


def render(
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")] = Path("out"),
    spec: SpecOption = None,
    state: StateOption = None,
) -> None:
    """Render every config file, manifest and cloud-init seed into OUT."""
    workspace = console.checked_workspace(spec, state)
    artifacts = bundle.render_all(workspace.plan(), workspace.secrets())
    bundle.write_tree(artifacts, out)
    hosts = len({a.host for a in artifacts if a.host})
    console.out.print(f"rendered {len(artifacts)} files for {hosts} machines into {out}/ "
                      f"(secrets kept in {workspace.state_dir}, mode 0600)")


def schema() -> None:
    """Print the JSON Schema of cluster.yaml (for editors)."""
    console.out.print_json(json.dumps(ClusterSpec.model_json_schema()))


def host_table(planned: Plan) -> Table:
    table = Table(title=f"machines of {planned.name}")
    for column in tables.HOST_COLUMNS:
        table.add_column(column)
    for row in tables.host_rows(planned):
        table.add_row(*row)
    return table


def network_table(planned: Plan) -> Table:
    table = Table(title="network")
    table.add_column("what")
    table.add_column("value")
    for what, value in tables.network_rows(planned):
        table.add_row(what, value)
    return table

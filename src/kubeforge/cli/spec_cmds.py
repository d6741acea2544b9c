"""Commands on the spec itself: init, validate, plan, render, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kubeforge.cli import console, fits
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.plan.model import Plan
from kubeforge.render import bundle, outdir
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
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing file, if it is an unedited default spec.")] = False,
) -> None:
    """Write the default spec (the reference design, errata fixed), with comments."""
    text = default.default_text()
    outdir.write_file(path, text, lambda old: old == text, "init", force)
    console.out.print(f"wrote {path}: edit it, then run `kubeforge validate -f {path}`")


def validate(spec: SpecOption = None) -> None:
    """Check the spec; list every problem with its fix. Exit 2 if any is an error."""
    found = console.checked_workspace(spec, None, check_state=False).findings
    console.out.print("[green]valid[/]" + (" (with warnings)" if found else ""))


def plan(
    spec: SpecOption = None,
    state: StateOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a one-page report.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing report (only a report kubeforge wrote).")] = False,
    provider: fits.ProviderOption = "virtualbox",
) -> None:
    """Show the machines and networks the spec plans, whether they fit this host for the
    provider (and optionally an HTML report)."""
    workspace = console.checked_workspace(spec, state)
    found = workspace.findings
    planned = workspace.plan()
    console.out.print(host_table(planned))
    console.out.print(network_table(planned))
    fits.report(planned, provider, workspace.state_dir)
    if html:
        from kubeforge.report import html as report

        outdir.write_file(html, report.page(planned, found), _is_report, "--html", force)
        console.out.print(f"report: {html}")


def render(
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")] = Path("out"),
    spec: SpecOption = None,
    state: StateOption = None,
) -> None:
    """Render every config file, manifest and cloud-init seed into OUT."""
    workspace = console.checked_workspace(spec, state)
    outdir.check(out, workspace.protected_paths())  # before any key or secret is generated
    artifacts = bundle.render_all(workspace.plan(), workspace.secrets())
    bundle.write_tree(artifacts, out, workspace.protected_paths())
    hosts = len({a.host for a in artifacts if a.host})
    console.out.print(f"rendered {len(artifacts)} files for {hosts} machines into {out}/ "
                      f"(secrets kept in {workspace.state_dir}, mode 0600)")


def _is_report(text: str) -> bool:
    from kubeforge.report import html as report

    return text.startswith("<!DOCTYPE html>") and report.GENERATOR in text


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

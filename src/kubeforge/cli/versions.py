"""`kubeforge versions`: what the spec deploys, pinned, with its source, and the Kubernetes
releases kubeforge supports today."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from kubeforge.cli import console
from kubeforge.cli.console import SpecOption
from kubeforge.report import versions as table

MarkdownOption = Annotated[bool, typer.Option(
    "--markdown", help="Print the components as a markdown table (the one in docs/versions.md).")]


def versions(spec: SpecOption = None, markdown: MarkdownOption = False) -> None:
    """List every component kubeforge deploys with its pinned version and source (docs/versions.md
    says how to bump them), and the Kubernetes minors it supports today."""
    workspace = console.checked_workspace(spec, None, check_state=False)
    if markdown:
        print(table.markdown(table.rows(workspace.spec)), end="")
        return
    console.out.print(_table(f"what {workspace.plan().name} deploys", table.COLUMNS, table.rows(workspace.spec)))
    console.out.print(_table("Kubernetes releases", table.WINDOW_COLUMNS, table.window_rows(date.today())))


def _table(title: str, columns: tuple[str, ...], rows: list[table.Row]) -> Table:
    result = Table(title=title)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*row)
    return result

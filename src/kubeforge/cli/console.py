"""Shared rich consoles and the options every command takes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from kubeforge.plan import findings as findings_mod
from kubeforge.workspace import Workspace

EXIT_INVALID = 2

# Not a terminal (CI logs, pipes): wide enough that tables of addresses and MACs stay readable.
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
out = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)

SpecOption = Annotated[
    Path | None,
    typer.Option("-f", "--file", help="Cluster spec (YAML). Default: the built-in reference spec.",
                 exists=False, dir_okay=False),
]
StateOption = Annotated[
    Path | None,
    typer.Option("--state", help="State root (secrets, SSH key, known_hosts, logs). "
                 "Default: ./.kubeforge or $KUBEFORGE_STATE."),
]


def error(message: str) -> None:
    for line in message.splitlines():
        err.print(Text("error: ", style="bold red") + Text(line), highlight=False)


def checked_workspace(spec: Path | None, state: Path | None, check_state: bool = True) -> Workspace:
    """THE gate: every command that reads a spec gets its Workspace here, loaded, validated,
    planned and its state directory checked (read only), before it does or writes anything.
    Prints every finding; exits 2 on an error (SpecError/StateError: main prints them)."""
    workspace = Workspace(spec, state, notify=note)
    found = workspace.check(state=check_state)
    print_findings(found)
    if findings_mod.has_errors(found):
        raise typer.Exit(EXIT_INVALID)
    return workspace


def note(message: str) -> None:
    out.print(Text("note: ", style="bold") + Text(message), highlight=False)


def print_findings(found: list[findings_mod.Finding]) -> None:
    for finding in found:
        style = "bold red" if finding.severity == "error" else "yellow"
        line = Text(f"{finding.severity}: ", style=style) + Text(f"{finding.field}: {finding.message}")
        (err if finding.severity == "error" else out).print(line)

"""Shared rich consoles and the options every command takes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

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

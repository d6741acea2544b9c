"""Does the spec fit this host? A table for `kubeforge plan`, warnings before `kubeforge up`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kubeforge import provision
from kubeforge.cli import console
from kubeforge.plan.model import Plan
from kubeforge.provision import capacity


def _known(provider: str) -> str:
    """Refused while parsing, before anything is printed (exit 2)."""
    if provider not in provision.NAMES:
        raise typer.BadParameter(f"{provider!r} is not a provider; choose one of "
                                 f"{', '.join(provision.NAMES)}")
    return provider


ProviderOption = Annotated[str, typer.Option(
    "--provider", help="Check that the machines fit this host for: virtualbox | libvirt | "
    "existing | lab.", callback=_known)]


def report(plan: Plan, provider: str, state_dir: Path) -> None:
    host = capacity.read_host(state_dir)
    table = Table("resource", "planned", "this host", title=f"fits this host? ({provider})")
    for row in capacity.summary(plan, provider, host):
        table.add_row(*row)
    console.out.print(table)
    found = capacity.fit(plan, provider, host)
    for finding in found:
        console.out.print(f"  over-commit: {finding.field}: {finding.message}",
                          highlight=False, soft_wrap=True)
    if not found:
        console.out.print(f"  fits: {provider} on this host", highlight=False)


def warn(plan: Plan, provider: str, state_dir: Path) -> None:
    """Before `up` creates anything: say what would be over-committed (it still goes ahead)."""
    for finding in capacity.fit(plan, provider, capacity.read_host(state_dir)):
        console.err.print(f"warning: {finding.field}: {finding.message}", highlight=False,
                          soft_wrap=True)

"""`kubeforge apply` as a command: options parse into the engine's selection and reach."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from kubeforge.cli.apply import apply


def app() -> typer.Typer:
    cli = typer.Typer()
    cli.command()(apply)
    return cli


def test_apply_needs_to_know_how_to_reach_the_machines(tmp_path: Path) -> None:
    result = CliRunner().invoke(app(), ["--state", str(tmp_path)])
    assert result.exit_code != 0
    assert "--gateway" in str(result.exception) and "--lab" in str(result.exception)


def test_unknown_phase_is_named_with_the_valid_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app(), ["--state", str(tmp_path), "--direct", "--phase", "nope"])
    assert "unknown phase 'nope'" in str(result.exception)
    assert "storage-pool" in str(result.exception)

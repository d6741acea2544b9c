"""Code health a reviewer would otherwise check by hand: the pipeline's layering (.importlinter),
strict typing (mypy) and lint (ruff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=REPO, capture_output=True,
                          text=True, check=False)


def test_import_contracts_are_kept() -> None:
    """A later stage may import an earlier one, never back; asyncssh stays at the edge."""
    result = run("lint-imports")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_mypy_strict_is_clean() -> None:
    result = run("mypy", "src")
    assert result.returncode == 0, result.stdout[-3000:]


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", "src", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout[-3000:]

"""Run the `kubeforge` command in this process (as the console script does: cli.main), fast
enough to drive every command many times; exit code, stdout and stderr as a user sees them."""

from __future__ import annotations

import sys

import pytest

from kubeforge import cli


def run(args: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kubeforge", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err

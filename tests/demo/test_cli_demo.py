"""`kubeforge demo`: arguments are checked before any lab machine is touched."""

from __future__ import annotations

from typer.testing import CliRunner

from kubeforge.cli.demo import app


def test_an_unknown_vip_manager_is_refused_with_the_choices() -> None:
    result = CliRunner().invoke(app, ["ha", "--manager", "vrrpd"])
    assert result.exit_code == 2
    assert "pacemaker, keepalived or both" in result.output

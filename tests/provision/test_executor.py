"""The one executor: runs argv actions, or records them in dry-run; failures name the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge.errors import ProviderError
from kubeforge.provision.base import Action
from kubeforge.provision.executor import Executor


def test_dry_run_records_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "made"
    action = Action("touch", "marker", ("touch", str(marker)))
    executor = Executor(dry_run=True)
    executor.run(action)
    assert executor.recorded == [action] and not marker.exists()


def test_real_run_executes_the_argv(tmp_path: Path) -> None:
    marker = tmp_path / "made by kubeforge"
    Executor().run(Action("touch", "marker", ("touch", str(marker))))
    assert marker.exists()  # the space stayed inside one argument: no shell


def test_failure_names_command_exit_code_and_stderr() -> None:
    action = Action("fail", "x", ("sh", "-c", "echo boom >&2; exit 3"))
    with pytest.raises(ProviderError) as caught:
        Executor().run(action)
    message = str(caught.value)
    assert "exit 3" in message and "sh -c 'echo boom >&2; exit 3'" in message and "boom" in message


def test_missing_program_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="kf-no-such-program: not found on PATH"):
        Executor().run(Action("x", "y", ("kf-no-such-program",)))


def test_query_of_a_missing_program_is_none_and_a_failing_query_raises() -> None:
    assert Executor().query(["kf-no-such-program", "list"]) is None
    assert Executor(dry_run=True).query(["echo", "facts"]) == "facts\n"  # facts read in dry-run
    with pytest.raises(ProviderError, match="exit 1"):
        Executor().query(["false"])


def test_action_describes_itself_as_a_shell_would_read_it() -> None:
    assert Action("a", "t", ("VBoxManage", "createvm", "--name", "my vm")).describe() == (
        "VBoxManage createvm --name 'my vm'"
    )
    assert Action("define-domain", "kube-gate01", document="<domain/>").describe() == (
        "define-domain kube-gate01"
    )

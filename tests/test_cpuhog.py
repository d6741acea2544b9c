"""The CPU hog helper: burns CPU, ends by itself, and is gone after the context."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import cpuhog


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _soon(condition: Callable[[], bool], within: float = 120.0) -> bool:
    """Polls: on a host loaded by others a new process may wait long for its first slice."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_hog_burns_cpu_and_is_killed_at_the_end() -> None:
    with cpuhog.running(1) as pids:
        assert _soon(lambda: _cpu_seconds(pids[0]) > 0.5)
    assert not Path(f"/proc/{pids[0]}").exists()


def test_hog_ends_by_itself_after_its_limit() -> None:
    with cpuhog.running(1, limit=0.5) as pids:
        assert _soon(lambda: _state(pids[0]) == "Z")  # exited, left for the context to reap


def test_env_var_is_a_bounded_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cpuhog.ENV, raising=False)
    assert cpuhog.requested() == 0
    monkeypatch.setenv(cpuhog.ENV, "2")
    assert cpuhog.requested() == 2
    monkeypatch.setenv(cpuhog.ENV, "yes")
    with pytest.raises(ValueError, match="KUBEFORGE_TEST_CPU_HOG"):
        cpuhog.requested()

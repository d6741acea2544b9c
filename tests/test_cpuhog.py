"""The CPU hog helper: burns CPU, ends by itself, and is gone after the context."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests import cpuhog


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_hog_burns_cpu_and_is_killed_at_the_end() -> None:
    with cpuhog.running(1) as pids:
        time.sleep(1.5)
        assert _cpu_seconds(pids[0]) > 0.1  # a busy host shares its cores with others
    assert not Path(f"/proc/{pids[0]}").exists()


def test_hog_ends_by_itself_after_its_limit() -> None:
    with cpuhog.running(1, limit=0.5) as pids:
        time.sleep(2.0)
        state = Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert state == "Z"  # exited, waiting to be reaped by the context


def test_env_var_is_a_bounded_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cpuhog.ENV, raising=False)
    assert cpuhog.requested() == 0
    monkeypatch.setenv(cpuhog.ENV, "2")
    assert cpuhog.requested() == 2
    monkeypatch.setenv(cpuhog.ENV, "yes")
    with pytest.raises(ValueError, match="KUBEFORGE_TEST_CPU_HOG"):
        cpuhog.requested()

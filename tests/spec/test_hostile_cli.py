"""A share of the hostile suite through the real command (`kubeforge.cli.main`, in-process):
`validate` and `render` exit 0 or 2, print no traceback and no sentinel secret, and a refused
render writes nothing."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings

from tests.cli.inproc import run
from tests.spec import hostile
from tests.spec.test_hostile import one_field, with_secrets

CASES = 150  # each runs two commands; the library suite (test_hostile.py) carries the volume
_numbers = itertools.count()


@settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=one_field() | with_secrets())
def test_hostile_specs_through_the_cli(data: dict[str, Any], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_text(hostile.to_yaml(data))
    out = tmp_path / f"out{next(_numbers)}"
    checked = run(["validate", "-f", str(spec)], monkeypatch, capsys)
    rendered = run(["render", "-f", str(spec), "--out", str(out), "--state", str(tmp_path / "state")],
                   monkeypatch, capsys)
    for code, stdout, stderr in (checked, rendered):
        assert code in (0, 2), (code, stdout, stderr)
        assert "Traceback" not in stdout + stderr
        assert not hostile.leaked(stdout + stderr), stdout + stderr
    assert rendered[0] == checked[0], (checked, rendered)  # the one gate: same verdict
    assert out.exists() == (rendered[0] == 0)  # refused: nothing written
    event(f"exit {rendered[0]}")


@pytest.mark.parametrize("text", [b"name: \xff\n", b"a: &a [*a]\n", b"- a\n", b"name: x\nname: y\n",
                                  b"[" * 200, b"x: " + b"9" * 5000 + b"\n"])
def test_unreadable_files_exit_2_in_one_line(text: bytes, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_bytes(text)
    code, stdout, stderr = run(["validate", "-f", str(spec)], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in stdout + stderr
    # One problem, one message (rich may wrap it at the terminal's width).
    assert stderr.count("error: ") == 1 and re.search(rf"{spec}:\d+: ", stderr), stderr


def test_a_huge_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    code, _, stderr = run(["validate", "-f", str(spec)], monkeypatch, capsys)
    assert code == 2 and "larger than 1024 KiB" in stderr

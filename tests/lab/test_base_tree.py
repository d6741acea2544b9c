"""The lab's base tree is built once per release and package set, also when two labs (other
prefixes, one shared cache) come up at the same time."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kubeforge.lab import base
from kubeforge.lab.paths import LabPaths


def test_two_first_lab_ups_at_once_build_the_tree_once(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Before the lock both built it side by side, and one failed on apt's dpkg lock.
    paths = LabPaths(cache=tmp_path / "cache", state=tmp_path / "state")
    builds: list[tuple[float, float]] = []

    def build(paths: LabPaths, release: str, tree: Path) -> None:
        started = time.monotonic()
        time.sleep(0.3)
        tree.mkdir(parents=True, exist_ok=True)
        (tree / base.STAMP_READY).write_text(json.dumps({"packages": list(base.role_packages())}))
        builds.append((started, time.monotonic()))

    monkeypatch.setattr(base, "_build", build)
    monkeypatch.setattr(base.sh, "require_root", lambda: None)
    trees: list[Path] = []
    ups = [threading.Thread(target=lambda: trees.append(base.ensure(paths, "trixie")))
           for _ in range(2)]
    for up in ups:
        up.start()
    for up in ups:
        up.join(timeout=30)
    assert len(builds) == 1
    assert trees == [base.tree_path(paths, "trixie")] * 2

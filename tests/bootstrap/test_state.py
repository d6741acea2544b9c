"""The apply state: what counts as converged, and survival of a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge import errors
from kubeforge.bootstrap.state import ApplyState


def test_converged_needs_same_inputs_and_same_machine(tmp_path: Path) -> None:
    state = ApplyState.load(tmp_path)
    state.record("gateway", "gw", "d1", 3, identity="SHA256:aaa")
    again = ApplyState.load(tmp_path)  # read back from disk
    assert again.converged("gateway", "gw", "d1", "SHA256:aaa")
    assert not again.converged("gateway", "gw", "d2", "SHA256:aaa")  # inputs changed
    assert not again.converged("gateway", "gw", "d1", "SHA256:bbb")  # machine re-created
    assert not again.converged("gateway", "gw", "d1", "")  # nothing pinned: a new lab
    assert again.converged("gateway", "gw", "d1", None)  # transport without host keys


def test_unreadable_state_says_how_to_recover(tmp_path: Path) -> None:
    (tmp_path / "apply-state.json").write_text("{not json")
    with pytest.raises(errors.StateError, match="delete it"):
        ApplyState.load(tmp_path)

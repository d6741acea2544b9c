"""The state directory is trusted only when it is ours alone, and every secret read back is checked.

Each case is one the hostile review found accepted: a symlinked state directory (secrets were
written into its target), a 0-byte Corosync authkey and `token: 123` (rendered as they were).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from kubeforge.errors import SpecError, StateError
from kubeforge.render import private, secrets
from kubeforge.spec import default
from kubeforge.spec.model import ClusterSpec


def spec(**loadbalancer: Any) -> ClusterSpec:
    base = default.default_spec()
    return base.model_copy(update={"loadbalancer": base.loadbalancer.model_copy(update=loadbalancer)})


def stored(state: Path) -> dict[str, Any]:
    return dict(json.loads((state / secrets.FILE).read_text()))


def corrupt(state: Path, **entries: Any) -> None:
    data = stored(state) | entries
    (state / secrets.FILE).write_text(json.dumps(data))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state directory with secrets generated once."""
    path = tmp_path / "root" / "kube"
    secrets.load_or_create(path, spec())
    return path


def test_generated_secrets_are_private_and_reused(state: Path) -> None:
    assert os.stat(state).st_mode & 0o777 == 0o700
    assert os.stat(state / secrets.FILE).st_mode & 0o777 == 0o600
    first = stored(state)
    assert secrets.load_or_create(state, spec()).values() == [first[f] for f in secrets.CHECKS]
    assert stored(state) == first


@pytest.mark.parametrize(("entry", "value", "why"), [
    ("corosync_authkey_b64", "", "0 bytes once decoded"),
    ("corosync_authkey_b64", "not base64!", "not base64"),
    ("corosync_authkey_b64", base64.b64encode(b"x" * 16).decode(), "16 bytes"),
    ("kubeadm_token", 123, "not a string"),
    ("kubeadm_token", "abcdef.0123", "kubeadm token"),
    ("kubeadm_certificate_key", "zz" * 32, "64 hex digits"),
    ("keepalived_password", "", "VRRP"),
    ("haproxy_stats_password", "short", "12+"),
    ("haproxy_stats_password", "a" * 12 + "\nstats admin if TRUE", "12+"),
])
def test_a_malformed_secret_is_refused_naming_file_and_entry_not_value(
        state: Path, entry: str, value: Any, why: str) -> None:
    corrupt(state, **{entry: value})
    before = (state / secrets.FILE).read_bytes()
    with pytest.raises(StateError) as caught:
        secrets.load_or_create(state, spec())
    message = str(caught.value)
    assert str(state / secrets.FILE) in message and entry in message and why in message
    assert f'delete the "{entry}" entry' in message  # how to regenerate it
    if isinstance(value, str) and len(value) > 3:
        assert value not in message
    assert (state / secrets.FILE).read_bytes() == before  # nothing rewritten
    with pytest.raises(StateError):
        secrets.check_state(state, spec())  # the gate refuses it too, before any command acts


def test_a_deleted_entry_is_regenerated_and_said(state: Path) -> None:
    data = stored(state)
    old = data.pop("kubeadm_token")
    (state / secrets.FILE).write_text(json.dumps(data))
    os.chmod(state / secrets.FILE, 0o600)
    notes: list[str] = []
    fresh = secrets.load_or_create(state, spec(), notes.append)
    assert fresh.kubeadm_token != old and stored(state)["kubeadm_token"] == fresh.kubeadm_token
    assert notes == [f"{state / secrets.FILE}: kubeadm_token was missing; generated a new one"]


@pytest.mark.parametrize("text", ["{not json", "[]", "\xff"])
def test_a_corrupt_file_is_refused(state: Path, text: str) -> None:
    (state / secrets.FILE).write_text(text, errors="surrogateescape")
    with pytest.raises(StateError, match="restore it from a backup|delete it"):
        secrets.load_or_create(state, spec())


def test_a_symlinked_state_directory_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "kube").symlink_to(target)
    with pytest.raises(StateError, match="is a symlink"):
        secrets.load_or_create(tmp_path / "root" / "kube", spec())
    with pytest.raises(StateError, match="is a symlink"):
        secrets.check_state(tmp_path / "root" / "kube", spec())
    assert list(target.iterdir()) == []


def test_a_symlinked_state_root_or_file_is_refused(tmp_path: Path, state: Path) -> None:
    (tmp_path / "linkroot").symlink_to(state.parent)
    with pytest.raises(StateError, match="is a symlink"):
        secrets.load_or_create(tmp_path / "linkroot" / "kube", spec())
    (tmp_path / "planted.json").write_text(json.dumps(stored(state)))
    os.chmod(tmp_path / "planted.json", 0o600)
    (state / secrets.FILE).unlink()
    (state / secrets.FILE).symlink_to(tmp_path / "planted.json")
    with pytest.raises(StateError, match="is a symlink"):
        secrets.load_or_create(state, spec())


@pytest.mark.parametrize(("which", "mode"), [("dir", 0o750), ("dir", 0o705), ("file", 0o640),
                                             ("file", 0o604)])
def test_state_open_to_others_is_refused_with_the_chmod_fix(state: Path, which: str,
                                                              mode: int) -> None:
    path = state if which == "dir" else state / secrets.FILE
    os.chmod(path, mode)
    with pytest.raises(StateError) as caught:
        secrets.load_or_create(state, spec())
    want = "700" if which == "dir" else "600"
    assert f"mode {mode:04o}" in str(caught.value) and f"chmod {want} {path}" in str(caught.value)


def test_state_of_another_user_is_refused(state: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    os.chown(state / secrets.FILE, 4242, 4242)
    with pytest.raises(StateError, match="owned by uid 4242, not by you"):
        secrets.load_or_create(state, spec())


def test_a_secret_set_in_the_spec_after_the_first_render_replaces_the_stored_one(
        state: Path) -> None:
    chosen = "Chosen-By-Operator-42"
    notes: list[str] = []
    got = secrets.load_or_create(state, spec(stats_password=chosen), notes.append)
    assert got.haproxy_stats_password == chosen
    assert stored(state)["haproxy_stats_password"] == chosen  # kept for the next render
    assert notes == [(f"loadbalancer.stats_password: the spec's value replaces the one kept in "
                      f"{state / secrets.FILE}; `kubeforge apply` rolls it out")]
    assert chosen not in notes[0]
    again: list[str] = []
    secrets.load_or_create(state, spec(stats_password=chosen), again.append)
    assert again == []  # said once, when it changed


def test_a_spec_secret_the_config_cannot_carry_is_refused_with_the_reason(state: Path) -> None:
    before = (state / secrets.FILE).read_bytes()
    hostile = spec(stats_password="twelve chars but:spaces")
    with pytest.raises(SpecError) as caught:
        secrets.load_or_create(state, hostile)
    assert "loadbalancer.stats_password" in str(caught.value) and "spaces" not in str(caught.value)
    assert (state / secrets.FILE).read_bytes() == before
    with pytest.raises(SpecError):
        secrets.check_state(state, hostile)  # the gate, before anything is written


def test_a_planted_temporary_link_is_not_followed(state: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (state / f".{secrets.FILE}.tmp").symlink_to(victim)
    private.write(state / secrets.FILE, b"{}")
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("name", ["known_hosts", "endpoints.json", "logs/kube-gate01.log"])
def test_a_link_planted_anywhere_in_the_state_is_refused_by_the_gate(
        state: Path, tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (state / name).parent.mkdir(exist_ok=True, mode=0o700)
    (state / name).symlink_to(victim)
    with pytest.raises(StateError, match=f"{name}: is a symlink"):
        secrets.check_state(state, spec())
    assert victim.read_text() == "precious"

"""Pinning host keys: appended to the state's known_hosts, never through a planted link."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import asyncssh
import pytest

from kubeforge import errors
from kubeforge.bootstrap.ssh import KnownHosts, Target

TARGET = Target("kube-node01", "192.168.2.11")


def _key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def test_a_pin_is_appended_private_and_read_back(tmp_path: Path) -> None:
    state = tmp_path / "state"
    known, key = KnownHosts(state / "known_hosts"), _key()
    asyncio.run(known.pin(TARGET, key))
    assert stat.S_IMODE((state / "known_hosts").stat().st_mode) == 0o600
    assert {k.public_data for k in known.pinned(TARGET)} == {key.public_data}


def test_a_known_hosts_link_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    elsewhere = tmp_path / "someone-elses-file"
    elsewhere.write_text("theirs\n")
    (state / "known_hosts").symlink_to(elsewhere)
    with pytest.raises(errors.StateError, match="symlink"):
        asyncio.run(KnownHosts(state / "known_hosts").pin(TARGET, _key()))
    assert elsewhere.read_text() == "theirs\n"

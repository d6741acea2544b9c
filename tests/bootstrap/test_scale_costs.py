"""Costs that must not grow faster than the number of hosts (issue 9: the engine at 100
workers). Counted, not timed: a count does not depend on how loaded the host is."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh
import pytest

from kubeforge.bootstrap import ssh


def _target(n: int) -> ssh.Target:
    return ssh.Target(f"node{n:03}", f"10.0.1.{n}")


def test_known_hosts_is_parsed_once_per_change_not_once_per_question(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    known = ssh.KnownHosts(tmp_path / "known_hosts")
    keys = {n: asyncssh.generate_private_key("ssh-ed25519") for n in range(1, 41)}
    for n, key in keys.items():
        asyncio.run(known.pin(_target(n), key))
    parses: list[str] = []
    real = asyncssh.read_known_hosts
    monkeypatch.setattr(asyncssh, "read_known_hosts", lambda p: parses.append(p) or real(p))
    matches: list[str] = []  # each walks every entry: once per host, not once per question
    real_match = asyncssh.SSHKnownHosts.match
    monkeypatch.setattr(asyncssh.SSHKnownHosts, "match",
                        lambda self, *a: matches.append(a[0]) or real_match(self, *a))
    for _ in range(3):  # the runner asks for every host's key in every phase
        for n, key in keys.items():
            assert {k.get_fingerprint() for k in known.pinned(_target(n))} == {
                key.get_fingerprint()}
    assert len(parses) == 1 and len(matches) == len(keys)
    newcomer = asyncssh.generate_private_key("ssh-ed25519")
    asyncio.run(known.pin(_target(41), newcomer))  # the file changed: read again, once
    assert known.pinned(_target(41))[0].get_fingerprint() == newcomer.get_fingerprint()
    assert known.pinned(_target(1)) and len(parses) == 2

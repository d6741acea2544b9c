"""The handoff file `up` writes and every later command reads: private, atomic, checked."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kubeforge import netns_socket
from kubeforge.bootstrap import inventory
from kubeforge.errors import ApplyError, StateError
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.provision import handoff, lab
from kubeforge.provision.base import Endpoint


def _record(plan: Plan, **gateway: object) -> handoff.Handoff:
    gate = plan.gateway.name
    endpoints = {gate: Endpoint(gate, "127.0.0.1", 2222, "debian", **gateway)}  # type: ignore[arg-type]
    endpoints |= {m.name: Endpoint(m.name, str(m.address), 22, "debian", jump=gate)
                  for m in plan.machines if m.name != gate}
    return handoff.Handoff("virtualbox", endpoints)


def test_round_trip_is_private_and_keeps_every_field(tmp_path: Path, plan: Plan) -> None:
    record = _record(plan, known_hosts="/srv/kh", netns="kf-operator")
    written = handoff.save(tmp_path, record)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert handoff.load(tmp_path) == record
    assert not list(tmp_path.glob(".*.tmp"))  # written by rename, no leftovers


def test_nothing_recorded_is_none_and_apply_says_how_to_fix_it(tmp_path: Path,
                                                                plan: Plan) -> None:
    assert handoff.load(tmp_path) is None
    with pytest.raises(ApplyError, match=r"kubeforge up --provider .*--gateway.*--direct"):
        inventory.recorded(plan, tmp_path)


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda d: d["endpoints"][0].update(port="22"), "wrong type"),
    (lambda d: d["endpoints"][0].update(colour="red"), "unknown endpoint field"),
    (lambda d: d["endpoints"][1].update(jump="kube-nope01"), "has no endpoint"),
    (lambda d: d.update(version=7), "version 7"),
    (lambda d: d["endpoints"].append(d["endpoints"][0]), "listed twice"),
])
def test_a_damaged_record_is_refused_with_the_fix(tmp_path: Path, plan: Plan, edit: object,
                                                  problem: str) -> None:
    path = handoff.save(tmp_path, _record(plan))
    data = json.loads(path.read_text())
    edit(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    with pytest.raises(StateError, match=problem) as caught:
        handoff.load(tmp_path)
    assert "kubeforge up" in str(caught.value)


def test_recorded_reach_follows_the_endpoints_and_user_override(tmp_path: Path,
                                                                 plan: Plan) -> None:
    handoff.save(tmp_path, _record(plan))
    reach = inventory.recorded(plan, tmp_path, user="root")
    gate = reach.targets[plan.gateway.name]
    assert (gate.address, gate.port, gate.jump, gate.user, gate.sudo) == (
        "127.0.0.1", 2222, None, "root", False)
    assert reach.targets["kube-mast01"].jump == plan.gateway.name
    assert reach.sock_factory is None and reach.known_hosts is None
    assert reach.kubernetes_binaries


def test_machines_the_record_lacks_are_named(tmp_path: Path, plan: Plan) -> None:
    record = _record(plan)
    del record.endpoints["kube-node03"]
    with pytest.raises(ApplyError, match="no recorded endpoint for kube-node03"):
        inventory.from_handoff(plan, record)


def test_the_lab_records_its_namespace_and_known_hosts_as_data(tmp_path: Path,
                                                                plan: Plan) -> None:
    paths = LabPaths(cache=tmp_path / "cache", state=tmp_path / "lab", prefix="kfzz")
    record = lab.handoff(plan, paths)
    gate = record.endpoints[plan.gateway.name]
    assert (gate.netns, gate.known_hosts, gate.jump) == (
        "kfzz-operator", str(tmp_path / "lab" / "known_hosts"), None)
    assert not record.kubernetes_binaries
    handoff.save(tmp_path, record)
    reach = inventory.recorded(plan, tmp_path)
    assert reach.known_hosts == tmp_path / "lab" / "known_hosts"
    assert not reach.kubernetes_binaries and reach.sock_factory is not None
    # The factory dials the recorded namespace: here it does not exist, and says so.
    with pytest.raises(netns_socket.NamespaceError, match="kfzz-operator does not exist"):
        reach.sock_factory(gate.host, gate.port)


def test_a_record_others_can_read_or_redirect_is_refused(tmp_path: Path, plan: Plan) -> None:
    written = handoff.save(tmp_path, _record(plan))
    written.chmod(0o644)
    with pytest.raises(StateError, match="chmod 600"):
        handoff.load(tmp_path)
    written.unlink()
    written.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(StateError, match="symlink"):
        handoff.load(tmp_path)

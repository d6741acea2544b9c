"""`kubeforge status` from what the machines answer: pure folding and parsing, plus the
reads against a stand-in reader."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.runner import HostReport, PhaseReport
from kubeforge.bootstrap.state import ApplyState
from kubeforge.plan.build import build_plan
from kubeforge.spec import default
from kubeforge.verify import dashboard, status

STATUS_XML = """<cliOutput><volStatus><volumes><volume><volName>gv0</volName>
<node><hostname>kube-glus01.kube.local</hostname><path>/srv/gluster/gv0/brick</path><status>1</status></node>
<node><hostname>kube-glus02.kube.local</hostname><path>/srv/gluster/gv0/brick</path><status>0</status></node>
<node><hostname>Self-heal Daemon</hostname><path>localhost</path><status>1</status></node>
</volume></volumes></volStatus></cliOutput>"""
# The shape glfs-heal writes (gluster heal/src/glfs-heal.c: <brick hostUuid><name>host:path).
HEAL_XML = """<cliOutput><healInfo><bricks>
<brick hostUuid="x"><name>kube-glus01.kube.local:/srv/gluster/gv0/brick</name><status>Connected</status><numberOfEntries>4</numberOfEntries></brick>
<brick hostUuid="y"><name>kube-glus02.kube.local:/srv/gluster/gv0/brick</name><status>Transport endpoint is not connected</status><numberOfEntries>-</numberOfEntries></brick>
</bricks></healInfo></cliOutput>"""


def ctx(kubernetes: bool = True) -> Context:
    return Context(build_plan(default.default_spec()), (), kubernetes_binaries=kubernetes)


class Answers:
    """A stand-in reader: stdout per (host, command prefix); None = failed or unreachable."""

    def __init__(self, answers: dict[tuple[str, str], str]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    async def try_read(self, host: str, command: str) -> bytes | None:
        self.asked.append((host, command))
        for (h, prefix), out in self.answers.items():
            if h == host and command.startswith(prefix):
                return out.encode()
        return None


def test_bricks_online_and_heal_backlog_from_gluster_xml() -> None:
    found = status.bricks(STATUS_XML, HEAL_XML)
    assert [(b.online, b.heal_pending) for b in found] == [(True, 4), (False, None)]
    assert found[0].name == "kube-glus01.kube.local:/srv/gluster/gv0/brick"


def test_machines_fold_converged_pending_drift_and_lab_only(tmp_path: Path) -> None:
    state = ApplyState(tmp_path / "s.json", {"lb": {"kube-hapx01": {"digest": "x"}}})
    reports = [PhaseReport("lb", "", False, [HostReport("kube-hapx01", "would-change"),
                                             HostReport("kube-hapx02", "would-change")]),
               PhaseReport("gateway", "", False, [HostReport("kube-gate01", "converged")]),
               PhaseReport("cni", "", True, [HostReport("kube-mast01", "would-change")])]
    found = {m.name: m for m in status.machines(ctx(), {"kube-hapx01": True}, reports, state)}
    assert found["kube-hapx01"].drift == ["lb"] and found["kube-hapx02"].drift == []
    assert found["kube-hapx02"].pending == ["lb"] and not found["kube-hapx02"].reachable
    assert found["kube-gate01"].converged == ["gateway"]
    assert found["kube-mast01"].dry_only == ["cni"] and not found["kube-mast01"].pending


def test_vip_holder_and_nodes_from_the_machines() -> None:
    c = ctx()
    vip = str(c.plan.network.api_vip)
    nodes = {"items": [{"metadata": {"name": "kube-mast01"}, "status": {"conditions": [
        {"type": "Ready", "status": "True"}]}}, {"metadata": {"name": "kube-node01"},
        "status": {"conditions": [{"type": "Ready", "status": "False"}]}}]}
    reader = Answers({("kube-hapx02", "ip -4"): f"2: dmz0 inet {vip}/24 scope global\n",
                      ("kube-hapx01", "ip -4"): "2: dmz0 inet 192.168.4.11/24\n",
                      ("kube-mast01", "kubectl"): json.dumps(nodes)})
    assert asyncio.run(status.vip_holders(reader, c)) == ["kube-hapx02"]
    found, note = asyncio.run(status.nodes(reader, c))
    assert found == [status.Node("kube-mast01", True), status.Node("kube-node01", False)]
    assert note == "read on kube-mast01"


def test_on_the_lab_nodes_are_dry_run_and_nothing_is_asked() -> None:
    reader = Answers({})
    found, note = asyncio.run(status.nodes(reader, ctx(kubernetes=False)))
    assert found is None and note.startswith("dry-run only") and "get nodes" in note
    assert reader.asked == []


def test_dashboard_token_is_minted_for_its_service_account() -> None:
    c = ctx()
    access = dashboard.access(c.plan)
    assert access is not None and access.url == "http://localhost:8080/"
    reader = Answers({("kube-mast01", "kubectl"): "eyJ.token\n"})
    assert asyncio.run(dashboard.token(reader, "kube-mast01", access)) == "eyJ.token"
    assert reader.asked == [("kube-mast01", dashboard.token_command(access))]
    assert "create token kubeforge-dashboard --duration 1h" in reader.asked[0][1]

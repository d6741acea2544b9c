"""`kubeforge status` and `kubeforge kubeconfig` over real SSH: the engine's fixture hosts
(sshd in `kft-*` namespaces, tests/bootstrap/sshnet.py) behind a recorded handoff whose
endpoints name the client namespace, as the lab's do. These hosts are no cluster: the checks
must say what they found, not guess."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kubeforge.cli import app
from kubeforge.plan.model import Plan
from kubeforge.provision import handoff
from kubeforge.provision.base import Endpoint
from kubeforge.workspace import Workspace
from tests.bootstrap import sshnet

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(not sshnet.available(), reason="needs root and sshd")]


@pytest.fixture
def cluster(tmp_path: Path, raw: dict[str, Any]) -> Iterator[tuple[Path, Path, Plan]]:
    for role in ("control_plane", "worker"):
        raw["hosts"][role]["count"] = 1
    raw["addons"]["coredns"] = {"replicas": 1}
    spec = tmp_path / "cluster.yaml"
    spec.write_text(yaml.safe_dump(raw))
    state = tmp_path / "state"
    ws = Workspace(spec, state)
    plan = ws.plan()  # makes the operator key the fixture hosts authorise
    net = sshnet.SshNet(tmp_path / "net", 2)
    try:
        net.up(ws.ssh_key_path)
        gateway = plan.gateway.name
        # The gateway is dialled from the client namespace; the rest by ProxyJump through it.
        endpoints = {gateway: Endpoint(gateway, net.address(1), 22, "root",
                                       netns=net.client)}
        endpoints |= {m.name: Endpoint(m.name, net.address(2), 22, "root", jump=gateway)
                      for m in plan.machines if m.name != gateway}
        handoff.save(ws.state_dir, handoff.Handoff("existing", endpoints))
        yield spec, state, plan
    finally:
        net.down()


def kubeforge(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_status_reads_every_machine_over_the_recorded_route(
        cluster: tuple[Path, Path, Plan]) -> None:
    spec, state, plan = cluster
    code, out = kubeforge("status", "-f", str(spec), "--state", str(state))
    assert code == 1, out  # not a cluster: it needs attention, and says where
    for machine in plan.machines:
        assert re.search(rf"{machine.name}\W+\w+\W+yes\W", out), out
    assert "preflight" in out  # no systemd on these hosts: the check fails, by name
    assert "held by nobody" in out
    assert "gluster volume status" in out and "did not answer" in out
    assert "no cluster answers" in out


def test_kubeconfig_without_a_cluster_says_what_to_run(cluster: tuple[Path, Path, Plan]) -> None:
    spec, state, plan = cluster
    code, out = kubeforge("kubeconfig", "-f", str(spec), "--state", str(state))
    assert code != 0 and "no /etc/kubernetes/admin.conf" in out, out
    assert "control-plane-init" in out
    assert not (state / plan.name / "kubeconfig").exists()

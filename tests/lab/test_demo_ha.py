"""`kubeforge demo ha` on the shared session lab, once per VIP manager, with short probes.

What a user would notice: the API VIP comes back after the load balancer holding it loses
power, and no client request fails while one master's API server stops. The figures (how
long the VIP was away) belong to docs/benchmarks.md (benchmarks/demos.py), not here.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from kubeforge.demo import ha
from kubeforge.demo.onlab import DemoLab
from kubeforge.lab import lifecycle
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def scenarios(lab: Lab) -> tuple[DemoLab, list[ha.Scenario]]:
    demo = DemoLab(lab.workspace, lab.paths, lab.plan, Console(file=io.StringIO(), width=200))
    return demo, ha.run(demo, ha.MANAGERS, seconds=20)


def test_the_vip_comes_back_when_its_load_balancer_loses_power(
        scenarios: tuple[DemoLab, list[ha.Scenario]]) -> None:
    _, results = scenarios
    lost_power = [r for r in results if r.fault.startswith("load balancer")]
    assert [r.manager for r in lost_power] == list(ha.MANAGERS)
    for result in lost_power:
        assert result.summary["unrecovered"] is False, result
        # The probe saw the VIP go away: the power cut really hit the active balancer.
        assert result.summary["errors"] > 0, result


def test_no_client_error_while_a_master_stops(
        scenarios: tuple[DemoLab, list[ha.Scenario]]) -> None:
    _, results = scenarios
    stopped = [r for r in results if "master" in r.fault]
    assert len(stopped) == len(ha.MANAGERS)
    for result in stopped:
        assert result.summary["errors"] == 0, result
        # Every master answered at some point, the stopped one before and after its stop.
        assert result.victim in result.summary["served_by"], result


def test_the_lab_is_whole_again_with_the_specs_vip_manager(
        scenarios: tuple[DemoLab, list[ha.Scenario]], lab: Lab) -> None:
    demo, _ = scenarios
    assert all(m.running and m.ready for m in lifecycle.status(lab.plan, lab.paths))
    assert len(ha.vip_holders(demo)) == 1
    for host in ha.balancers(demo):
        assert lab.out(host, "systemctl is-active pacemaker") == "active"
        assert lab.exec(host, "systemctl is-active keepalived").stdout.strip() != "active"

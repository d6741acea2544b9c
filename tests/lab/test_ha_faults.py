"""Issue 9, item 3: the load-balancer pair heals itself, per VIP manager and fault class, on
the shared session lab. A worker talks to the VIP throughout (demo.probe); the fault always
hits the balancer holding the VIP (demo.faults). What a user would notice, asserted:
  - within 10 s of the fault exactly one machine holds the VIP, for good, and the client gets
    answers again (it recovered before the probe ended);
  - within 60 s of the fault (of its end, for power and partition) the pair is whole again:
    every daemon up on both, (Pacemaker) both online members, nobody acting;
  - when a partition ends, no client outage over 1 s.
Timings are figures for docs/benchmarks.md (benchmarks/demos.py), not asserted here beyond
the issue's bounds.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console

from kubeforge.demo import faults, ha
from kubeforge.demo.onlab import DemoLab
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

# One daemon of each kind per manager (the benchmark kills every one of them, 5 times).
CASES = [
    ("pacemaker", "power"), ("pacemaker", "partition"), ("pacemaker", "kill:haproxy"),
    ("pacemaker", "kill:corosync"), ("pacemaker", "kill:pacemaker-controld"),
    ("keepalived", "power"), ("keepalived", "partition"), ("keepalived", "kill:haproxy"),
    ("keepalived", "kill:keepalived"), ("keepalived", "kill:keepalived-vrrp"),
]


class Pair:
    """The shared lab, converged for one VIP manager at a time (in CASES order)."""

    def __init__(self, lab: Lab) -> None:
        self.demo = DemoLab(lab.workspace, lab.paths, lab.plan,
                            Console(file=io.StringIO(), width=200))
        self.manager: ha.Manager | None = None

    def using(self, manager: ha.Manager) -> DemoLab:
        if manager != self.manager:
            ha.converge(self.demo, self.demo.workspace.operator_spec(), manager)
            self.manager = manager
        return self.demo


@pytest.fixture(scope="module")
def pair(lab: Lab) -> Iterator[Pair]:
    pair = Pair(lab)
    yield pair
    own = pair.demo.workspace.operator_spec()
    if pair.manager not in (None, own.loadbalancer.vip_manager):
        ha.converge(pair.demo, own, own.loadbalancer.vip_manager)  # leave it as the spec says


@pytest.mark.parametrize("manager,fault", CASES, ids=[f"{m}-{f}" for m, f in CASES])
def test_the_pair_heals_itself(pair: Pair, manager: ha.Manager, fault: str) -> None:
    result = faults.run(pair.using(manager), manager, fault)
    trace = (f"{manager} {fault} on {result.victim}: holders {result.holders[:3]}...; "
             f"probe {result.summary}")
    assert result.single_s <= faults.SETTLE_S, trace
    assert not result.summary["unrecovered"], trace
    assert result.redundant_s is not None and result.redundant_s <= faults.REDUNDANT_S, trace
    if fault == "partition":
        assert result.end_outage_s <= 1.0, trace
    if fault in ("power", "partition"):
        # The fault really hit the VIP's holder: the client noticed it.
        assert result.summary["errors"] > 0, trace

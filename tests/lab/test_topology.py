"""The lab topology decided from the plan (pure: no root needed)."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from kubeforge.errors import LabError
from kubeforge.lab import topology
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.build import build_plan
from kubeforge.spec import default


@pytest.fixture
def topo() -> topology.Topology:
    return topology.from_plan(build_plan(default.default_spec()))


def test_one_namespace_per_machine_plus_switch_internet_operator(topo: topology.Topology) -> None:
    assert len(topo.namespaces) == len(topo.machines) + 3
    assert all(ns.startswith("kf-") for ns in topo.namespaces)
    assert len(set(topo.namespaces)) == len(topo.namespaces)


def test_cables_carry_planned_names_and_macs() -> None:
    plan = build_plan(default.default_spec())
    topo = topology.from_plan(plan)
    for planned, lab_machine in zip(plan.machines, topo.machines, strict=True):
        assert [(c.inner, c.mac) for c in lab_machine.cables] == [(n.name, n.mac) for n in planned.nics]


def test_gateway_has_four_bridged_nics_and_an_uplink(topo: topology.Topology) -> None:
    gateway = topo.machine(topo.gateway)
    assert sorted(c.bridge or "uplink" for c in gateway.cables) == [
        "br-dmz", "br-glus", "br-mast", "br-node", "uplink"]


def test_interface_names_fit_the_kernel_limit_and_are_unique(topo: topology.Topology) -> None:
    outer = [c.outer for m in topo.machines for c in m.cables if c.bridge]
    assert all(len(name) <= 15 for name in outer)
    assert len(set(outer)) == len(outer)


def test_unknown_machine_is_named_in_the_error(topo: topology.Topology) -> None:
    with pytest.raises(LabError, match="kube-nope.*kube-gate01"):
        topo.machine("kube-nope")


def test_lab_networks_must_not_overlap_the_plan() -> None:
    spec = default.default_spec()
    network = spec.network.model_copy(update={"pod_cidr": IPv4Network("10.0.2.0/25")})
    with pytest.raises(LabError, match="stub internet 10.0.2.0/24 overlaps the planned network 10.0.2.0/25"):
        topology.from_plan(build_plan(spec.model_copy(update={"network": network})))


def test_a_second_lab_gets_its_own_names() -> None:
    topo = topology.from_plan(build_plan(default.default_spec()), prefix="kfs42")
    assert topo.switch_ns == "kfs42-switch" and topo.operator_ns == "kfs42-operator"
    assert all(ns.startswith("kfs42-") for ns in topo.namespaces)
    assert topo.machine("kube-mast01").machine_name == "kfs42-kube-mast01"


def test_prefix_must_stay_in_the_lab_namespace(tmp_path: Path) -> None:
    for bad in ("kft", "xx", "kf-a", "kfTOOLONG1"):
        with pytest.raises(LabError, match="lab prefix"):
            LabPaths(cache=tmp_path, state=tmp_path, prefix=bad)

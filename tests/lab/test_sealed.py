"""The lab is sealed: cables end inside the lab, the edges have no way out, and no resolver in
the lab forwards a query outside it."""

from __future__ import annotations

import subprocess

import pytest

from kubeforge.lab import seal
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def test_no_lab_link_leaves_the_lab(lab: Lab) -> None:
    assert seal.problems(lab.topology) == []


def test_the_check_sees_a_cable_leaving_its_namespaces(lab: Lab) -> None:
    # Without the switch in the set, every machine's cable leads out of it: must be reported.
    without_switch = tuple(ns for ns in lab.topology.namespaces if ns != lab.topology.switch_ns)
    found = seal.foreign_peers(without_switch)
    assert len(found) == sum(1 for m in lab.topology.machines for c in m.cables if c.bridge)


def test_edges_have_no_route_out(lab: Lab) -> None:
    for ns in (lab.topology.internet_ns, lab.topology.operator_ns, lab.topology.switch_ns):
        done = subprocess.run(["ip", "-n", ns, "route", "get", "9.9.9.9"], capture_output=True,
                              text=True, check=False)
        assert done.returncode != 0 and "unreachable" in done.stderr, ns


def test_stub_resolver_knows_no_outside_name(lab: Lab) -> None:
    gateway = lab.plan.gateway.name
    for server in ("10.0.2.2", *(str(r) for r in lab.topology.resolvers)):
        answer = lab.out(gateway, f"dig +time=2 +tries=1 @{server} deb.debian.org")
        assert "status: NXDOMAIN" in answer, server


def test_gateway_dnsmasq_answers_lab_names_and_forwards_only_to_the_stub(
    lab: Lab,
) -> None:
    master = lab.plan.by_role("control_plane")[0]
    gateway = lab.plan.gateway.name
    dns = lab.plan.subnets["mast"].gateway
    assert lab.out(gateway, f"dig +short @{dns} {master.fqdn}") == str(master.address)
    outside = lab.out(gateway, f"dig +time=2 +tries=1 @{dns} deb.debian.org")
    assert "status: NXDOMAIN" in outside  # forwarded to the spec's upstreams = the stub

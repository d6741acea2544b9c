from __future__ import annotations

from ipaddress import IPv4Address

from kubeforge.plan.build import build_plan
from kubeforge.spec import default


def test_default_plan_matches_the_reference_topology() -> None:
    plan = build_plan(default.default_spec())
    roles = [m.role for m in plan.machines]
    assert roles.count("gateway") == 1 and roles.count("loadbalancer") == 2
    assert roles.count("control_plane") == 3 and roles.count("worker") == 3
    assert roles.count("gluster") == 3
    assert plan.machine("kube-mast01").subnet == "mast"
    assert [n.name for n in plan.gateway.nics] == ["wan0", "mast0", "node0", "glus0", "dmz0"]
    assert [str(n.address) for n in plan.gateway.nics[1:]] == [
        "192.168.1.254", "192.168.2.254", "192.168.3.254", "192.168.4.254"]


def test_addresses_avoid_every_pool_and_the_vip() -> None:
    spec = default.default_spec()
    plan = build_plan(spec)
    net = spec.network
    for m in plan.machines:
        if m.role == "gateway":
            continue
        subnet = net.subnets[m.subnet]  # type: ignore[index]
        assert m.address in subnet.cidr
        assert not subnet.dhcp_pool.contains(m.address)
        assert not net.metallb_pool.contains(m.address)
        assert m.address not in (net.api_vip, subnet.gateway)


def test_plan_is_deterministic_and_macs_locally_administered() -> None:
    a = build_plan(default.default_spec())
    b = build_plan(default.default_spec())
    assert [(m.name, m.nics) for m in a.machines] == [(m.name, m.nics) for m in b.machines]
    macs = [n.mac for m in a.machines for n in m.nics]
    assert len(set(macs)) == len(macs)
    assert all(int(mac[:2], 16) & 0b11 == 0b10 for mac in macs)  # local, unicast


def test_macs_depend_on_cluster_name() -> None:
    spec = default.default_spec()
    other = spec.model_copy(update={"name": "other"})
    assert build_plan(spec).gateway.nics[0].mac != build_plan(other).gateway.nics[0].mac


def test_addresses_fill_from_above_the_pool_then_from_the_bottom() -> None:
    spec = default.default_spec()
    hosts = spec.hosts.model_copy(update={"worker": spec.hosts.worker.model_copy(update={"count": 60})})
    plan = build_plan(spec.model_copy(update={"hosts": hosts}))
    workers = [m.address for m in plan.by_role("worker")]
    assert workers[0] == IPv4Address("192.168.2.201")
    assert workers[52] == IPv4Address("192.168.2.253")  # .254 is the gateway
    assert workers[53] == IPv4Address("192.168.2.1")  # then below the MetalLB pool (.10-.49)
    assert IPv4Address("192.168.2.10") not in workers

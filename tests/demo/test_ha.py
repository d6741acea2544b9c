"""The HA demo's decisions that need no lab: who holds the VIP, who rejoined, the spec variant."""

from __future__ import annotations

from kubeforge.demo import ha
from kubeforge.spec import default

IP_ADDR = ("3: dmz0    inet 192.168.4.201/24 metric 1024 brd 192.168.4.255 scope global dynamic dmz0\n"
           "3: dmz0    inet 192.168.4.20/24 brd 192.168.4.255 scope global secondary dmz0\n")


def test_the_vip_holder_is_read_from_ip_addr() -> None:
    assert ha.holds(IP_ADDR, "192.168.4.20")
    assert not ha.holds(IP_ADDR, "192.168.4.2")  # a prefix of the address is another one
    assert not ha.holds(IP_ADDR.splitlines()[0], "192.168.4.20")


def test_pacemaker_rejoin_needs_both_nodes_online() -> None:
    both = "Node List:\n  * Online: [ kube-hapx01 kube-hapx02 ]\n"
    one = "Node List:\n  * Online: [ kube-hapx02 ]\n  * OFFLINE: [ kube-hapx01 ]\n"
    nodes = ["kube-hapx01", "kube-hapx02"]
    assert ha.rejoined("pacemaker", both, nodes)
    assert not ha.rejoined("pacemaker", one, nodes)
    assert not ha.rejoined("pacemaker", "", nodes)


def test_keepalived_rejoin_needs_keepalived_and_haproxy_active() -> None:
    assert ha.rejoined("keepalived", "active\nactive\n", [])
    assert not ha.rejoined("keepalived", "active\nactivating\n", [])


def test_the_variant_changes_only_the_vip_manager() -> None:
    spec = default.default_spec()
    other = ha.variant(spec, "keepalived")
    assert other.loadbalancer.vip_manager == "keepalived"
    assert other.loadbalancer.corosync == spec.loadbalancer.corosync
    assert other.model_copy(update={"loadbalancer": spec.loadbalancer}) == spec
    assert spec.loadbalancer.vip_manager == "pacemaker"  # the user's spec is untouched


def test_keepalived_converges_without_the_vip_phase() -> None:
    assert "lb" in ha.PHASES["keepalived"] and "vip" not in ha.PHASES["keepalived"]

"""Rules on addresses: subnets, pools, the VIP, pod and service CIDRs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network, ip_address
from urllib.parse import urlparse

from kubeforge.plan.findings import Finding, error
from kubeforge.spec import errata
from kubeforge.spec.model import SUBNET_NAMES, ClusterSpec, Subnet


def subnets_present(spec: ClusterSpec) -> Iterator[Finding]:
    for name in SUBNET_NAMES:
        if name not in spec.network.subnets:
            yield error(f"network.subnets.{name}", f"missing; every role needs its subnet: add "
                        f"{name}: {{cidr: ..., gateway: ..., dhcp_pool: {{start: ..., end: ...}}}}")


def cidrs_disjoint(spec: ClusterSpec) -> Iterator[Finding]:
    net = spec.network
    named: list[tuple[str, IPv4Network]] = [
        *((f"network.subnets.{n}.cidr", s.cidr) for n, s in net.subnets.items()),
        ("network.pod_cidr", net.pod_cidr),
        ("network.service_cidr", net.service_cidr),
    ]
    for (field_a, a), (field_b, b) in itertools.combinations(named, 2):
        if a.overlaps(b):
            yield error(field_b, f"{b} overlaps {field_a} ({a}); choose a range disjoint from it")
    for field, cidr in named[:-2]:
        if not cidr.subnet_of(net.supernet):
            yield error(field, f"{cidr} is outside network.supernet ({net.supernet}); move it inside")
    for field, cidr in named[-2:]:
        if cidr.overlaps(net.supernet):
            yield error(field, f"{cidr} overlaps the machine supernet {net.supernet}; pods and "
                        "services need their own range (defaults 10.244.0.0/16, 10.96.0.0/12)")
    if net.service_cidr.prefixlen < 12:
        yield error("network.service_cidr", "kube-apiserver accepts at most a /12 for services; "
                    "use a /12 or smaller (default 10.96.0.0/12)")


def subnet_layout(spec: ClusterSpec) -> Iterator[Finding]:
    for name, subnet in spec.network.subnets.items():
        yield from _one_subnet(spec, name, subnet)


def _one_subnet(spec: ClusterSpec, name: str, subnet: Subnet) -> Iterator[Finding]:
    field = f"network.subnets.{name}"
    if not _usable(subnet.gateway, subnet.cidr):
        yield error(f"{field}.gateway", f"{subnet.gateway} is not a host address of {subnet.cidr}; "
                    f"use one inside it (the reference uses .254)")
    pool = subnet.dhcp_pool
    if pool.start > pool.end:
        yield error(f"{field}.dhcp_pool", f"start {pool.start} is after end {pool.end}; swap them")
    elif not (_usable(pool.start, subnet.cidr) and _usable(pool.end, subnet.cidr)):
        yield error(f"{field}.dhcp_pool", _pool_outside(spec, name, subnet))
    if pool.contains(subnet.gateway):
        yield error(f"{field}.dhcp_pool", f"contains the gateway {subnet.gateway}; end the pool "
                    "below it")


def _pool_outside(spec: ClusterSpec, name: str, subnet: Subnet) -> str:
    pool = subnet.dhcp_pool
    message = f"{pool} is not inside {subnet.cidr}; use addresses of this subnet"
    owner = next((n for n, s in spec.network.subnets.items() if n != name and pool.start in s.cidr), None)
    if owner:
        message = f"{pool} lies in the {owner} subnet ({errata.EXPLAIN[1]}); use addresses of {subnet.cidr}"
    return message


def vip(spec: ClusterSpec) -> Iterator[Finding]:
    net = spec.network
    dmz = net.subnets.get("dmz")
    if dmz is None:
        return
    if not _usable(net.api_vip, dmz.cidr):
        yield error("network.api_vip", f"{net.api_vip} is not in the dmz subnet {dmz.cidr}, where "
                    "the load balancers live; pick a free dmz address (reference: 192.168.4.20)")
    clashes = {"the dmz DHCP pool": dmz.dhcp_pool.contains(net.api_vip),
               "the dmz gateway": net.api_vip == dmz.gateway,
               "network.metallb_pool": net.metallb_pool.contains(net.api_vip)}
    for what, clash in clashes.items():
        if clash:
            yield error("network.api_vip", f"{net.api_vip} collides with {what}; pick an address "
                        "outside every pool")


def metallb(spec: ClusterSpec) -> Iterator[Finding]:
    net, pool = spec.network, spec.network.metallb_pool
    node = net.subnets.get("node")
    if node is None:
        return
    if pool.start > pool.end:
        yield error("network.metallb_pool", f"start {pool.start} is after end {pool.end}; swap them")
    elif not (_usable(pool.start, node.cidr) and _usable(pool.end, node.cidr)):
        yield error("network.metallb_pool", f"{pool} is not inside the node subnet {node.cidr}: "
                    "layer-2 announcements only reach the workers' segment; use node addresses")
    if pool.overlaps(node.dhcp_pool):
        yield error("network.metallb_pool", f"{pool} overlaps the node DHCP pool {node.dhcp_pool}; "
                    "make them disjoint (reference: 192.168.2.10-49 vs 50-200)")
    if pool.contains(node.gateway):
        yield error("network.metallb_pool", f"contains the node gateway {node.gateway}; exclude it")


def pod_cidr_size(spec: ClusterSpec) -> Iterator[Finding]:
    nodes = spec.hosts.control_plane.count + spec.hosts.worker.count
    per_node = 24  # flannel / kube-controller-manager default node-cidr-mask-size
    room = 2 ** max(per_node - spec.network.pod_cidr.prefixlen, 0)
    if nodes > room:
        needed = per_node - max(nodes - 1, 1).bit_length()
        yield error("network.pod_cidr", f"{spec.network.pod_cidr} holds {room} node /24s but "
                    f"{nodes} nodes are planned; use a /{needed} or larger")


def url_host(url: str) -> IPv4Address | None:
    """The URL's host if it is an IPv4 literal (ERRATA 7 checks), else None."""
    try:
        host = urlparse(url).hostname or ""
        parsed = ip_address(host)
    except ValueError:
        return None
    return parsed if isinstance(parsed, IPv4Address) else None


def _usable(address: IPv4Address, cidr: IPv4Network) -> bool:
    return address in cidr and address not in (cidr.network_address, cidr.broadcast_address)




NETWORK_RULES = (subnets_present, cidrs_disjoint, subnet_layout, vip, metallb, pod_cidr_size)

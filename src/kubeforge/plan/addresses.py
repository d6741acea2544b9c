"""Deterministic addresses and MACs.

Machines get fixed addresses outside every pool: counting up from just past the DHCP pool, then
from the bottom of the subnet, skipping the gateway, the VIP and the MetalLB pool. dnsmasq also
pins them by MAC (dhcp-host), so DHCP hands out exactly what the plan says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from ipaddress import IPv4Address

from kubeforge.spec.model import AddressRange, Network, Subnet


def mac_for(cluster: str, host: str, nic: str) -> str:
    """A stable, locally administered unicast MAC (first octet 02)."""
    digest = hashlib.sha256(f"{cluster}/{host}/{nic}".encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def reserved_ranges(network: Network, subnet: Subnet) -> list[AddressRange]:
    """What machines must not take in this subnet."""
    taken = [subnet.dhcp_pool, AddressRange(start=subnet.gateway, end=subnet.gateway)]
    if network.api_vip in subnet.cidr:
        taken.append(AddressRange(start=network.api_vip, end=network.api_vip))
    if network.metallb_pool.start in subnet.cidr or network.metallb_pool.end in subnet.cidr:
        taken.append(network.metallb_pool)
    return taken


def host_addresses(network: Network, subnet: Subnet) -> Iterator[IPv4Address]:
    """Free addresses in allocation order: above the DHCP pool first, then from the bottom."""
    first = int(subnet.cidr.network_address) + 1
    last = int(subnet.cidr.broadcast_address) - 1
    pivot = min(max(int(subnet.dhcp_pool.end) + 1, first), last + 1)
    taken = sorted(reserved_ranges(network, subnet), key=lambda r: int(r.start))
    for low, high in ((pivot, last), (first, pivot - 1)):
        yield from _free_between(low, high, taken)


def highest_free(network: Network, subnet: Subnet) -> IPv4Address | None:
    """The subnet's highest address outside every reserved range (a VIP's home)."""
    taken = reserved_ranges(network, subnet)
    top, bottom = int(subnet.cidr.broadcast_address) - 1, int(subnet.cidr.network_address)
    return next((IPv4Address(v) for v in range(top, bottom, -1)
                 if not any(r.contains(IPv4Address(v)) for r in taken)), None)


def _free_between(low: int, high: int, taken: list[AddressRange]) -> Iterator[IPv4Address]:
    value = low
    for block in taken:
        start, end = int(block.start), int(block.end)
        if end < value or start > high:
            continue
        yield from (IPv4Address(v) for v in range(value, min(start, high + 1)))
        value = max(value, end + 1)
    yield from (IPv4Address(v) for v in range(value, high + 1))


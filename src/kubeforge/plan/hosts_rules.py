"""Rules on machines: counts, resources, names, and uniqueness of names, addresses and MACs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from kubeforge.errors import SpecError
from kubeforge.plan.build import build_plan
from kubeforge.plan.findings import Finding, error, warning
from kubeforge.spec.model import ClusterSpec

CONTROL_PLANE_MIN_CPUS = 2  # kubeadm preflight NumCPU
CONTROL_PLANE_MIN_MEMORY_MB = 1700  # kubeadm preflight Mem


def counts(spec: ClusterSpec) -> Iterator[Finding]:
    hosts = spec.hosts
    if hosts.gateway.count != 1:
        yield error("hosts.gateway.count", "exactly one gateway serves DNS, DHCP and NAT; set 1")
    if hosts.loadbalancer.count == 0:
        yield error("hosts.loadbalancer.count", "the API VIP needs a load balancer; set 2 (an HA pair)")
    elif hosts.loadbalancer.count == 1:
        yield warning("hosts.loadbalancer.count", "one load balancer is a single point of failure; set 2")
    elif hosts.loadbalancer.count > 2 and spec.loadbalancer.vip_manager == "keepalived":
        yield warning("hosts.loadbalancer.count", "keepalived pairs are the tested shape; 2 is enough")
    yield from _control_plane_count(hosts.control_plane.count)


def _control_plane_count(count: int) -> Iterator[Finding]:
    field = "hosts.control_plane.count"
    if count == 0 or count > 7:
        yield error(field, f"{count} control-plane machines; use 1, 3, 5 or 7 (etcd members)")
    elif count % 2 == 0:
        yield warning(field, f"{count} etcd members tolerate no more failures than {count - 1}; "
                      f"use an odd count ({count - 1} or {count + 1})")


def resources(spec: ClusterSpec) -> Iterator[Finding]:
    group = spec.hosts.control_plane
    if group.cpus < CONTROL_PLANE_MIN_CPUS:
        yield error("hosts.control_plane.cpus", f"{group.cpus}: kubeadm requires at least "
                    f"{CONTROL_PLANE_MIN_CPUS} CPUs on control-plane machines; set 2 or more")
    if group.memory_mb < CONTROL_PLANE_MIN_MEMORY_MB:
        yield error("hosts.control_plane.memory_mb", f"{group.memory_mb}: kubeadm requires at least "
                    f"{CONTROL_PLANE_MIN_MEMORY_MB} MB on control-plane machines; set 2048")
    if spec.hosts.worker.memory_mb < 1024:
        yield warning("hosts.worker.memory_mb", f"{spec.hosts.worker.memory_mb} MB leaves little room "
                      "for pods after kubelet and containerd; 2048 is the reference")


def names(spec: ClusterSpec) -> Iterator[Finding]:
    """Host names are unique. Their grammar is the prefix's type (spec.types.HostPrefix: at most
    50 characters, and a count of at most 1000 adds 4 digits: always a DNS label)."""
    planned = [f"{group.name_prefix}{i:02d}"
               for _, group in spec.hosts for i in range(1, group.count + 1)]
    for name, seen in Counter(planned).items():
        if seen > 1:
            yield error("hosts", f"host name {name} is planned {seen} times; give each group its "
                        "own name_prefix")


def unique_addresses(spec: ClusterSpec) -> Iterator[Finding]:
    """Names, IPs and MACs of the built plan must be unique (runs only on a plannable spec)."""
    try:
        plan = build_plan(spec)
    except (SpecError, KeyError, StopIteration):
        return  # the rules that make it unplannable have already reported why
    nics = [(m.name, n) for m in plan.machines for n in m.nics]
    for kind, values in (("MAC", [n.mac for _, n in nics]),
                         ("address", [str(n.address) for _, n in nics if n.address])):
        for value, seen in Counter(values).items():
            if seen > 1:
                yield error("hosts", f"{kind} {value} is planned {seen} times; rename a host group")


HOST_RULES = (counts, resources, names, unique_addresses)

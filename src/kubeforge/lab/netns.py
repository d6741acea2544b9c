"""Network namespaces, bridges and cables (veth pairs). Every `ip` call names its namespace with
`-n`, so nothing is ever created in the host's root namespace; `dev NAME` is always spelled out
(`ip link set mast up` would parse `mast` as `master`)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

from kubeforge.lab import sh
from kubeforge.lab.record import Made, Record
from kubeforge.lab.topology import Cable

NETNS_DIR = Path("/run/netns")


def exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def add(name: str, record: Record) -> None:
    sh.run(["ip", "netns", "add", name])
    record.add(Made("netns", name))
    ip(name, "link", "set", "dev", "lo", "up")


def delete(name: str) -> None:
    if exists(name):
        sh.run(["ip", "netns", "delete", name])


def ip(ns: str, *args: str) -> str:
    return sh.out(["ip", "-n", ns, *args])


def in_ns(ns: str, *argv: str) -> str:
    return sh.out(["ip", "netns", "exec", ns, *argv])


def sysctl(ns: str, key: str, value: str) -> None:
    if Path("/proc/sys", *key.split(".")).exists():  # br_netfilter may not be loaded: nothing to do
        in_ns(ns, "sysctl", "-q", "-w", f"{key}={value}")


def add_bridge(ns: str, bridge: str) -> None:
    ip(ns, "link", "add", "name", bridge, "type", "bridge")
    ip(ns, "link", "set", "dev", bridge, "up")


def add_cable(machine_ns: str, cable: Cable) -> None:
    """Create the pair in the outer namespace with its peer born directly in the machine's."""
    ip(cable.outer_ns, "link", "add", "name", cable.outer, "type", "veth",
       "peer", "name", cable.inner, "address", cable.mac, "netns", machine_ns)
    if cable.bridge is not None:
        ip(cable.outer_ns, "link", "set", "dev", cable.outer, "master", cable.bridge)
    ip(cable.outer_ns, "link", "set", "dev", cable.outer, "up")


def add_link(ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
    """A point-to-point cable between two lab namespaces (management link)."""
    ip(ns_a, "link", "add", "name", if_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
    ip(ns_a, "link", "set", "dev", if_a, "up")
    ip(ns_b, "link", "set", "dev", if_b, "up")


def add_address(ns: str, dev: str, address: IPv4Interface | IPv4Address) -> None:
    ip(ns, "address", "add", str(address), "dev", dev)
    ip(ns, "link", "set", "dev", dev, "up")

"""Proof that the lab is sealed: every cable's far end is in a lab namespace, and no lab
namespace has a way out. Reads the kernel's view (`ip -j`), not the lab's intentions."""

from __future__ import annotations

import json
from typing import Any

from kubeforge.lab import sh
from kubeforge.lab.topology import Topology


def _json(argv: list[str]) -> Any:
    text = sh.out(argv).strip()
    return json.loads(text) if text else []


def _links(ns: str | None) -> list[dict[str, Any]]:
    return list(_json(["ip", *(["-n", ns] if ns else []), "-j", "-d", "link", "show"]))


def _nsid_names(ns: str | None) -> dict[int, str]:
    """nsid -> namespace name as `ip` knows it; the root namespace has no name ("")."""
    rows = _json(["ip", *(["-n", ns] if ns else []), "-j", "netns", "list-id"])
    return {int(row["nsid"]): str(row.get("name", "")) for row in rows}


def foreign_peers(namespaces: tuple[str, ...]) -> list[str]:
    """Links of these namespaces whose peer lives in none of them (e.g. the root namespace)."""
    lab = set(namespaces)
    problems = []
    for ns in namespaces:
        names = _nsid_names(ns)
        for link in _links(ns):
            if "link_netnsid" in link and names.get(int(link["link_netnsid"])) not in lab:
                problems.append(f"{ns}/{link['ifname']}: peer in a namespace outside the lab")
    return problems


def root_links_into_lab(namespaces: tuple[str, ...]) -> list[str]:
    """Links of the host's root namespace whose peer is in one of these namespaces."""
    lab = set(namespaces)
    names = _nsid_names(None)
    return [f"root/{link['ifname']}: peer in {names[int(link['link_netnsid'])]}"
            for link in _links(None)
            if "link_netnsid" in link and names.get(int(link["link_netnsid"])) in lab]


def link_kinds(namespaces: tuple[str, ...]) -> list[str]:
    """Only loopback, veth and bridge devices: anything else (macvlan, physical) could leak."""
    allowed = {"veth", "bridge", None}
    problems = []
    for ns in namespaces:
        for link in _links(ns):
            kind = link.get("linkinfo", {}).get("info_kind")
            if kind not in allowed or (kind is None and link["ifname"] != "lo"):
                problems.append(f"{ns}/{link['ifname']}: unexpected link kind {kind}")
    return problems


def default_routes(ns: str) -> list[str]:
    return [str(r) for r in _json(["ip", "-n", ns, "-j", "route", "show", "default"])]


def edge_problems(topology: Topology) -> list[str]:
    """The stub internet and the operator are ends of the lab: neither has a default route."""
    return [f"{ns}: default route {route}" for ns in (topology.internet_ns, topology.operator_ns)
            for route in default_routes(ns)]


def problems(topology: Topology) -> list[str]:
    namespaces = topology.namespaces
    return (foreign_peers(namespaces) + root_links_into_lab(namespaces) + link_kinds(namespaces)
            + edge_problems(topology))

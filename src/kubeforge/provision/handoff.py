"""The handoff from `up` to every later command: how to reach each machine, as the provider said.

`kubeforge up` writes `<state>/endpoints.json` (atomically, 0600) once the machines exist;
`apply`, `kubeconfig`, `status` and `dashboard` read it, so the route is decided once, by the
provider that made the machines, and the engine never imports a provider (or the lab) to find it.

    {"version": 1, "provider": "lab", "kubernetes_binaries": false,
     "endpoints": [{"name": "kube-gate01", "host": "10.0.2.15", "port": 22, "user": "debian",
                    "jump": null, "known_hosts": "/var/lib/kubeforge/lab/known_hosts",
                    "netns": "kf-operator"},
                   {"name": "kube-mast01", "host": "192.168.4.21", ..., "jump": "kube-gate01"}]}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from kubeforge.errors import StateError
from kubeforge.provision.base import Endpoint
from kubeforge.render import private

FILE = "endpoints.json"
VERSION = 1
_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "host": (str,), "port": (int,), "user": (str,),
    "jump": (str, type(None)), "known_hosts": (str, type(None)), "netns": (str, type(None))}


@dataclass(frozen=True)
class Handoff:
    provider: str
    endpoints: dict[str, Endpoint]
    kubernetes_binaries: bool = True  # False (the lab): Kubernetes phases only dry-run


def path(state_dir: Path) -> Path:
    return state_dir / FILE


def save(state_dir: Path, handoff: Handoff) -> Path:
    data = {"version": VERSION, "provider": handoff.provider,
            "kubernetes_binaries": handoff.kubernetes_binaries,
            "endpoints": [asdict(e) for e in handoff.endpoints.values()]}
    target = path(state_dir)
    private.write(target, (json.dumps(data, indent=2) + "\n").encode())
    return target


def load(state_dir: Path) -> Handoff | None:
    """What `up` recorded, or None when nothing was (StateError naming the fix if unusable)."""
    target = path(state_dir)
    if not private.check(target):  # a link, a foreign owner or open modes are refused
        return None
    try:
        return _parse(json.loads(private.read(target)))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"{target}: unusable endpoint record ({exc}); run `kubeforge up` again "
                         "to write it anew, or pass --gateway/--direct") from None


def _parse(data: dict[str, Any]) -> Handoff:
    if data.get("version") != VERSION:
        raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
    endpoints = [_endpoint(raw) for raw in data["endpoints"]]
    by_name = {e.name: e for e in endpoints}
    if len(by_name) != len(endpoints):
        raise ValueError("a machine is listed twice")
    for endpoint in endpoints:
        if endpoint.jump is not None and endpoint.jump not in by_name:
            raise ValueError(f"{endpoint.name}: jump host {endpoint.jump!r} has no endpoint")
    binaries = data.get("kubernetes_binaries", True)
    if not isinstance(data["provider"], str) or not isinstance(binaries, bool):
        raise TypeError("provider must be a string, kubernetes_binaries a boolean")
    return Handoff(data["provider"], by_name, binaries)


def _endpoint(raw: dict[str, Any]) -> Endpoint:
    known = {f.name for f in fields(Endpoint)}
    if unknown := set(raw) - known:
        raise KeyError(f"unknown endpoint field(s) {', '.join(sorted(unknown))}")
    for name, value in raw.items():
        if not isinstance(value, _TYPES[name]) or isinstance(value, bool):
            raise TypeError(f"endpoint field {name!r} has the wrong type")
    if not 0 < raw["port"] < 65536:
        raise ValueError(f"{raw['name']}: port {raw['port']} out of range")
    return Endpoint(**raw)

"""Sizes for Kubernetes volumes: csi-driver-nfs makes a directory of the gluster volume per
claim but sets no limit, so `kubeforge volume sync` sets each one's gluster directory quota to
its PersistentVolume's capacity (and raises it after an expansion).

Pure: which PersistentVolumes are ours (`kubectl get pv -o json`, read on the first control
plane) and which limits differ from gluster's (`quota list --xml`, bootstrap/volumes.py). The
CLI runs the reads and the `limit-usage` commands; docs/storage.md says what runs where.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kubeforge.bootstrap import volumes
from kubeforge.errors import ApplyError, SpecError

# Kubernetes quantity suffixes (resource.Quantity): binary and decimal.
_SUFFIX = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?")


@dataclass(frozen=True)
class Claim:
    directory: str  # the claim's directory under the volume's root (csi-driver-nfs: the PV name)
    size: int  # bytes: the PersistentVolume's capacity
    pv: str


@dataclass(frozen=True)
class Claims:
    found: list[Claim]
    skipped: list[str]  # why a PersistentVolume of this volume got no size


def quantity_bytes(text: str) -> int:
    """`10Gi`, `500M`, `1.5Gi`, `1073741824`: bytes, rounded up."""
    found = _QUANTITY.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not a size quantity: {text!r}")
    try:
        value = Decimal(found.group(1)) * _SUFFIX[found.group(2) or ""]
    except InvalidOperation:
        raise ValueError(f"not a size quantity: {text!r}") from None
    return math.ceil(value)


def of_volume(pv_list: str, volume: str, provisioner: str, servers: set[str]) -> Claims:
    """The csi-driver-nfs PersistentVolumes whose share is the gluster volume's root on one of
    `servers` (the storage name, or the storage VIP)."""
    try:
        items = json.loads(pv_list).get("items", [])
    except (json.JSONDecodeError, AttributeError):
        raise ApplyError("`kubectl get pv -o json` printed no PersistentVolume list") from None
    found: list[Claim] = []
    skipped: list[str] = []
    for pv in items:
        claim = _claim(pv, f"/{volume}", (provisioner, servers), skipped)
        if claim is not None:
            found.append(claim)
    return Claims(found, skipped)


def _claim(pv: dict[str, Any], share: str, ours: tuple[str, set[str]],
           skipped: list[str]) -> Claim | None:
    name = str(pv.get("metadata", {}).get("name", "?"))
    spec = pv.get("spec", {})
    csi = spec.get("csi") or {}
    attributes = csi.get("volumeAttributes") or {}
    provisioner, servers = ours
    if (csi.get("driver") != provisioner or attributes.get("server") not in servers
            or str(attributes.get("share", "")).rstrip("/") != share):
        return None  # not a directory of this gluster volume's root
    directory = str(attributes.get("subdir", ""))
    try:
        volumes.checked_name(directory)
    except SpecError:  # it reaches a shell command: a plain name or nothing
        skipped.append(f"PersistentVolume {name}: its directory {directory!r} is not a plain "
                       "name (a-z, 0-9, '-'; csi-driver-nfs names it after the volume)")
        return None
    if directory != name:  # kubeforge's StorageClass sets no subDir: one directory per PV
        skipped.append(f"PersistentVolume {name}: its directory {directory!r} is not named "
                       "after it, as csi-driver-nfs names the directories it makes")
        return None
    try:
        size = quantity_bytes(str(spec.get("capacity", {}).get("storage", "")))
    except ValueError as exc:
        skipped.append(f"PersistentVolume {name}: capacity: {exc}")
        return None
    if not 1 <= size <= volumes.MAX_SIZE:
        skipped.append(f"PersistentVolume {name}: capacity {size} bytes: gluster sizes are "
                       f"1 to {volumes.MAX_SIZE} bytes")
        return None
    return Claim(directory, size, name)


def changes(claims: list[Claim], limits: list[volumes.Volume]) -> tuple[list[Claim], list[str]]:
    """Claims whose directory has no limit or a smaller one; and why the others with a larger
    limit keep it (volumes only grow: a limit raised by hand is not taken back)."""
    current = {v.name: v.size for v in limits}
    todo = [c for c in claims if current.get(c.directory, 0) < c.size]
    kept = [f"PersistentVolume {c.pv}: its directory's size ({current[c.directory]} bytes) is "
            f"larger than its capacity ({c.size} bytes); volumes only grow, so it is kept"
            for c in claims if current.get(c.directory, 0) > c.size]
    return todo, kept

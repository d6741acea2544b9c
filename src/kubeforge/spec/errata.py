"""The reference deck's known mistakes (shared/reference/ERRATA.md), as a user's spec can repeat them.

`scan_raw` catches mistakes that are not even valid keys (so the user gets the reason, not just
"unknown key"); the others are rules in `kubeforge.plan.validate`, which quote `EXPLAIN`.
"""

from __future__ import annotations

from typing import Any

EXPLAIN: dict[int, str] = {
    1: "ERRATA 1: the deck's table put the glus DHCP pool (192.168.2.50-200) in the node subnet",
    2: "ERRATA 2: the deck gave two mast pools; the spec is the one source",
    3: "ERRATA 3: package names are kubectl and glusterfs-server/-common/-client",
    4: "ERRATA 4: the deck bound the Dashboard to cluster-admin; a UI needs read-only access",
    5: "ERRATA 5: default or empty credentials (the deck's stats login and `none` keys) let anyone in",
    6: "ERRATA 6: StorageClasses are cluster-scoped and have no namespace",
    7: "ERRATA 7: a pod IP changes when the pod moves; use a Service's stable DNS name",
    8: "ERRATA 8: node-role.kubernetes.io/master is gone since Kubernetes 1.24",
    9: "ERRATA 9: Corosync 3 encrypts only with the knet transport (nodelist), not udp multicast",
    10: "ERRATA 10: a `backup` master takes no traffic while the others are up",
}

# Deck package names -> the real Debian/Kubernetes package names.
PACKAGE_FIXES = {
    "kubectrl": "kubectl",
    "gluster-server": "glusterfs-server",
    "gluster-common": "glusterfs-common",
    "gluster-client": "glusterfs-client",
    "docker-ce": "containerd (kubeforge installs it; dockershim was removed in Kubernetes 1.24)",
}

# Heketi's spec fields (kubeforge <= 0.1) -> the erratum that explains why they were dangerous.
HEKETI_FIELDS = {"admin_key": 5, "user_key": 5, "rest_url": 7}

WEAK_SECRETS = {"", "admin", "none", "password", "changeme", "secret", "kubernetes", "123456"}


def scan_raw(data: dict[str, Any]) -> list[str]:
    """Mistakes in the raw YAML that the model would only call 'unknown key'."""
    problems = []
    storage_class = _dig(data, "storage", "storage_class")
    if isinstance(storage_class, dict) and "namespace" in storage_class:
        problems.append(f"storage.storage_class.namespace: {EXPLAIN[6]}; remove the key")
    problems += _heketi_fields(_dig(data, "storage"))
    corosync = _dig(data, "loadbalancer", "corosync")
    if isinstance(corosync, dict) and ("interface" in corosync or "bindnetaddr" in corosync):
        problems.append(
            f"loadbalancer.corosync.interface: {EXPLAIN[9]}; remove it, kubeforge renders a "
            "nodelist from the plan (transport: knet)"
        )
    return problems


def _heketi_fields(storage: Any) -> list[str]:
    """The deck's Heketi keys and REST URL: nothing reads them since Heketi was archived (the
    volumes are served by NFS-Ganesha at storage.<domain>). Named, never echoed: they held keys."""
    if not isinstance(storage, dict):
        return []
    return [f"storage.{key}: a Heketi-era field that nothing uses ({EXPLAIN[number]}); remove the "
            "key: kubeforge serves volumes through NFS-Ganesha at storage.<domain>, with no REST API"
            for key, number in HEKETI_FIELDS.items() if key in storage]


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data

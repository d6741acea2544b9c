"""Storage: Gluster topology, NFS-Ganesha exports and the csi-driver-nfs StorageClass (the
maintained replacement for the deck's Heketi + in-tree glusterfs provisioner)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from kubeforge.errors import RenderError
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import addon_versions, storage
from kubeforge.render.artifact import Artifact
from kubeforge.spec.model import ClusterSpec

from . import goldens, kube_manifests

SECRETS = goldens.fixed_secrets()


def plan_for(raw: dict[str, Any]) -> Plan:
    return build_plan(ClusterSpec.model_validate(raw))


def rendered(raw: dict[str, Any]) -> dict[str, Artifact]:
    return {a.dest: a for a in storage.render(plan_for(raw), SECRETS)}


def storage_class(raw: dict[str, Any]) -> dict[str, Any]:
    [document] = kube_manifests.objects(rendered(raw)[f"cluster/{storage.STORAGE_CLASS}"])
    return document


def test_default_spec_matches_golden_files(raw: dict[str, Any]) -> None:
    goldens.check(storage.render(plan_for(raw), SECRETS), "storage")


def test_backend_none_renders_nothing(raw: dict[str, Any]) -> None:
    raw["storage"]["backend"] = "none"
    plan = plan_for(raw)
    assert storage.render(plan, SECRETS) == [] and storage.steps(plan) == []


@pytest.mark.parametrize("version", ["1.30", "1.37"])
def test_storage_class_is_valid_and_cluster_scoped(raw: dict[str, Any], version: str) -> None:
    document = storage_class(raw)
    kube_manifests.validate(document, version)
    assert "namespace" not in document["metadata"]  # ERRATA 6
    assert document["provisioner"] == addon_versions.CSI_DRIVER_NFS_PROVISIONER == "nfs.csi.k8s.io"
    # ERRATA 7: a stable name the gateway serves, not a pod IP.
    assert document["parameters"] == {"server": "storage.kube.local", "share": "/kube"}
    assert document["reclaimPolicy"] == "Retain"
    assert document["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}


def test_storage_class_follows_the_spec(raw: dict[str, Any]) -> None:
    raw["storage"]["volume"] = "data"
    raw["storage"]["storage_class"] = {"name": "shared", "default": False, "reclaim_policy": "Delete"}
    document = storage_class(raw)
    assert document["metadata"] == {"name": "shared"}
    assert document["reclaimPolicy"] == "Delete"
    assert document["parameters"]["share"] == "/data"


def test_topology_places_one_brick_per_gluster_machine(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    topology = json.loads(rendered(raw)[f"cluster/{storage.TOPOLOGY}"].text)
    servers = plan.by_role("gluster")
    nodes = topology["clusters"][0]["nodes"]
    assert [n["node"]["hostnames"]["storage"] for n in nodes] == [[str(m.address)] for m in servers]
    assert [n["node"]["hostnames"]["manage"] for n in nodes] == [[m.fqdn] for m in servers]
    assert len({n["node"]["zone"] for n in nodes}) == len(servers)
    assert all(n["devices"] == [storage.DATA_DEVICE] for n in nodes)
    [volume] = topology["volumes"]
    assert volume["name"] == "kube" and volume["replica"] == 3 and volume["filesystem"] == "xfs"
    assert volume["bricks"] == [f"{m.fqdn}:/data/bricks/kube/brick" for m in servers]


def test_six_machines_make_two_replica_sets(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 6
    [volume] = json.loads(rendered(raw)[f"cluster/{storage.TOPOLOGY}"].text)["volumes"]
    assert len(volume["bricks"]) == 6


def test_replica_must_divide_the_gluster_machines(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 4
    with pytest.raises(RenderError, match="storage.replica"):
        storage.render(plan_for(raw), SECRETS)


def test_ganesha_exports_the_volume_to_kubernetes_machines_only(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    confs = {a.host: a.text for a in storage.render(plan, SECRETS) if a.target == storage.GANESHA_CONF}
    assert set(confs) == {m.name for m in plan.by_role("gluster")}
    text = next(iter(confs.values()))
    assert _balanced_statements(text)
    assert re.search(r'FSAL \{\s*Name = GLUSTER;\s*Hostname = "localhost";\s*Volume = "kube";\s*\}', text)
    assert 'Pseudo = "/kube";' in text
    assert "Clients = 192.168.1.0/24, 192.168.2.0/24;" in text
    assert re.search(r"Access_Type = None;\s*CLIENT", text)


def _balanced_statements(text: str) -> bool:
    """Ganesha's grammar in brief: blocks in braces, every other line a `key = value;`. (No
    Ganesha config checker runs without a live Gluster volume.)"""
    depth = 0
    for line in (l.strip() for l in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            depth += 1
        elif line == "}":
            depth -= 1
        elif not (" = " in line and line.endswith(";")):
            return False
        if depth < 0:
            return False
    return depth == 0


def test_steps_install_the_pinned_driver_before_the_class(raw: dict[str, Any]) -> None:
    steps = storage.steps(plan_for(raw))
    assert [s["name"] for s in steps] == ["csi-driver-nfs", "storage-class"]
    assert steps[0]["apply_urls"] == list(addon_versions.CSI_DRIVER_NFS_MANIFEST_URLS)
    assert all(f"/{addon_versions.CSI_DRIVER_NFS_VERSION}/" in u for u in steps[0]["apply_urls"])


def test_rendering_twice_is_byte_identical(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    assert storage.render(plan, SECRETS) == storage.render(plan, SECRETS)


def test_gluster_backend_needs_gluster_machines(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 0
    with pytest.raises(RenderError, match="hosts.gluster.count"):
        storage.render(plan_for(raw), SECRETS)

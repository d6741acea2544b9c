"""`kubeforge volume sync`: which PersistentVolumes get a size, and which limits differ."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kubeforge.bootstrap import claims, volumes
from kubeforge.errors import ApplyError

SERVERS = {"storage.kube.local", "192.168.3.253"}
PROVISIONER = "nfs.csi.k8s.io"
# A PersistentVolume as csi-driver-nfs v4 provisions it (external-provisioner with
# --extra-create-metadata): volume id server#share#subdir#, the subdir is the PV's name.
PV: dict[str, Any] = {
    "apiVersion": "v1", "kind": "PersistentVolume",
    "metadata": {"name": "pvc-4bcbf944-b6f7-4bd0-b50f-3c3dd00efc64",
                 "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
    "spec": {
        "accessModes": ["ReadWriteMany"],
        "capacity": {"storage": "1Gi"},
        "csi": {
            "driver": PROVISIONER,
            "volumeHandle": "storage.kube.local#kube#pvc-4bcbf944-b6f7-4bd0-b50f-3c3dd00efc64#",
            "volumeAttributes": {
                "csi.storage.k8s.io/pv/name": "pvc-4bcbf944-b6f7-4bd0-b50f-3c3dd00efc64",
                "csi.storage.k8s.io/pvc/name": "data", "csi.storage.k8s.io/pvc/namespace": "default",
                "mountPermissions": "0777", "server": "storage.kube.local", "share": "/kube",
                "subdir": "pvc-4bcbf944-b6f7-4bd0-b50f-3c3dd00efc64",
            },
        },
        "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gluster",
    },
}


def pv_list(*pvs: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(pvs)})


def pv(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(PV)
    attributes = made["spec"]["csi"]["volumeAttributes"]
    for key, value in changes.items():
        if key == "capacity":
            made["spec"]["capacity"]["storage"] = value
        elif key == "driver":
            made["spec"]["csi"]["driver"] = value
        else:
            attributes[key] = value
    return made


def of(*pvs: dict[str, Any]) -> claims.Claims:
    return claims.of_volume(pv_list(*pvs), "kube", PROVISIONER, SERVERS)


@pytest.mark.parametrize("text, size", [("1Gi", 2**30), ("500M", 500 * 10**6), ("1.5Gi", 3 * 2**29),
                                        ("1073741824", 2**30), ("0.1k", 100), ("2Ti", 2 * 2**40)])
def test_kubernetes_quantities_in_bytes(text: str, size: int) -> None:
    assert claims.quantity_bytes(text) == size


@pytest.mark.parametrize("text", ["", "1Gb", "-1Gi", "1e9", "Gi", "1 Gi"])
def test_what_is_no_quantity_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a size quantity"):
        claims.quantity_bytes(text)


def test_a_claims_directory_gets_its_capacity() -> None:
    found = of(PV)
    assert found.found == [claims.Claim(PV["metadata"]["name"], 2**30, PV["metadata"]["name"])]
    assert found.skipped == []


@pytest.mark.parametrize("change", [{"driver": "other.csi.example"}, {"share": "/other"},
                                    {"share": "/kube/static-dir"}, {"server": "nfs.elsewhere"}])
def test_volumes_of_other_drivers_shares_or_servers_are_not_ours(change: dict[str, str]) -> None:
    assert of(pv(**change)) == claims.Claims([], [])


def test_the_storage_vip_as_server_is_ours_too() -> None:
    assert len(of(pv(server="192.168.3.253", share="/kube/")).found) == 1


@pytest.mark.parametrize("subdir", ["../etc", "a b", "x;reboot", "$(id)", "A", "", "a/b",
                                    "x\ny"])
def test_a_directory_that_is_no_plain_name_is_skipped_and_named(subdir: str) -> None:
    found = of(pv(subdir=subdir))
    assert found.found == []
    [reason] = found.skipped
    assert reason.startswith(f"PersistentVolume {PV['metadata']['name']}: its directory")


def test_a_capacity_that_is_no_quantity_is_skipped_and_named() -> None:
    [reason] = of(pv(capacity="lots")).skipped
    assert "capacity: not a size quantity: 'lots'" in reason


def test_no_pv_list_is_an_error() -> None:
    with pytest.raises(ApplyError, match="no PersistentVolume list"):
        claims.of_volume("error: the server could not be reached", "kube", PROVISIONER, SERVERS)


def test_only_missing_or_smaller_sizes_change_and_larger_ones_are_kept() -> None:
    right = claims.Claim("pvc-a", 2**30, "pvc-a")
    grown = claims.Claim("pvc-b", 2 * 2**30, "pvc-b")
    new = claims.Claim("pvc-c", 2**30, "pvc-c")
    raised = claims.Claim("pvc-d", 2**30, "pvc-d")  # its limit raised by hand: not taken back
    limits = [volumes.Volume("pvc-a", 2**30, 0, 2**30, False),
              volumes.Volume("pvc-b", 2**30, 0, 2**30, False),
              volumes.Volume("pvc-d", 4 * 2**30, 0, 2**30, False)]
    todo, kept = claims.changes([right, grown, new, raised], limits)
    assert todo == [grown, new]
    [reason] = kept
    assert reason.startswith("PersistentVolume pvc-d: its directory's size (4294967296 bytes)")
    assert "volumes only grow" in reason


def test_a_directory_not_named_after_its_pv_is_skipped() -> None:
    # Two PVs naming one directory would take turns setting its size; a PV naming a
    # `kubeforge volume create` directory would resize it. csi-driver-nfs (no subDir in
    # kubeforge's StorageClass) names each directory after its PV.
    [reason] = of(pv(subdir="kf-handmade")).skipped
    assert "is not named after it" in reason


@pytest.mark.parametrize("capacity", ["0", "0.0", "9Ei", "16Ei"])
def test_a_capacity_gluster_cannot_hold_is_skipped(capacity: str) -> None:
    [reason] = of(pv(capacity=capacity)).skipped
    assert "gluster sizes are 1 to 9223372036854775807 bytes" in reason

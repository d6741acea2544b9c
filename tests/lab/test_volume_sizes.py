"""Volumes with sizes on the shared session lab: gluster's directory quota refuses a write past
a volume's size, `expand` lets it succeed, `delete` frees the space; sizes and usage read from
gluster's own `--xml` output (the commands `kubeforge volume` runs)."""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import dataclass

import pytest
from rich.console import Console

from kubeforge.bootstrap import claims, volumes
from kubeforge.demo import volumes as demo_volumes
from kubeforge.demo.onlab import DemoLab
from kubeforge.render import addon_versions, storage
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab
NAME = "kf-sized"
SIZE = 8 * 2**20
WRITE_MIB = 32  # four times the size
# dd's count of bytes the client took before the refusal: the size, the FUSE client's write-behind
# window (1 MiB) and writes in flight. At the old 1 s quota cache whole 32 MiB writes got through.
MOST_TAKEN = SIZE + 4 * 2**20


@dataclass
class Run:
    listed: list[volumes.Volume]
    over: str  # dd's stderr writing past the size
    over_rc: int
    after_expand_rc: int
    expanded: list[volumes.Volume]
    after_delete: list[volumes.Volume]
    on_brick_after_delete: int  # exit status of `test -e` for the directory on a brick


def _fill(lab: DemoLab, client: str, name: str, mib: int) -> tuple[int, str]:
    return _fill_path(lab, client, f"{demo_volumes.MOUNT}/{NAME}/{name}", mib)


@pytest.fixture(scope="module")
def run(lab: Lab) -> Run:
    return exercise(DemoLab(lab.workspace, lab.paths, lab.plan,
                            Console(file=io.StringIO(), width=200)))


def exercise(on_lab: DemoLab) -> Run:
    ctx = on_lab.converge(on_lab.workspace.operator_spec(), demo_volumes.PHASES)
    volume, admin = on_lab.plan.spec.storage.volume, on_lab.plan.by_role("gluster")[0].name
    client = on_lab.plan.by_role("worker")[0].name
    on_lab.run(admin, volumes.create_command(volume, NAME, SIZE), timeout=300)
    listed = volumes.parse_list(on_lab.out(admin, volumes.list_command(volume)))
    demo_volumes.mount(on_lab, ctx, client)
    try:
        over_rc, over = _fill(on_lab, client, "past-size", WRITE_MIB)
        on_lab.run(admin, volumes.expand_command(volume, NAME, 4 * WRITE_MIB * 2**20))
        after_expand_rc, _ = _fill(on_lab, client, "after-expand", WRITE_MIB)
        expanded = volumes.parse_list(on_lab.out(admin, volumes.list_command(volume)))
    finally:
        on_lab.run(client, f"umount {demo_volumes.MOUNT}", check=False, timeout=120)
    on_lab.run(admin, volumes.delete_command(volume, NAME), timeout=300)
    after_delete = volumes.parse_list(on_lab.out(admin, volumes.list_command(volume)))
    brick = f"/data/bricks/{volume}/brick/{NAME}"
    gone = on_lab.run(admin, f"test -e {brick}", check=False).returncode
    return Run(listed, over, over_rc, after_expand_rc, expanded, after_delete, gone)


def test_create_sets_the_size_gluster_reports(run: Run) -> None:
    [made] = [v for v in run.listed if v.name == NAME]
    assert made.size == SIZE and made.used < SIZE


def test_a_write_past_the_size_fails_with_a_quota_error(run: Run) -> None:
    assert run.over_rc != 0
    assert "Disk quota exceeded" in run.over or "No space left" in run.over, run.over
    [taken] = re.findall(r"^([0-9]+) bytes .* copied", run.over, re.MULTILINE)
    assert int(taken) <= MOST_TAKEN, run.over


def test_expand_lets_the_write_succeed(run: Run) -> None:
    assert run.after_expand_rc == 0
    [grown] = [v for v in run.expanded if v.name == NAME]
    assert grown.size == 4 * WRITE_MIB * 2**20 and grown.used >= WRITE_MIB * 2**20


def test_delete_frees_the_space(run: Run) -> None:
    assert NAME not in [v.name for v in run.after_delete]
    assert run.on_brick_after_delete != 0  # the directory is gone from the brick too


# `kubeforge volume sync` on the lab: the gluster side is real; the PersistentVolume list stands
# in for `kubectl get pv -o json` (no kube-apiserver can run here), in csi-driver-nfs's shape.
CLAIM = "pvc-0d9f6c2e-5b7a-4c1e-9a57-2f3e8b6d4a10"
AFTER = "kf-after-claim"


@dataclass
class Synced:
    first: list[claims.Claim]
    over_rc: int
    over: str
    grown: list[claims.Claim]
    after_grow_rc: int
    again: list[claims.Claim]
    listed: list[volumes.Volume]
    after_delete: list[volumes.Volume]  # listed once the claim's directory was deleted
    made_after: int  # exit status of a `volume create` then


def _sync(lab: DemoLab, admin: str, capacity: str) -> list[claims.Claim]:
    """What `kubeforge volume sync` does, with the stand-in PV list: the sizes that differ, set."""
    volume, plan = lab.plan.spec.storage.volume, lab.plan
    pv = {"metadata": {"name": CLAIM}, "spec": {"capacity": {"storage": capacity}, "csi": {
        "driver": addon_versions.CSI_DRIVER_NFS_PROVISIONER, "volumeAttributes": {
            "server": storage.storage_server(plan), "share": f"/{volume}", "subdir": CLAIM}}}}
    ours = claims.of_volume(json.dumps({"items": [pv]}), volume,
                            addon_versions.CSI_DRIVER_NFS_PROVISIONER, {storage.storage_server(plan)})
    todo, _ = claims.changes(ours.found, volumes.parse_list(lab.out(admin, volumes.list_command(volume))))
    for claim in todo:
        lab.run(admin, volumes.expand_command(volume, claim.directory, claim.size))
    return todo


@pytest.fixture(scope="module")
def synced(lab: Lab, run: Run) -> Synced:
    on_lab = DemoLab(lab.workspace, lab.paths, lab.plan, Console(file=io.StringIO(), width=200))
    ctx = on_lab.converge(on_lab.workspace.operator_spec(), demo_volumes.PHASES)
    volume, admin = lab.plan.spec.storage.volume, lab.plan.by_role("gluster")[0].name
    client = lab.plan.by_role("worker")[0].name
    demo_volumes.mount(on_lab, ctx, client)
    claim = f"{demo_volumes.MOUNT}/{CLAIM}"
    try:  # the claim's directory as csi-driver-nfs makes it: mode 0777, no limit
        on_lab.run(client, f"mkdir -m 0777 {claim}")
        first = _sync(on_lab, admin, "8Mi")
        over_rc, over = _fill_path(on_lab, client, f"{claim}/past-size", WRITE_MIB)
        grown = _sync(on_lab, admin, "128Mi")  # the claim expanded: its PV's capacity grew
        after_grow_rc, _ = _fill_path(on_lab, client, f"{claim}/after-grow", WRITE_MIB)
        again = _sync(on_lab, admin, "128Mi")
        listed = volumes.parse_list(on_lab.out(admin, volumes.list_command(volume)))
    finally:  # csi-driver-nfs's DeleteVolume: the directory goes, its limit is not removed
        on_lab.run(client, f"rm -rf {claim}; umount {demo_volumes.MOUNT}", check=False, timeout=120)
    after_delete = volumes.parse_list(on_lab.out(admin, volumes.list_command(volume)))
    made_after = on_lab.run(admin, volumes.create_command(volume, AFTER, SIZE), check=False,
                            timeout=300).returncode
    on_lab.run(admin, volumes.delete_command(volume, AFTER), check=False, timeout=300)
    return Synced(first, over_rc, over, grown, after_grow_rc, again, listed, after_delete,
                  made_after)


def _fill_path(lab: DemoLab, client: str, path: str, mib: int) -> tuple[int, str]:
    done = lab.run(client, f"dd if=/dev/zero of={shlex.quote(path)} bs=1M count={mib} conv=fsync",
                   check=False, timeout=600)
    return done.returncode, done.stderr.decode(errors="replace")


def test_sync_sizes_a_claims_directory_from_its_capacity(synced: Synced) -> None:
    assert [(c.directory, c.size) for c in synced.first] == [(CLAIM, 8 * 2**20)]
    assert synced.over_rc != 0 and "Disk quota exceeded" in synced.over, synced.over


def test_sync_follows_an_expanded_claim_and_then_has_nothing_to_do(synced: Synced) -> None:
    assert [(c.directory, c.size) for c in synced.grown] == [(CLAIM, 128 * 2**20)]
    assert synced.after_grow_rc == 0
    assert synced.again == []
    [limit] = [v for v in synced.listed if v.name == CLAIM]
    assert limit.size == 128 * 2**20


def test_volumes_still_list_and_create_after_a_claim_is_deleted(synced: Synced) -> None:
    # gluster's `quota list` of everything fails once the last limited directory is deleted
    # without `quota remove`; kubeforge lists directory by directory instead.
    assert CLAIM not in [v.name for v in synced.after_delete]
    assert synced.made_after == 0

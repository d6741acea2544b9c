"""Data disks by identity, and never over data.

In the lab a gluster machine's data disk is a loop device bound at the plan's lab identity path
(/dev/disk/by-id/kubeforge-lab-<host>). The storage phase's disk op is run by the real on-host
checker against real loop devices (blank, pre-formatted, partitioned, wrong size, missing):
only the planned blank disk is formatted; every other case stops before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap import onhost
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import storage_servers
from kubeforge.lab import disks
from kubeforge.plan import build
from kubeforge.plan.model import Machine
from kubeforge.spec import default
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab
MOUNT = "/bricks/kube"
GIB = 1024**3


# -- the lab's machines see their disk at the planned identity path ---------------------------

def _planned(machine: Machine) -> Any:
    assert machine.data_disk is not None
    identity = machine.data_disk.on("lab")
    assert identity is not None
    return identity


def test_data_disk_only_where_planned(lab: Lab) -> None:
    for machine in lab.plan.machines:
        path = disks.inside_path(machine.name)
        present = lab.exec(machine.name, f"test -b {path}").returncode == 0
        assert present == bool(machine.data_disk_gb), machine.name


def test_data_disk_has_the_planned_size_at_its_identity_path(lab: Lab) -> None:
    machine = lab.plan.by_role("gluster")[0]
    identity = _planned(machine)
    size = int(lab.out(machine.name, f"blockdev --getsize64 {identity.path}"))
    assert size == identity.min_bytes == identity.max_bytes


# -- the storage phase's disk op, on real loop devices ---------------------------------------

@pytest.fixture
def plan_machine() -> Machine:
    plan = build.build_plan(default.default_spec())
    return plan.by_role("gluster")[0]


class Loops:
    """Loop devices on sparse files, detached at the end (by device name, never by pattern)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.devices: list[str] = []

    def make(self, name: str, size: int) -> str:
        image = self.tmp / f"{name}.img"
        with image.open("wb") as handle:
            handle.truncate(size)
        device = subprocess.run(["losetup", "--find", "--show", str(image)], check=True,
                                capture_output=True, text=True).stdout.strip()
        self.devices.append(device)
        return device


@pytest.fixture
def loops(tmp_path: Path) -> Iterator[Loops]:
    made = Loops(tmp_path)
    yield made
    for device in made.devices:
        subprocess.run(["losetup", "-d", device], check=False)


def _root_with_disk(tmp: Path, machine: Machine, device: str | None) -> Path:
    """A host root where the machine's lab identity path points at `device`."""
    root = tmp / "root"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc/fstab").write_text("# static file system information\n")
    if device is not None:
        link = root / _planned(machine).path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(device)
    return root


def _run(root: Path, machine: Machine, mode: str) -> dict[str, Any]:
    ctx = Context(plan=build.build_plan(default.default_spec()), artifacts=())
    ops = storage_servers.disk_ops(ctx, machine.name, MOUNT)[:1]  # the disk op alone
    payload = m.Manifest(ops).payload(mode, str(root), diff=False)
    proc = subprocess.run(onhost.local_argv(), input=payload, capture_output=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)["results"][0]
    return result


def _fingerprint(device: str) -> str:
    """Hash of the first and last MiB: where every signature lives."""
    with open(device, "rb") as handle:
        head = handle.read(1 << 20)
        handle.seek(-(1 << 20), 2)
        tail = handle.read()
    return hashlib.sha256(head + tail).hexdigest()


def _probe(device: str) -> str:
    return subprocess.run(["blkid", "-p", "-o", "export", device], capture_output=True,
                          text=True, check=False).stdout


def test_the_planned_blank_disk_is_formatted_and_listed_in_fstab(
        tmp_path: Path, loops: Loops, plan_machine: Machine) -> None:
    identity = _planned(plan_machine)
    device = loops.make("blank", identity.min_bytes)
    root = _root_with_disk(tmp_path, plan_machine, device)
    assert _run(root, plan_machine, "check")["changes"] == ["format", "fstab"]
    applied = _run(root, plan_machine, "apply")
    assert applied["status"] == "changed", applied
    assert "TYPE=xfs" in _probe(device) and "LABEL=kf-brick" in _probe(device)
    fstab = (root / "etc/fstab").read_text()
    assert f"{identity.path} {MOUNT} xfs defaults,nofail 0 2" in fstab
    assert _run(root, plan_machine, "check")["status"] == "ok"  # converged: not formatted again


@pytest.mark.parametrize("content", ["ext4", "xfs-unlabelled", "gpt"])
def test_a_disk_that_holds_anything_is_refused_and_untouched(
        tmp_path: Path, loops: Loops, plan_machine: Machine, content: str) -> None:
    device = loops.make(content, _planned(plan_machine).min_bytes)
    prepare = {"ext4": ["mkfs.ext4", "-q", "-F", device],
               "xfs-unlabelled": ["mkfs.xfs", "-q", device],
               "gpt": ["sfdisk", "-q", "--label", "gpt", device]}[content]
    subprocess.run(prepare, check=True, capture_output=True,
                   input="start=2048, size=4096\n" if content == "gpt" else "", text=True)
    before = _fingerprint(device)
    root = _root_with_disk(tmp_path, plan_machine, device)
    for mode in ("check", "apply"):
        result = _run(root, plan_machine, mode)
        assert result["status"] == "failed", result
        assert "is not blank" in result["error"]["stderr"]
        assert _planned(plan_machine).path in result["error"]["stderr"]
    assert _fingerprint(device) == before
    assert (root / "etc/fstab").read_text() == "# static file system information\n"


def test_a_disk_of_another_size_is_refused_and_untouched(
        tmp_path: Path, loops: Loops, plan_machine: Machine) -> None:
    device = loops.make("small", GIB)
    root = _root_with_disk(tmp_path, plan_machine, device)
    result = _run(root, plan_machine, "apply")
    assert result["status"] == "failed"
    stderr = result["error"]["stderr"]
    assert f"holds {GIB} bytes" in stderr and str(_planned(plan_machine).min_bytes) in stderr
    assert _probe(device) == ""


def test_no_planned_disk_path_is_refused_naming_every_candidate(
        tmp_path: Path, plan_machine: Machine) -> None:
    root = _root_with_disk(tmp_path, plan_machine, None)
    result = _run(root, plan_machine, "apply")
    assert result["status"] == "failed"
    stderr = result["error"]["stderr"]
    assert plan_machine.data_disk is not None
    assert all(i.path in stderr for i in plan_machine.data_disk.identities)
    assert "nothing was touched" in stderr

"""Gluster machines get a data disk at /dev/vdb (a loop device on a sparse file) that takes an
XFS brick, as the second virtio disk does on a VM."""

from __future__ import annotations

import pytest

from kubeforge.lab import disks
from kubeforge.render.storage import DATA_DEVICE
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def test_data_disk_only_where_planned(lab: Lab) -> None:
    for machine in lab.plan.machines:
        present = lab.exec(machine.name, f"test -b {DATA_DEVICE}").returncode == 0
        assert present == bool(machine.data_disk_gb), machine.name


def test_data_disk_takes_an_xfs_brick(lab: Lab) -> None:
    machine = lab.plan.by_role("gluster")[0]
    assert machine.data_disk_gb is not None
    size = int(lab.out(machine.name, f"blockdev --getsize64 {DATA_DEVICE}"))
    assert size == min(machine.data_disk_gb, disks.MAX_GB) * 1024**3
    mounted = lab.exec(machine.name, f"findmnt -n -o FSTYPE,TARGET --source {DATA_DEVICE}")
    if mounted.returncode == 0:  # the storage phase (test_apply) already made it a brick
        fstype, target = mounted.stdout.split()[:2]
        assert fstype == "xfs"
        probe = f"{target}/.kubeforge-lab-probe"
        assert lab.out(machine.name, f"echo data > {probe} && cat {probe} && rm {probe}") == "data"
        return
    script = (f"mkfs.xfs -q -f {DATA_DEVICE} && mkdir -p /mnt/brick && "
              f"mount {DATA_DEVICE} /mnt/brick && echo data > /mnt/brick/probe && "
              "cat /mnt/brick/probe && umount /mnt/brick && wipefs -q -a " + DATA_DEVICE)
    assert lab.out(machine.name, script) == "data"

"""Data disks: a machine planned with `data_disk_gb` (the gluster machines) gets a sparse file on
a loop device, bound into the machine at the lab's identity path from the plan
(/dev/disk/by-id/kubeforge-lab-<host>, plan/disks.py): a container has no udev to make by-id
links, so the lab puts the device there itself, and the storage phase finds it the same way it
finds a VM's disk by its serial. The engine formats and mounts it as it would on a VM (XFS).
Thin LVM is not an option here: the kernel has no device-mapper."""

from __future__ import annotations

from pathlib import Path

from kubeforge.lab import sh
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Made, Record
from kubeforge.lab.topology import LabMachine
from kubeforge.plan import disks as plan_disks

MAX_GB = plan_disks.LAB_MAX_GB


def attach(paths: LabPaths, machine: LabMachine, record: Record) -> tuple[str, str] | None:
    """Make the disk; return (loop device on the host, device path inside the machine)."""
    if not machine.data_disk_gb:
        return None
    image = image_path(paths, machine.name)
    image.parent.mkdir(parents=True, exist_ok=True)
    with image.open("wb") as handle:
        handle.truncate(min(machine.data_disk_gb, MAX_GB) * 1024**3)
    loop = sh.out(["losetup", "--find", "--show", str(image)]).strip()
    record.add(Made("loop", loop))
    return loop, inside_path(machine.name)


def image_path(paths: LabPaths, host: str) -> Path:
    return paths.machine_dir(host) / "data-disk.img"


def inside_path(host: str) -> str:
    """Where the machine sees its data disk: the plan's lab identity."""
    return plan_disks.lab_path(host)


def backing_file(loop: str) -> Path | None:
    """The file behind a loop device, if it is still attached."""
    name = Path(loop).name
    backing = Path(f"/sys/block/{name}/loop/backing_file")
    return Path(backing.read_text().strip()) if backing.exists() else None

"""Data disks: a machine planned with `data_disk_gb` (the gluster machines) gets a sparse file on
a loop device, shown inside the machine as /dev/vdb -- the name the storage renderer expects from
a provider's second virtio disk. The engine formats and mounts it as it would on a VM (XFS).
Thin LVM is not an option here: the kernel has no device-mapper."""

from __future__ import annotations

from pathlib import Path

from kubeforge.lab import sh
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Made, Record
from kubeforge.lab.topology import LabMachine
from kubeforge.render.storage import DATA_DEVICE

# A sparse file costs only what is written, but a 500 GB brick is pointless on a rehearsal
# host: the lab caps the size (the plan's size is kept for real providers).
MAX_GB = 8


def attach(paths: LabPaths, machine: LabMachine, record: Record) -> tuple[str, str] | None:
    """Make the disk; return (loop device on the host, device path inside the machine)."""
    if not machine.data_disk_gb:
        return None
    image = paths.machine_dir(machine.name) / "data-disk.img"
    image.parent.mkdir(parents=True, exist_ok=True)
    with image.open("wb") as handle:
        handle.truncate(min(machine.data_disk_gb, MAX_GB) * 1024**3)
    loop = sh.out(["losetup", "--find", "--show", str(image)]).strip()
    record.add(Made("loop", loop))
    return loop, DATA_DEVICE


def backing_file(loop: str) -> Path | None:
    """The file behind a loop device, if it is still attached."""
    name = Path(loop).name
    backing = Path(f"/sys/block/{name}/loop/backing_file")
    return Path(backing.read_text().strip()) if backing.exists() else None

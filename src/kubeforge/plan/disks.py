"""Data disks by identity: where each provider's data disk shows up inside the machine.

A device name such as /dev/vdb or /dev/sdb is a guess (VirtualBox puts the disk on SATA, libvirt on
virtio, a bare-metal host anywhere), and a wrong guess could put `mkfs` over someone's data. So
every data disk gets a serial number that kubeforge sets when it creates the disk, and the plan
names the stable path that serial gives inside the guest, per provider:

- libvirt: `<serial>` on the virtio disk -> udev's /dev/disk/by-id/virtio-<serial>
  (virtio-blk serials are at most 20 bytes: VIRTIO_BLK_ID_BYTES);
- VirtualBox: the AHCI port's `SerialNumber` (VBoxManage setextradata, VirtualBox manual 9.9.2
  "Configuring the hard disk vendor product data"; at most 20 characters, DevAHCI.cpp
  AHCI_SERIAL_NUMBER_LENGTH) -> /dev/disk/by-id/ata-VBOX_HARDDISK_<serial> (the default model
  number is "VBOX HARDDISK"; udev joins model and serial with `_`);
- the lab: the loop device is bound into the machine at /dev/disk/by-id/kubeforge-lab-<host>
  (no udev in a container: the lab makes the path itself);
- existing hosts: the path the operator gives in `hosts.<role>.data_disks`, the only candidate.

Each identity carries the size the disk must have: exact for disks kubeforge makes, "as sold"
(GB) up to the binary figure (GiB) for a disk the operator names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

GIB = 1024**3
SERIAL_PREFIX = "kf"
# A sparse file costs only what is written, but a 500 GB brick is pointless on a rehearsal host:
# the lab caps the size (the plan's size is kept for real providers).
LAB_MAX_GB = 8
LAB_PATH = "/dev/disk/by-id/kubeforge-lab-"
XFS_LABEL = "kf-brick"  # at most 12 characters (XFS); marks a brick file system kubeforge made


@dataclass(frozen=True)
class DiskIdentity:
    """One provider's way to find the disk again: a path naming it and its size in bytes."""

    provider: str  # libvirt, virtualbox, lab, existing
    path: str
    min_bytes: int
    max_bytes: int


@dataclass(frozen=True)
class DataDisk:
    size_gb: int
    serial: str  # what libvirt and VirtualBox set on the disk
    identities: tuple[DiskIdentity, ...]  # the candidates the storage phase accepts

    def on(self, provider: str) -> DiskIdentity | None:
        return next((i for i in self.identities if i.provider == provider), None)


def serial(cluster: str, host: str) -> str:
    """Stable per cluster and host, 16 characters: fits virtio (20) and ATA (20)."""
    return SERIAL_PREFIX + hashlib.sha256(f"{cluster}/{host}/data".encode()).hexdigest()[:14]


def lab_path(host: str) -> str:
    return LAB_PATH + host


def data_disk(cluster: str, host: str, size_gb: int, given_path: str | None) -> DataDisk:
    """The disk's identities: the operator's path alone when given, else every provider's."""
    disk_serial = serial(cluster, host)
    if given_path:
        operator = DiskIdentity("existing", given_path, size_gb * 1000**3, (size_gb + 1) * GIB)
        return DataDisk(size_gb, disk_serial, (operator,))
    exact = size_gb * GIB
    lab_bytes = min(size_gb, LAB_MAX_GB) * GIB
    return DataDisk(size_gb, disk_serial, (
        DiskIdentity("libvirt", f"/dev/disk/by-id/virtio-{disk_serial}", exact, exact),
        DiskIdentity("virtualbox", f"/dev/disk/by-id/ata-VBOX_HARDDISK_{disk_serial}", exact,
                     exact),
        DiskIdentity("lab", lab_path(host), lab_bytes, lab_bytes),
    ))

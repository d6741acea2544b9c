"""Each data disk has a stable identity per provider: a serial kubeforge sets, the path that
serial gives inside the guest, and the size the disk must have."""

from __future__ import annotations

import pytest

from kubeforge.errors import SpecError
from kubeforge.plan import build, disks
from kubeforge.spec import default
from kubeforge.spec.model import ClusterSpec


def _spec(**gluster: object) -> ClusterSpec:
    spec = default.default_spec()
    group = spec.hosts.gluster.model_copy(update=gluster)
    return spec.model_copy(update={"hosts": spec.hosts.model_copy(update={"gluster": group})})


def test_every_gluster_machine_gets_a_distinct_serial_that_fits_virtio_and_ata() -> None:
    plan = build.build_plan(default.default_spec())
    serials = [m.data_disk.serial for m in plan.by_role("gluster") if m.data_disk]
    assert len(set(serials)) == len(serials) == len(plan.by_role("gluster"))
    assert all(len(s) <= 20 and s.isalnum() for s in serials)
    assert all(m.data_disk is None for m in plan.machines if m.role != "gluster")


def test_identities_per_provider_name_the_serial_and_the_exact_size() -> None:
    machine = build.build_plan(default.default_spec()).by_role("gluster")[0]
    disk = machine.data_disk
    assert disk is not None and machine.data_disk_gb == disk.size_gb
    libvirt, vbox, lab = (disk.on(p) for p in ("libvirt", "virtualbox", "lab"))
    assert libvirt and libvirt.path == f"/dev/disk/by-id/virtio-{disk.serial}"
    assert vbox and vbox.path == f"/dev/disk/by-id/ata-VBOX_HARDDISK_{disk.serial}"
    assert libvirt.min_bytes == libvirt.max_bytes == disk.size_gb * 1024**3
    assert lab and lab.path == disks.lab_path(machine.name)
    assert lab.max_bytes == min(disk.size_gb, disks.LAB_MAX_GB) * 1024**3


def test_an_operator_named_disk_is_the_only_candidate() -> None:
    path = "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"
    plan = build.build_plan(_spec(data_disks={"kube-glus01": path}))
    disk = plan.machine("kube-glus01").data_disk
    assert disk is not None and [i.path for i in disk.identities] == [path]
    identity = disk.identities[0]
    assert identity.min_bytes == disk.size_gb * 1000**3 < identity.max_bytes  # "500 GB" as sold
    other = plan.machine("kube-glus02").data_disk
    assert other is not None and len(other.identities) == 3


def test_a_data_disk_for_an_unknown_machine_is_an_error_naming_the_field() -> None:
    with pytest.raises(SpecError) as raised:
        build.build_plan(_spec(data_disks={"kube-glus09": "/dev/disk/by-id/x"}))
    assert "hosts.gluster.data_disks.kube-glus09" in str(raised.value)


def test_a_guessed_device_name_is_refused_by_the_spec() -> None:
    with pytest.raises(ValueError, match="data_disks"):
        default.default_spec().model_validate(
            {**default.default_spec().model_dump(mode="json"),
             "hosts": {**default.default_spec().hosts.model_dump(mode="json"),
                       "gluster": {**default.default_spec().hosts.gluster.model_dump(),
                                   "data_disks": {"kube-glus01": "/dev/sdb"}}}})

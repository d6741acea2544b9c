"""libvirt: XML accepted by libvirt's schemas (virt-xml-validate), and the default topology
defined, started, re-run (adopted, no change) and destroyed for real through libvirt-python
against the test driver (test:///default: in-memory state per connection, so one connection is
shared by every provider instance of a test)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision.base import Options
from kubeforge.provision.libvirt import Libvirt
from tests.provision.fake_login import FakeMachines

libvirt = pytest.importorskip("libvirt")
TEST_URI = "test:///default"


@pytest.fixture
def conn() -> Iterator[Any]:
    connection = libvirt.open(TEST_URI)
    yield connection
    connection.close()


@pytest.fixture
def lv_options(options: Options) -> Options:
    image = Path("/srv/images/debian-13-generic-amd64.qcow2")
    return dataclasses.replace(options, uri=TEST_URI, image=image)


def _names(conn: Any) -> tuple[set[str], set[str], set[str]]:
    pool = conn.storagePoolLookupByName("default-pool")
    return (
        {d.name() for d in conn.listAllDomains()},
        {n.name() for n in conn.listAllNetworks()},
        {v.name() for v in pool.listAllVolumes()},
    )


def _validate(tmp_path: Path, name: str, document: str, schema: str) -> None:
    path = tmp_path / f"{name}.xml"
    path.write_text(document)
    result = subprocess.run(
        ["virt-xml-validate", str(path), schema], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}\n{document}"


@pytest.mark.skipif(
    shutil.which("virt-xml-validate") is None, reason="libvirt-clients not installed"
)
def test_every_document_passes_virt_xml_validate(
    plan: Plan, lv_options: Options, tmp_path: Path
) -> None:
    provider = Libvirt(plan, dataclasses.replace(lv_options, dry_run=True, uri="qemu:///nowhere"))
    for name, document in provider.network_documents().items():
        _validate(tmp_path, name, document, "network")
    for machine in plan.machines:
        _validate(tmp_path, machine.name, provider.domain_document(machine, "kvm"), "domain")
        for name, document in provider.volume_documents(machine).items():
            _validate(tmp_path, name, document, "storagevol")


def test_virt_xml_validate_rejects_a_broken_document(tmp_path: Path) -> None:
    """The schema check above can fail: a vCPU count that is not a number is refused."""
    path = tmp_path / "broken.xml"
    path.write_text(
        "<domain type='kvm'><name>x</name><memory>1</memory><vcpu>two</vcpu>"
        "<os><type>hvm</type></os></domain>"
    )
    assert (
        subprocess.run(
            ["virt-xml-validate", str(path), "domain"], capture_output=True, check=False
        ).returncode
        != 0
    )


def test_documents_carry_the_plan(plan: Plan, lv_options: Options) -> None:
    provider = Libvirt(plan, dataclasses.replace(lv_options, dry_run=True))
    networks = provider.network_documents()
    assert "<forward" not in networks["kube-mast"] and "<ip" not in networks["kube-mast"]
    assert '<forward mode="nat"' in networks["kube-wan"]
    gateway_wan = plan.gateway.nics[0].mac
    assert f'mac="{gateway_wan}"' in networks["kube-wan"]
    glus = plan.machine("kube-glus01")
    document = provider.domain_document(glus, "kvm")
    assert f'<mac address="{glus.nics[0].mac}"' in document and '<model type="virtio"' in document
    assert 'volume="kube-glus01-data.qcow2"' in document and 'device="cdrom"' in document
    volumes = provider.volume_documents(glus)
    assert "<backingStore>" in volumes["kube-glus01.qcow2"]
    assert '<capacity unit="GiB">500</capacity>' in volumes["kube-glus01-data.qcow2"]


def test_up_on_the_test_driver_then_rerun_adopts_and_changes_nothing(
    plan: Plan, lv_options: Options, conn: Any
) -> None:
    before = _names(conn)
    done = Libvirt(plan, lv_options, conn).up()
    assert [a.verb for a in done].count("define-domain") == 12
    domains, networks, volumes = _names(conn)
    assert {m.name for m in plan.machines} <= domains
    assert {"kube-mast", "kube-node", "kube-glus", "kube-dmz", "kube-wan"} <= networks
    # 12 overlays + 3 gluster data disks + 12 seed ISOs + the base image
    assert len(volumes - before[2]) == 28
    assert all(conn.lookupByName(m.name).isActive() for m in plan.machines)

    again = Libvirt(plan, lv_options, conn)
    assert again.plan_actions() == [] and again.up() == [] and again.notes == []


def test_defined_macs_are_the_planned_ones(plan: Plan, lv_options: Options, conn: Any) -> None:
    Libvirt(plan, lv_options, conn).up()
    gateway = conn.lookupByName("kube-gate01").XMLDesc(0)
    for nic in plan.gateway.nics:
        assert f"<mac address='{nic.mac}'/>" in gateway


def test_stopped_domain_is_started_and_nothing_else(
    plan: Plan, lv_options: Options, conn: Any
) -> None:
    Libvirt(plan, lv_options, conn).up()
    conn.lookupByName("kube-node02").destroy()
    actions = Libvirt(plan, lv_options, conn).plan_actions()
    assert [(a.verb, a.target) for a in actions] == [("start-domain", "kube-node02")]


def test_destroy_removes_exactly_what_up_made(plan: Plan, lv_options: Options, conn: Any) -> None:
    before = _names(conn)
    Libvirt(plan, lv_options, conn).up()
    Libvirt(plan, lv_options, conn).destroy()
    assert _names(conn) == before  # the driver's own `test` domain and `default` network stay
    assert Libvirt(plan, lv_options, conn).destroy_actions() == []


def test_existing_domain_with_other_macs_is_adopted_and_reported(
    plan: Plan, lv_options: Options, conn: Any
) -> None:
    provider = Libvirt(plan, lv_options, conn)
    node = plan.machine("kube-node01")
    foreign = provider.domain_document(node, "test").replace(node.nics[0].mac, "52:54:00:00:00:01")
    conn.defineXML(foreign)
    actions = Libvirt(plan, lv_options, conn)
    planned = actions.machine_actions()
    assert "kube-node01" not in {a.target for a in planned if a.verb == "define-domain"}
    assert any("kube-node01" in note and "MACs" in note for note in actions.notes)


def test_dry_run_without_libvirt_plans_everything_and_says_why(
    plan: Plan, lv_options: Options
) -> None:
    provider = Libvirt(
        plan,
        dataclasses.replace(
            lv_options, dry_run=True, uri="qemu+unix:///system?socket=/nonexistent"
        ),
    )
    actions = provider.plan_actions()
    assert [a.verb for a in actions].count("define-domain") == 12
    assert any("cannot connect" in note for note in provider.notes)


def test_uplink_overlapping_the_spec_is_refused(plan: Plan, lv_options: Options) -> None:
    clash = dataclasses.replace(lv_options, extra={"uplink_cidr": "192.168.200.0/24"})
    with pytest.raises(ProviderError, match="overlaps 192.168.0.0/16"):
        Libvirt(plan, clash)


def test_up_starts_the_gateway_first_and_the_others_once_it_takes_a_login(
    plan: Plan, lv_options: Options, conn: Any, fake_logins: FakeMachines
) -> None:
    active_at_probe: list[set[str]] = []
    fake_logins.before_probe = lambda host: active_at_probe.append(
        {m.name for m in plan.machines if conn.lookupByName(m.name).isActive()})
    Libvirt(plan, lv_options, conn).up()
    assert fake_logins.probes == [plan.gateway.name]
    assert active_at_probe == [{plan.gateway.name}]
    assert all(conn.lookupByName(m.name).isActive() for m in plan.machines)


@pytest.mark.skipif(
    shutil.which("virt-xml-validate") is None, reason="libvirt-clients not installed"
)
def test_data_disk_carries_the_planned_serial_and_a_built_image_boots_its_kernel(
    plan: Plan, lv_options: Options, tmp_path: Path
) -> None:
    """The guest finds the brick disk at /dev/disk/by-id/virtio-<serial> (the plan's libvirt
    identity), never as a guessed vdb; an image from `kubeforge image build` comes with its
    kernel, initrd and command line, booted directly."""
    import xml.etree.ElementTree as ET

    image = tmp_path / "debian-13-kubeforge-amd64.qcow2"
    image.write_bytes(b"QFI\xfb" + bytes(508))
    for suffix, content in ((".vmlinuz", "k"), (".initrd", "i"), (".cmdline", "root=LABEL=x\n")):
        image.with_suffix(suffix).write_text(content)
    options = dataclasses.replace(lv_options, dry_run=True, uri="qemu:///nowhere", image=image,
                                  extra={"uplink_dns": "off"})
    provider = Libvirt(plan, options)
    machine = plan.by_role("gluster")[0]
    assert machine.data_disk is not None
    document = provider.domain_document(machine, "qemu")
    _validate(tmp_path, machine.name, document, "domain")
    root = ET.fromstring(document)
    disk = next(d for d in root.iterfind("./devices/disk") if d.findtext("serial"))
    identity = machine.data_disk.on("libvirt")
    assert identity and identity.path == f"/dev/disk/by-id/virtio-{disk.findtext('serial')}"
    assert root.findtext("os/cmdline") == "root=LABEL=x"
    assert root.findtext("os/kernel", "").endswith("kube-base.vmlinuz")
    assert root.find("os/boot") is None
    uplink = provider.network_documents()["kube-wan"]
    _validate(tmp_path, "kube-wan", uplink, "network")
    assert '<dns enable="no"' in uplink

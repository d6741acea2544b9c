"""libvirt XML documents for the plan: networks, storage volumes and domains. Pure functions.

Built with xml.etree rather than templates: every value is escaped, and the tests validate each
document against libvirt's own RelaxNG schemas with `virt-xml-validate`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from ipaddress import IPv4Network

from kubeforge.plan.model import Machine

CONSOLE_LOG_DIR = "/var/log/libvirt/qemu"  # libvirt's own log directory for domains
METADATA_NS = "urn:kubeforge:machine"  # marks domains kubeforge made (role, cluster)


@dataclass(frozen=True)
class DiskRef:
    """A volume in a pool as the domain sees it: a virtio disk, or the seed as a CD-ROM."""

    target: str  # vda, vdb, sda
    pool: str
    volume: str
    cdrom: bool = False
    serial: str = ""  # the guest sees it as /dev/disk/by-id/virtio-<serial>


@dataclass(frozen=True)
class KernelBoot:
    """Direct kernel boot (an image from `kubeforge image build`): paths qemu reads."""

    kernel: str
    initrd: str
    cmdline: str


def network_isolated(name: str, bridge: str) -> str:
    """No <forward> and no <ip>: libvirt neither routes nor serves DHCP; the gateway does."""
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "bridge", name=bridge, stp="off")
    return _text(root)


def network_nat(name: str, bridge: str, cidr: IPv4Network, gateway_mac: str, gateway: str,
                dns: bool = True, forward: str = "nat") -> str:
    """The gateway's uplink: NAT to the host's network; libvirt's DHCP pins the gateway's
    address by MAC so the operator's front door is known in advance. For sealed rehearsals:
    `dns=False` (libvirt's dnsmasq answers no DNS, so forwards nothing) and `forward="open"`
    (libvirt adds no firewall rules and no NAT: only what the host routes, here nothing)."""
    hosts = list(cidr.hosts())
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "forward", mode=forward)
    ET.SubElement(root, "bridge", name=bridge, stp="on", delay="0")
    if not dns:
        ET.SubElement(root, "dns", enable="no")
    ip = ET.SubElement(root, "ip", address=str(hosts[0]), netmask=str(cidr.netmask))
    dhcp = ET.SubElement(ip, "dhcp")
    ET.SubElement(dhcp, "range", start=str(hosts[len(hosts) // 2]), end=str(hosts[-1]))
    ET.SubElement(dhcp, "host", mac=gateway_mac, name=gateway, ip=str(uplink_address(cidr)))
    return _text(root)


def uplink_address(cidr: IPv4Network) -> str:
    return str(list(cidr.hosts())[1])


def volume(
    name: str,
    capacity: int,
    unit: str = "GiB",
    fmt: str = "qcow2",
    backing_path: str = "",
    backing_format: str = "",
) -> str:
    """A thin volume (nothing preallocated); with a backing image, a copy-on-write overlay."""
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity", unit=unit).text = str(capacity)
    # Thin: qcow2 grows on write, so 3 x 500 GB bricks fit any pool.
    ET.SubElement(root, "allocation", unit=unit).text = "0"
    target = ET.SubElement(root, "target")
    ET.SubElement(target, "format", type=fmt)
    if backing_path:
        backing = ET.SubElement(root, "backingStore")
        ET.SubElement(backing, "path").text = backing_path
        ET.SubElement(backing, "format", type=backing_format)
    return _text(root)


def domain(
    machine: Machine, cluster: str, domain_type: str, disks: list[DiskRef], networks: list[str],
    kernel: KernelBoot | None = None,
) -> str:
    """One machine. The arch is left out: libvirt picks the host's for `hvm`."""
    root = ET.Element("domain", type=domain_type)
    ET.SubElement(root, "name").text = machine.name
    ET.SubElement(root, "title").text = f"kubeforge {cluster}: {machine.role}"
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, f"{{{METADATA_NS}}}machine", cluster=cluster, role=machine.role)
    ET.SubElement(root, "memory", unit="MiB").text = str(machine.memory_mb)
    ET.SubElement(root, "vcpu").text = str(machine.cpus)
    os_el = ET.SubElement(root, "os")
    ET.SubElement(os_el, "type").text = "hvm"
    if kernel is None:
        ET.SubElement(os_el, "boot", dev="hd")
    else:
        ET.SubElement(os_el, "kernel").text = kernel.kernel
        ET.SubElement(os_el, "initrd").text = kernel.initrd
        ET.SubElement(os_el, "cmdline").text = kernel.cmdline
    features = ET.SubElement(root, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    devices = ET.SubElement(root, "devices")
    for disk in disks:
        devices.append(_disk(disk))
    for nic, network in zip(machine.nics, networks, strict=True):
        devices.append(_interface(nic.mac, network))
    _console(devices, machine.name)
    return _text(root)


def _disk(ref: DiskRef) -> ET.Element:
    device, driver, bus = ("cdrom", "raw", "sata") if ref.cdrom else ("disk", "qcow2", "virtio")
    disk = ET.Element("disk", type="volume", device=device)
    ET.SubElement(disk, "driver", name="qemu", type=driver)
    ET.SubElement(disk, "source", pool=ref.pool, volume=ref.volume)
    ET.SubElement(disk, "target", dev=ref.target, bus=bus)
    if ref.serial:
        ET.SubElement(disk, "serial").text = ref.serial
    if ref.cdrom:  # the cidata seed
        ET.SubElement(disk, "readonly")
    return disk


def _interface(mac: str, network: str) -> ET.Element:
    interface = ET.Element("interface", type="network")
    ET.SubElement(interface, "mac", address=mac)
    ET.SubElement(interface, "source", network=network)
    ET.SubElement(interface, "model", type="virtio")
    return interface


def _console(devices: ET.Element, name: str) -> None:
    """Debian cloud images log to ttyS0, kept in a file too (what to read when a machine does
    not come up); the RNG feeds sshd's first-boot key generation."""
    serial = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(serial, "log", file=f"{CONSOLE_LOG_DIR}/{name}-console.log", append="off")
    ET.SubElement(serial, "target", port="0")
    console = ET.SubElement(devices, "console", type="pty")
    ET.SubElement(console, "target", type="serial", port="0")
    rng = ET.SubElement(devices, "rng", model="virtio")
    ET.SubElement(rng, "backend", model="random").text = "/dev/urandom"


def _text(root: ET.Element) -> str:
    ET.register_namespace("kf", METADATA_NS)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"

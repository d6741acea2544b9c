"""libvirt/QEMU: the plan as libvirt networks, storage volumes and domains, through libvirt-python.

One isolated network per subnet (no <forward>, no libvirt DHCP: the gateway machine serves DHCP
and DNS, as in the reference) plus a NAT network for the gateway's uplink, whose DHCP pins the
gateway's address (the operator's front door). Everything a domain reads lives in one storage
pool (default `default`): the base image and each seed ISO are uploaded into it, so qemu never
needs access to the user's download directory or the private state directory; each machine gets
a thin qcow2 overlay on the base, plus the gluster data disk. Objects are found by name:
existing ones are adopted, never redefined.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Machine, Plan
from kubeforge.provision import images
from kubeforge.provision import libvirt_xml as xml
from kubeforge.provision.base import SSH_PORT, Action, Endpoint, Options, Provider

UPLINK_CIDR = IPv4Network("172.31.253.0/24")
DEFAULT_POOL_DIR = "/var/lib/libvirt/images"
SEED_PLACEHOLDER_BYTES = 1 << 20  # dry-run before render: the real ISO is ~0.4 MB
UPLINK = "wan"
DOMAIN_TYPES = ("kvm", "qemu", "test")  # preferred first; `test` is libvirt's test driver


def _libvirt() -> Any:
    try:
        import libvirt  # type: ignore[import-untyped]
    except ImportError:
        raise ProviderError(
            "libvirt-python is not installed; `pip install 'kubeforge[libvirt]'` "
            "(needs the libvirt-dev and pkg-config Debian packages)"
        ) from None
    # libvirt prints every error to stderr by default; ours are raised (or are answers, like
    # "no such domain" during lookups).
    libvirt.registerErrorHandler(_quiet, None)
    return libvirt


def _quiet(_context: object, _error: object) -> None:
    return None


def qemu_format(fmt: str) -> str:
    """qemu's name for an image format (VHD is `vpc` to qemu)."""
    return "vpc" if fmt == "vhd" else fmt


def _fix_for(source: Path) -> str:
    if source.name == "cidata.iso":
        return f"run `kubeforge render --out {source.parents[2]}` first"
    return "download the Debian cloud image (debian-<version>-generic-amd64.qcow2) or pass --image"


class Libvirt(Provider):
    name = "libvirt"

    def __init__(self, plan: Plan, options: Options, conn: Any = None) -> None:
        super().__init__(plan, options)
        self._conn = conn
        self.pool_name = options.extra.get("pool") or (
            "default-pool" if options.uri.startswith("test:") else "default"
        )
        self.uplink_cidr = IPv4Network(options.extra.get("uplink_cidr", str(UPLINK_CIDR)))
        self.notes: list[str] = []
        self.offline = False  # dry-run without a reachable libvirt: assume nothing exists
        self._check_uplink()

    # -- connection and facts ---------------------------------------------------------------
    @property
    def conn(self) -> Any:
        """One connection for the whole run (the test driver's state lives in it)."""
        if self._conn is None:
            libvirt = _libvirt()
            try:
                self._conn = libvirt.open(self.options.uri)
            except libvirt.libvirtError as exc:
                raise ProviderError(
                    f"--uri {self.options.uri}: cannot connect ({exc}); is "
                    "libvirtd running and may this user use it?"
                ) from None
        return self._conn

    def connected(self) -> bool:
        """False only in a dry-run that cannot reach libvirt: then nothing is assumed to exist."""
        if self.offline:
            return False
        try:
            _ = self.conn
        except ProviderError as exc:
            if not self.options.dry_run:
                raise
            self.offline = True
            self._note(f"{exc}: assuming nothing exists yet")
            return False
        return True

    def _lookup(self, finder: Callable[[str], Any], name: str) -> Any:
        libvirt = _libvirt()
        try:
            return finder(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() in (
                libvirt.VIR_ERR_NO_NETWORK,
                libvirt.VIR_ERR_NO_DOMAIN,
                libvirt.VIR_ERR_NO_STORAGE_VOL,
            ):
                return None
            raise ProviderError(f"libvirt: looking up {name}: {exc}") from None

    def network(self, name: str) -> Any:
        return self._lookup(self.conn.networkLookupByName, name) if self.connected() else None

    def domain(self, name: str) -> Any:
        return self._lookup(self.conn.lookupByName, name) if self.connected() else None

    def pool(self) -> Any:
        libvirt = _libvirt()
        try:
            return self.conn.storagePoolLookupByName(self.pool_name)
        except libvirt.libvirtError:
            raise ProviderError(
                f"libvirt: no storage pool {self.pool_name!r}; create one (`virsh pool-define-as "
                f"{self.pool_name} dir --target /var/lib/libvirt/images && virsh pool-start "
                f"{self.pool_name}`) or name another with the pool option"
            ) from None

    def volume(self, name: str) -> Any:
        if not self.connected():
            return None
        return self._lookup(self.pool().storageVolLookupByName, name)

    # -- names ------------------------------------------------------------------------------
    def network_name(self, subnet: str) -> str:
        return f"{self.plan.name}-{subnet}"

    def bridge(self, subnet: str) -> str:
        """Linux limits interface names to 15 characters: kf-<cluster[:6]>-<subnet>."""
        return f"kf-{self.plan.name[:6]}-{subnet}"

    @staticmethod
    def os_volume(machine: Machine) -> str:
        return f"{machine.name}.qcow2"

    @staticmethod
    def data_volume(machine: Machine) -> str:
        return f"{machine.name}-data.qcow2"

    @staticmethod
    def seed_volume(machine: Machine) -> str:
        return f"{machine.name}-cidata.iso"

    def base_volume(self, fmt: str | None = None) -> str:
        return f"{self.plan.name}-base.{fmt or self.image.format}"

    @property
    def image(self) -> images.Image:
        return images.require(self.options.image)

    def volume_path(self, name: str) -> str:
        """Where a volume lives in the pool (overlays name their backing file by path)."""
        if not self.connected():
            return f"{DEFAULT_POOL_DIR}/{name}"  # dry-run without libvirt: the usual default
        target = ET.fromstring(self.pool().XMLDesc(0)).findtext("target/path")
        return f"{target}/{name}"

    # -- documents --------------------------------------------------------------------------
    def network_documents(self) -> dict[str, str]:
        docs = {
            self.network_name(s): xml.network_isolated(self.network_name(s), self.bridge(s))
            for s in self.plan.subnets
        }
        gateway = self.plan.gateway
        uplink = next(n for n in gateway.nics if n.subnet is None)
        docs[self.network_name(UPLINK)] = xml.network_nat(
            self.network_name(UPLINK),
            self.bridge(UPLINK),
            self.uplink_cidr,
            uplink.mac,
            gateway.name,
            dns=self.options.extra.get("uplink_dns", "on") != "off",
            forward=self._uplink_forward(),
        )
        return docs

    def domain_document(self, machine: Machine, domain_type: str) -> str:
        pool = self.pool_name
        disks = [xml.DiskRef("vda", pool, self.os_volume(machine))]
        if machine.data_disk is not None:  # found in the guest by its serial, never as "vdb"
            disks.append(xml.DiskRef("vdb", pool, self.data_volume(machine),
                                     serial=machine.data_disk.serial))
        disks.append(xml.DiskRef("sda", pool, self.seed_volume(machine), cdrom=True))
        networks = [self.network_name(n.subnet or UPLINK) for n in machine.nics]
        return xml.domain(machine, self.plan.name, domain_type, disks, networks,
                          self.kernel_boot())

    def _uplink_forward(self) -> str:
        mode = self.options.extra.get("uplink_forward", "nat")
        if mode not in ("nat", "open"):
            raise ProviderError(f"uplink_forward {mode!r}: nat (the default) or open")
        return mode

    def kernel_boot(self) -> xml.KernelBoot | None:
        """Direct kernel boot from the pool when the image came with a kernel (image build)."""
        if self.image.kernel is None:
            return None
        return xml.KernelBoot(self.volume_path(self.boot_volume(images.KERNEL_SUFFIX)),
                              self.volume_path(self.boot_volume(images.INITRD_SUFFIX)),
                              self.image.cmdline)

    def boot_volume(self, suffix: str) -> str:
        return f"{self.plan.name}-base{suffix}"

    def _boot_file_actions(self) -> list[Action]:
        image = self.image
        actions = []
        for suffix, source in ((images.KERNEL_SUFFIX, image.kernel),
                               (images.INITRD_SUFFIX, image.initrd)):
            name = self.boot_volume(suffix)
            if source is None or self.volume(name) is not None:
                continue
            document = xml.volume(name, source.stat().st_size, "bytes", "raw")
            actions += [Action("create-volume", name, document=document),
                        Action("upload-volume", name, document=str(source))]
        return actions

    def base_document(self) -> str:
        """The base image, uploaded into the pool once: qemu reads it there, whatever the
        permissions of the directory the user downloaded it to."""
        size = self.image.path.stat().st_size if self.image.path.exists() else 0
        return xml.volume(self.base_volume(), size, "bytes", qemu_format(self.image.format))

    def volume_documents(self, machine: Machine) -> dict[str, str]:
        os_volume = xml.volume(
            self.os_volume(machine),
            machine.disk_gb,
            backing_path=self.volume_path(self.base_volume()),
            backing_format=qemu_format(self.image.format),
        )
        docs = {self.os_volume(machine): os_volume}
        if machine.data_disk_gb:
            docs[self.data_volume(machine)] = xml.volume(
                self.data_volume(machine), machine.data_disk_gb
            )
        iso = self.options.seed_iso(machine)
        size = iso.stat().st_size if iso.exists() else SEED_PLACEHOLDER_BYTES
        docs[self.seed_volume(machine)] = xml.volume(
            self.seed_volume(machine), size, "bytes", "raw"
        )
        return docs

    def domain_type(self) -> str:
        """kvm when offered, else qemu (TCG); the domain_type option asks for one."""
        if not self.connected():
            return self.options.extra.get("domain_type", "kvm")
        root = ET.fromstring(self.conn.getCapabilities())
        offered = {d.get("type") for d in root.iterfind("./guest/arch/domain")}
        wanted = self.options.extra.get("domain_type")
        if wanted is not None and wanted not in offered:
            raise ProviderError(f"domain_type {wanted}: {self.options.uri} offers only "
                                f"{sorted(k for k in offered if k)}")
        for kind in (wanted,) if wanted else DOMAIN_TYPES:
            if kind in offered:
                return kind
        raise ProviderError(
            f"--uri {self.options.uri}: offers no kvm or qemu guests; install "
            "qemu-system-x86 and libvirt-daemon-driver-qemu"
        )

    # -- actions ----------------------------------------------------------------------------
    def network_actions(self) -> list[Action]:
        actions = []
        for name, document in self.network_documents().items():
            found = self.network(name)
            if found is None:
                actions.append(Action("define-network", name, document=document))
            if found is None or not found.isActive():
                actions.append(Action("start-network", name))
        return actions

    def machine_actions(self) -> list[Action]:
        actions: list[Action] = []
        kind = self.domain_type()
        for machine in self.plan.machines:
            existing = self.domain(machine.name)
            if existing is not None:
                self._report_drift(machine, existing.XMLDesc(0))
                continue
            actions += self._volume_actions(machine)
            document = self.domain_document(machine, kind)
            actions.append(Action("define-domain", machine.name, document=document))
        if actions and self.volume(self.base_volume()) is None:
            base = self.base_volume()
            upload = Action("upload-volume", base, document=str(self.image.path))
            actions[:0] = [Action("create-volume", base, document=self.base_document()), upload]
        if actions:
            actions[:0] = self._boot_file_actions()
        return actions

    def _volume_actions(self, machine: Machine) -> list[Action]:
        actions = []
        for name, document in self.volume_documents(machine).items():
            if self.volume(name) is not None:
                continue
            actions.append(Action("create-volume", name, document=document))
            if name == self.seed_volume(machine):
                source = str(self.options.seed_iso(machine))
                actions.append(Action("upload-volume", name, document=source))
        return actions

    def start_actions(self) -> list[Action]:
        actions = []
        for machine in self.plan.machines:
            found = self.domain(machine.name)
            if found is None or not found.isActive():
                actions.append(Action("start-domain", machine.name))
        return actions

    def destroy_actions(self) -> list[Action]:
        actions = []
        for machine in reversed(self.plan.machines):
            found = self.domain(machine.name)
            if found is not None and found.isActive():
                actions.append(Action("destroy-domain", machine.name))
            if found is not None:
                actions.append(Action("undefine-domain", machine.name))
            volumes = (
                self.os_volume(machine),
                self.data_volume(machine),
                self.seed_volume(machine),
            )
            actions += [Action("delete-volume", v) for v in volumes if self.volume(v) is not None]
        bases = [self.base_volume(fmt) for fmt in images.FORMATS]  # whichever `up` was given
        bases += [self.boot_volume(s) for s in (images.KERNEL_SUFFIX, images.INITRD_SUFFIX)]
        actions += [Action("delete-volume", b) for b in bases if self.volume(b) is not None]
        for name in reversed(list(self.network_documents())):
            net = self.network(name)
            if net is not None and net.isActive():
                actions.append(Action("destroy-network", name))
            if net is not None:
                actions.append(Action("undefine-network", name))
        return actions

    def endpoints(self) -> dict[str, Endpoint]:
        user, gateway = self.plan.ssh.user, self.plan.gateway.name
        front = xml.uplink_address(self.uplink_cidr)
        result = {gateway: Endpoint(gateway, front, SSH_PORT, user)}
        result |= {
            m.name: Endpoint(m.name, str(m.address), SSH_PORT, user, jump=gateway)
            for m in self.plan.machines
            if m.name != gateway
        }
        return result

    def _execute(self, action: Action) -> None:
        libvirt = _libvirt()
        try:
            self._dispatch(action)
        except libvirt.libvirtError as exc:
            raise ProviderError(f"libvirt: {action.verb} {action.target} failed: {exc}") from None

    def _dispatch(self, action: Action) -> None:
        verb, name = action.verb, action.target
        if verb == "define-network":
            self.conn.networkDefineXML(action.document).setAutostart(1)
        elif verb == "start-network":
            self.network(name).create()
        elif verb == "create-volume":
            self.pool().createXML(action.document, 0)
        elif verb == "upload-volume":
            self._upload(name, Path(action.document))
        elif verb == "define-domain":
            self.conn.defineXML(action.document)
        elif verb == "start-domain":
            self.domain(name).create()
        elif verb == "destroy-domain":
            self.domain(name).destroy()
        elif verb == "undefine-domain":
            self.domain(name).undefine()
        elif verb == "delete-volume":
            self.volume(name).delete(0)
        elif verb == "destroy-network":
            self.network(name).destroy()
        elif verb == "undefine-network":
            self.network(name).undefine()
        else:
            raise ProviderError(f"libvirt: unknown action {verb}")

    # -- checks -----------------------------------------------------------------------------
    def _check_uplink(self) -> None:
        net = self.plan.network
        for taken in (net.supernet, net.pod_cidr, net.service_cidr):
            if self.uplink_cidr.overlaps(taken):
                raise ProviderError(
                    f"libvirt uplink network {self.uplink_cidr} overlaps {taken} "
                    "from the spec; choose another with the uplink_cidr option"
                )

    def _upload(self, name: str, source: Path) -> None:
        """Stream a local file into a volume (the base image, a seed ISO)."""
        libvirt = _libvirt()
        testing = self.options.uri.startswith("test:")
        if not source.is_file():
            if testing:  # the test driver keeps no data: nothing to read or write
                self._note(f"{name}: {source} does not exist; test driver, upload skipped")
                return
            raise ProviderError(f"{name}: {source} is missing; {_fix_for(source)}")
        stream = self.conn.newStream(0)
        try:
            self.volume(name).upload(stream, 0, source.stat().st_size, 0)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT:
                raise
            self._note(
                f"{name}: this libvirt driver cannot upload volumes ({self.options.uri}); "
                "the volume is defined but left empty"
            )
            return
        with source.open("rb") as handle:
            stream.sendAll(lambda _stream, size, file: file.read(size), handle)
        stream.finish()

    def _report_drift(self, machine: Machine, document: str) -> None:
        root = ET.fromstring(document)
        macs = [m.get("address", "").lower() for m in root.iterfind("./devices/interface/mac")]
        planned = [n.mac for n in machine.nics]
        if macs != planned:
            self._note(
                f"{machine.name}: exists and is adopted as is, but its NIC MACs {macs} "
                f"differ from the plan {planned} (`kubeforge destroy` and `up` rebuild it)"
            )
        vcpu = root.findtext("vcpu")
        if vcpu != str(machine.cpus):
            self._note(f"{machine.name}: exists with {vcpu} vCPUs, the plan says {machine.cpus}")

    def _note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

"""What the plan decided. Later stages read this; they never re-derive addresses from the spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from kubeforge.plan.disks import DataDisk
from kubeforge.spec import model as spec_model
from kubeforge.spec.model import AddressRange, Role

UPLINK = "wan0"


def interface_name(subnet: str) -> str:
    """Provider-independent NIC name (cloud-init renames by MAC). `mast` alone would parse as
    `master` in `ip link set`, hence the digit."""
    return f"{subnet}0"


@dataclass(frozen=True)
class Nic:
    name: str  # interface name inside the machine: mast0, node0, glus0, dmz0, wan0
    mac: str  # locally administered, derived from cluster and host name
    subnet: str | None  # None for the gateway's uplink (provider NAT, DHCP)
    address: IPv4Address | None
    prefix_len: int | None


@dataclass(frozen=True)
class Machine:
    name: str
    role: Role
    index: int  # 1-based within its role
    fqdn: str
    cpus: int
    memory_mb: int
    disk_gb: int
    data_disk_gb: int | None
    nics: tuple[Nic, ...]
    packages: tuple[str, ...]
    # The data disk by identity (serial, per-provider path, size); None without data_disk_gb.
    data_disk: DataDisk | None = None

    @property
    def primary(self) -> Nic:
        """The NIC the operator reaches it by (the gateway: its dmz side is not special; mast)."""
        return next(nic for nic in self.nics if nic.subnet is not None)

    @property
    def address(self) -> IPv4Address:
        address = self.primary.address
        assert address is not None
        return address

    @property
    def subnet(self) -> str:
        subnet = self.primary.subnet
        assert subnet is not None
        return subnet


@dataclass(frozen=True)
class PlannedSubnet:
    name: str
    cidr: IPv4Network
    gateway: IPv4Address
    dhcp_pool: AddressRange
    interface: str  # the gateway's NIC on this subnet


@dataclass(frozen=True)
class SshRoute:
    """Operator -> gateway (provider-specific front door) -> internal hosts by ProxyJump."""

    user: str
    jump_host: str


@dataclass(frozen=True)
class Plan:
    spec: spec_model.ClusterSpec
    subnets: dict[str, PlannedSubnet]
    machines: tuple[Machine, ...]
    ssh: SshRoute
    # The storage VIP in the glus subnet (NFS-Ganesha on the gluster machines); None without
    # gluster storage. Outside every pool, never a machine's address (plan/addresses.py).
    storage_vip: IPv4Address | None = None
    _by_name: dict[str, Machine] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({m.name: m for m in self.machines})

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def domain(self) -> str:
        return self.spec.domain

    @property
    def network(self) -> spec_model.Network:
        return self.spec.network

    @property
    def gateway(self) -> Machine:
        return self.by_role("gateway")[0]

    def machine(self, name: str) -> Machine:
        return self._by_name[name]

    def by_role(self, role: Role) -> list[Machine]:
        return [m for m in self.machines if m.role == role]

    def in_subnet(self, subnet: str) -> list[Machine]:
        return [m for m in self.machines if any(n.subnet == subnet for n in m.nics)]

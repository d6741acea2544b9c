"""spec -> plan: names, roles, NICs, MACs and addresses for every machine. Pure and deterministic."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address

from kubeforge.errors import SpecError
from kubeforge.plan import addresses, disks, packages
from kubeforge.plan.model import UPLINK, Machine, Nic, Plan, PlannedSubnet, SshRoute, interface_name
from kubeforge.spec.model import SUBNET_NAMES, ClusterSpec, HostGroup, Role, SubnetName

# Which subnet each role lives on (the gateway is on all four, plus the uplink).
ROLE_SUBNET: dict[Role, SubnetName] = {
    "loadbalancer": "dmz",
    "control_plane": "mast",
    "worker": "node",
    "gluster": "glus",
}
ROLES: tuple[Role, ...] = ("gateway", "loadbalancer", "control_plane", "worker", "gluster")


def build_plan(spec: ClusterSpec) -> Plan:
    subnets: dict[str, PlannedSubnet] = {
        name: PlannedSubnet(
            name=name,
            cidr=s.cidr,
            gateway=s.gateway,
            dhcp_pool=s.dhcp_pool,
            interface=interface_name(name),
        )
        for name in SUBNET_NAMES
        if (s := spec.network.subnets.get(name)) is not None
    }
    free: dict[str, Iterator[IPv4Address]] = {
        name: addresses.host_addresses(spec.network, subnet)
        for name, subnet in spec.network.subnets.items()
    }
    storage_vip = _storage_vip(spec)
    if storage_vip is not None:
        free["glus"] = (a for a in free["glus"] if a != storage_vip)
    machines = [m for role in ROLES for m in _machines(spec, role, subnets, free)]
    _check_data_disks(spec, {m.name for m in machines})
    gateway = next(m for m in machines if m.role == "gateway") if spec.hosts.gateway.count else None
    return Plan(
        spec=spec,
        subnets=subnets,
        machines=tuple(machines),
        ssh=SshRoute(user=spec.admin_user, jump_host=gateway.name if gateway else ""),
        storage_vip=storage_vip,
    )


def _storage_vip(spec: ClusterSpec) -> IPv4Address | None:
    """The glus subnet's highest free address: machines count up from the DHCP pool's end, so
    adding gluster machines later never moves it."""
    glus = spec.network.subnets.get("glus")
    if spec.storage.backend != "gluster" or glus is None or not spec.hosts.gluster.count:
        return None
    address = addresses.highest_free(spec.network, glus)
    if address is None:
        problem = ("network.subnets.glus: no free address left for the storage VIP; widen the "
                   "subnet or shrink the DHCP pool")
        raise SpecError([problem])
    return address


def _machines(
    spec: ClusterSpec,
    role: Role,
    subnets: dict[str, PlannedSubnet],
    free: dict[str, Iterator[IPv4Address]],
) -> Iterator[Machine]:
    group: HostGroup = getattr(spec.hosts, role)
    for index in range(1, group.count + 1):
        name = f"{group.name_prefix}{index:02d}"
        if role == "gateway":
            nics = _gateway_nics(spec, name, subnets)
        else:
            nics = (_nic(spec, name, subnets[ROLE_SUBNET[role]], _take(free, ROLE_SUBNET[role], name)),)
        yield Machine(
            name=name,
            role=role,
            index=index,
            fqdn=f"{name}.{spec.domain}",
            cpus=group.cpus,
            memory_mb=group.memory_mb,
            disk_gb=group.disk_gb,
            data_disk_gb=group.data_disk_gb,
            nics=nics,
            packages=packages.for_role(spec, role, group.packages),
            data_disk=_data_disk(spec, group, name),
        )


def _data_disk(spec: ClusterSpec, group: HostGroup, host: str) -> disks.DataDisk | None:
    if group.data_disk_gb is None:
        return None
    return disks.data_disk(spec.name, host, group.data_disk_gb, group.data_disks.get(host))


def _check_data_disks(spec: ClusterSpec, names: set[str]) -> None:
    problems = [
        f"hosts.{role}.data_disks.{host}: no such machine in this group (`kubeforge plan` lists "
        "them); fix the name or remove it"
        for role in ROLES
        for host in getattr(spec.hosts, role).data_disks
        if host not in names or not host.startswith(getattr(spec.hosts, role).name_prefix)
    ]
    if problems:
        raise SpecError(problems)


def _gateway_nics(spec: ClusterSpec, name: str, subnets: dict[str, PlannedSubnet]) -> tuple[Nic, ...]:
    uplink = Nic(UPLINK, addresses.mac_for(spec.name, name, UPLINK), None, None, None)
    return (uplink, *(_nic(spec, name, s, s.gateway) for s in subnets.values()))


def _nic(spec: ClusterSpec, host: str, subnet: PlannedSubnet, address: IPv4Address) -> Nic:
    return Nic(
        name=subnet.interface,
        mac=addresses.mac_for(spec.name, host, subnet.interface),
        subnet=subnet.name,
        address=address,
        prefix_len=subnet.cidr.prefixlen,
    )


def _take(free: dict[str, Iterator[IPv4Address]], subnet: str, host: str) -> IPv4Address:
    address = next(free[subnet], None)
    if address is None:
        problem = (f"network.subnets.{subnet}: no free address left for {host}; widen the "
                   "subnet or shrink the DHCP pool")
        raise SpecError([problem])
    return address


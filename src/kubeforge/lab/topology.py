"""What the lab builds, decided from the plan alone (pure: no I/O, so it is unit-tested).

Namespaces (all prefixed `kf-`):
  kf-switch    one bridge per subnet (br-mast, br-node, ...) and the switch end of every NIC cable
  kf-internet  the stub 'internet': the gateway's uplink peer, DHCP for wan0 (like VirtualBox
               NAT: 10.0.2.15 behind 10.0.2.2), a stub resolver that knows no names, and the
               router between the operator and the gateway's uplink
  kf-operator  where kubeforge and the tests run SSH from; one cable (the operator link) to the
               stub internet, a route to the uplink network only
  kf-<host>    one per machine, handed to systemd-nspawn; NICs named as cloud-init names them
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from kubeforge.errors import LabError
from kubeforge.lab.paths import PREFIX
from kubeforge.plan.model import UPLINK, Plan

# Namespace names for the default prefix; a lab with another prefix: Topology.*_ns.
SWITCH_NS = f"{PREFIX}-switch"
INTERNET_NS = f"{PREFIX}-internet"
OPERATOR_NS = f"{PREFIX}-operator"
# The stub internet, addressed like VirtualBox NAT so the gateway's uplink behaves the same.
INTERNET_NETWORK = IPv4Network("10.0.2.0/24")
INTERNET_ROUTER = IPv4Interface("10.0.2.2/24")
INTERNET_UPLINK_LEASE = IPv4Address("10.0.2.15")
# The operator's link: kf-operator <-> kf-internet. The operator reaches the gateway's uplink
# address through the stub internet, as a laptop reaches a VirtualBox VM's NAT port-forward, so
# the gateway's own firewall (ssh allowed on the uplink only) is exercised as rendered.
OPERATOR_NETWORK = IPv4Network("10.0.3.0/24")
OPERATOR_ADDRESS = IPv4Interface("10.0.3.1/24")
OPERATOR_ROUTER = IPv4Interface("10.0.3.254/24")
OPERATOR_IF = "op0"
INTERNET_OPERATOR_IF = "operator0"
INTERNET_IF = "uplink0"


@dataclass(frozen=True)
class Cable:
    """A veth pair: `inner` (named as cloud-init will name it, with the planned MAC) sits in the
    machine's namespace; `outer` sits in the switch (on bridge `bridge`) or the internet stub."""

    inner: str
    mac: str
    outer: str
    outer_ns: str
    bridge: str | None  # None: the uplink, a point-to-point cable to the stub internet


@dataclass(frozen=True)
class LabMachine:
    name: str
    role: str
    netns: str
    address: IPv4Address  # on its primary subnet: where SSH reaches it
    cables: tuple[Cable, ...]
    data_disk_gb: int | None

    @property
    def machine_name(self) -> str:
        """The systemd-nspawn machine name (its namespace's name); cloud-init sets the real
        hostname."""
        return self.netns


@dataclass(frozen=True)
class Topology:
    machines: tuple[LabMachine, ...]
    bridges: tuple[str, ...]
    gateway: str
    resolvers: tuple[IPv4Address, ...]  # the spec's upstream DNS, answered by the stub
    prefix: str = PREFIX

    @property
    def switch_ns(self) -> str:
        return f"{self.prefix}-switch"

    @property
    def internet_ns(self) -> str:
        return f"{self.prefix}-internet"

    @property
    def operator_ns(self) -> str:
        return f"{self.prefix}-operator"

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.switch_ns, self.internet_ns, self.operator_ns,
                *(m.netns for m in self.machines))

    def machine(self, name: str) -> LabMachine:
        for machine in self.machines:
            if machine.name == name:
                return machine
        known = ", ".join(m.name for m in self.machines)
        raise LabError(f"no lab machine named {name!r}; the plan has: {known}")


def bridge_name(subnet: str) -> str:
    return f"br-{subnet}"


def from_plan(plan: Plan, prefix: str = PREFIX) -> Topology:
    _check_no_overlap(plan)
    if not plan.by_role("gateway"):
        raise LabError("the lab needs a gateway: set hosts.gateway.count to 1")
    machines = tuple(_machine(plan, index, prefix) for index in range(len(plan.machines)))
    return Topology(
        machines=machines,
        bridges=tuple(bridge_name(s) for s in plan.subnets),
        gateway=plan.gateway.name,
        resolvers=tuple(plan.network.upstream_dns),
        prefix=prefix,
    )


def _machine(plan: Plan, index: int, prefix: str) -> LabMachine:
    planned = plan.machines[index]
    cables = []
    for nic in planned.nics:
        if nic.name == UPLINK:
            cables.append(Cable(nic.name, nic.mac, INTERNET_IF, f"{prefix}-internet", None))
        else:
            assert nic.subnet is not None
            # Switch-side names must fit IFNAMSIZ (15): kf<machine number><subnet>, e.g. kf04mast.
            outer = f"{PREFIX}{index + 1:02d}{nic.subnet}"[:15]
            cables.append(Cable(nic.name, nic.mac, outer, f"{prefix}-switch",
                                bridge_name(nic.subnet)))
    return LabMachine(
        name=planned.name,
        role=planned.role,
        netns=f"{prefix}-{planned.name}",
        address=planned.address,
        cables=tuple(cables),
        data_disk_gb=planned.data_disk_gb,
    )


def _check_no_overlap(plan: Plan) -> None:
    """The lab's own networks must not collide with the planned ones."""
    planned = [s.cidr for s in plan.subnets.values()]
    planned += [plan.network.pod_cidr, plan.network.service_cidr]
    for lab_net, what in ((OPERATOR_NETWORK, "operator link"), (INTERNET_NETWORK, "stub internet")):
        for net in planned:
            if lab_net.overlaps(net):
                raise LabError(f"the lab's {what} {lab_net} overlaps the planned network {net}; "
                               "choose network subnets/pod_cidr/service_cidr outside it")

"""The plan as rows: the host table and the reference deck's "Networking Diagram" table.

One home for both, so the HTML report and the CLI's `plan` tables cannot disagree.
"""

from __future__ import annotations

from kubeforge.plan.model import Machine, Plan
from kubeforge.spec.model import AddressRange

HOST_COLUMNS = ("Name", "Role", "Subnet", "IP", "MAC", "CPU", "RAM", "Disks")
ROLE_LABELS = {
    "gateway": "gateway",
    "loadbalancer": "load balancer",
    "control_plane": "control plane",
    "worker": "worker",
    "gluster": "gluster",
}


def host_rows(plan: Plan) -> list[tuple[str, ...]]:
    return [_host_row(machine) for machine in plan.machines]


def _host_row(machine: Machine) -> tuple[str, ...]:
    # The gateway sits on every subnet: one line per NIC, not just the primary one.
    nics = [nic for nic in machine.nics if nic.subnet is not None]
    return (
        machine.name,
        ROLE_LABELS[machine.role],
        "\n".join(str(nic.subnet) for nic in nics),
        "\n".join(str(nic.address) for nic in nics),
        "\n".join(nic.mac for nic in nics),
        str(machine.cpus),
        f"{machine.memory_mb} MB",
        disks(machine),
    )


def disks(machine: Machine) -> str:
    extra = f" + {machine.data_disk_gb} GB data" if machine.data_disk_gb else ""
    return f"{machine.disk_gb} GB{extra}"


def span(pool: AddressRange) -> str:
    return f"{pool.start} - {pool.end}"


def network_rows(plan: Plan) -> list[tuple[str, str]]:
    """The deck's table, in its order, generated from the plan (ERRATA 1-2 cannot recur)."""
    network = plan.network
    subnets = plan.subnets.values()
    return [
        ("CIDR", str(network.supernet)),
        ("POD CIDR", str(network.pod_cidr)),
        ("Service CIDR", str(network.service_cidr)),
        *((f"Subnet - {s.name}", str(s.cidr)) for s in subnets),
        *((f"DHCP - {s.name}", span(s.dhcp_pool)) for s in subnets),
        *((f"DNS/Gateway - {s.name}", str(s.gateway)) for s in subnets),
        ("Control Plane", f"{network.api_vip}:{network.api_port}"),
        ("MetalLB", span(network.metallb_pool) if plan.spec.addons.metallb else "disabled"),
    ]

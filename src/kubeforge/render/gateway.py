"""The gateway: forwarding, the nftables firewall/NAT, and dnsmasq (DNS for the domain, DHCP).

Every name, address, MAC and interface comes from the plan; nothing is re-derived here.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubeforge.plan.model import UPLINK, Machine, Plan
from kubeforge.render.artifact import Artifact, host_file
from kubeforge.render.secrets import Secrets
from kubeforge.render.templating import render as render_template

COMPONENT = "gateway"
# The API VIP's DNS name is `<API_NAME>.<domain>`; kubeadm and kubeconfigs import it from here.
API_NAME = "api"

SYSCTL = "/etc/sysctl.d/10-kubeforge-gateway.conf"
NFTABLES = "/etc/nftables.conf"
DNSMASQ_DIR = "/etc/dnsmasq.d"
DNSMASQ_DROPIN = "/etc/systemd/system/dnsmasq.service.d/60-kubeforge.conf"


@dataclass(frozen=True)
class Record:
    """One address of one machine: a DNS host-record, and a dhcp-host reservation."""

    name: str
    fqdn: str
    mac: str
    address: str


def api_fqdn(plan: Plan) -> str:
    return f"{API_NAME}.{plan.domain}"


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    """Files for the gateway machine; none when the spec has no gateway."""
    return files(plan)


def files(plan: Plan) -> list[Artifact]:
    """The same, needing no secrets: the gateway's cloud-init seed carries them too."""
    if not plan.by_role("gateway"):
        return []
    host = plan.gateway.name
    context = _context(plan)
    files = {
        SYSCTL: "gateway/sysctl.conf.j2",
        NFTABLES: "gateway/nftables.conf.j2",
        f"{DNSMASQ_DIR}/kubeforge-dns.conf": "gateway/dns.conf.j2",
        f"{DNSMASQ_DIR}/kubeforge-hosts.conf": "gateway/hosts.conf.j2",
        f"{DNSMASQ_DIR}/kubeforge-dhcp.conf": "gateway/dhcp.conf.j2",
        DNSMASQ_DROPIN: "gateway/dnsmasq-dropin.conf.j2",
    }
    return [
        host_file(COMPONENT, host, target, render_template(template, **context))
        for target, template in files.items()
    ]


def _context(plan: Plan) -> dict[str, object]:
    network = plan.network
    records = [record for machine in plan.machines for record in _records(machine)]
    return {
        "host": plan.gateway.name,
        "uplink": UPLINK,
        "supernet": network.supernet,
        "subnets": list(plan.subnets.values()),
        "domain": plan.domain,
        "upstream_dns": network.upstream_dns,
        "lease": network.dhcp_lease,
        "api_name": API_NAME,
        "api_fqdn": api_fqdn(plan),
        "api_vip": network.api_vip,
        "records": records,
        "storage_records": _storage_records(plan),
        # The gateway's own NICs are configured statically: it is the DHCP server.
        "reservations": [r for r in records if r.name != plan.gateway.name],
    }


def _storage_records(plan: Plan) -> list[tuple[str, str]]:
    """The storage service name -> the storage VIP, which follows a healthy NFS-Ganesha among
    the gluster machines (one address: a round robin of servers would bind each mount to one)."""
    if plan.spec.storage.backend == "none" or plan.storage_vip is None:
        return []
    from kubeforge.render import storage  # the storage renderer owns the service name

    return [(storage.storage_server(plan), str(plan.storage_vip))]


def _records(machine: Machine) -> list[Record]:
    return [
        Record(machine.name, machine.fqdn, nic.mac, str(nic.address))
        for nic in machine.nics
        if nic.address is not None
    ]

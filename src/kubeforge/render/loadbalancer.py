"""The load-balancer pair: HAProxy in front of the control plane, and the API VIP held by
Pacemaker/Corosync (as in the reference) or keepalived (spec.loadbalancer.vip_manager).

Either way haproxy runs on both nodes under systemd and only the VIP moves; systemd drop-ins
restart every daemon of the pair when it dies, and take the VIP off a node whose VIP manager
died (there is no STONITH to do it: docs/demos.md, "Self-healing").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from ipaddress import IPv4Address

from kubeforge.errors import RenderError
from kubeforge.plan.model import Machine, Nic, Plan
from kubeforge.render.artifact import Artifact, host_file
from kubeforge.render.secrets import Secrets
from kubeforge.render.templating import render as render_template

COMPONENT = "loadbalancer"
HAPROXY = "/etc/haproxy/haproxy.cfg"
COROSYNC = "/etc/corosync/corosync.conf"
AUTHKEY = "/etc/corosync/authkey"
CRM_SCRIPT = "/etc/kubeforge/pacemaker.crm"
# The VIP's resource agent (OCF provider `kubeforge`): IPaddr2's start is too slow on a busy
# machine for a failover under 1.5 s (the template says why).
VIP_AGENT = "/usr/lib/ocf/resource.d/kubeforge/vip"
VIP_AGENT_TYPE = "ocf:kubeforge:vip"
KEEPALIVED = "/etc/keepalived/keepalived.conf"
SYSCTL = "/etc/sysctl.d/10-kubeforge-loadbalancer.conf"
# 60-: sorts after the 50-pacemaker.conf Pacemaker writes for units it manages (Restart=no).
DROPIN = "/etc/systemd/system/{unit}.service.d/60-kubeforge.conf"

# Pacemaker resource ids, for the engine and the lab to query (crm_resource --locate ...).
VIP_RESOURCE = "kubeforge-vip"
PING_RESOURCE = "kubeforge-ping"
# The group of kubeforge <= 0.1 (VIP + haproxy as a Pacemaker resource): the lb phase retires it.
OLD_GROUP_RESOURCE = "kubeforge-api"
# Pacemaker's cluster property: how long the controller waits before it computes what to do
# after a change (pacemaker.crm.j2 says why a little wait makes a failover faster).
TRANSITION_DELAY = "300ms"
# keepalived: a haproxy down this many checks (1 s apart) in a row is a fault (systemd brings a
# dead one back within a second).
HAPROXY_FALL = 3

# Characters HAProxy's config parser treats specially (spaces, comments, quotes, escapes, $VAR).
_HAPROXY_UNSAFE = re.compile(r"[\s#'\"\\$:]")


@dataclass(frozen=True)
class Server:
    name: str
    address: str
    backup: bool


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    balancers = plan.by_role("loadbalancer")
    artifacts = [_haproxy(plan, secrets, lb) for lb in balancers]
    if not balancers:
        return artifacts
    artifacts += [a for lb in balancers for a in _dropins(plan, lb)]
    if plan.spec.loadbalancer.vip_manager == "pacemaker":
        artifacts += [a for lb in balancers for a in _pacemaker(plan, secrets, lb, balancers)]
    else:
        artifacts += [a for lb in balancers for a in _keepalived(plan, lb, balancers)]
    return artifacts


def _haproxy(plan: Plan, secrets: Secrets, lb: Machine) -> Artifact:
    spec = plan.spec.loadbalancer
    backups = set(spec.backup_servers)
    servers = [
        Server(m.name, str(m.address), m.name in backups) for m in plan.by_role("control_plane")
    ]
    text = render_template(
        "loadbalancer/haproxy.cfg.j2",
        host=lb.name,
        api_port=plan.network.api_port,
        health_check=spec.health_check,
        check="check check-ssl verify none" if spec.health_check == "readyz" else "check",
        servers=servers,
        stats_port=spec.stats_port,
        stats_user=_haproxy_word(spec.stats_user, "loadbalancer.stats_user"),
        stats_password=_haproxy_word(secrets.haproxy_stats_password, "loadbalancer.stats_password"),
    )
    return host_file(COMPONENT, lb.name, HAPROXY, text, mode=0o600, secret=True)


def _haproxy_word(value: str, field: str) -> str:
    """`stats auth user:password` takes one bare word; anything else would break the file."""
    if not value or _HAPROXY_UNSAFE.search(value):
        raise RenderError(
            f"{field}: must be non-empty without spaces, quotes, '#', '\\', '$' or ':' "
            "(HAProxy reads it as one word); choose another value or leave the password unset"
        )
    return value


def _pacemaker(
    plan: Plan, secrets: Secrets, lb: Machine, balancers: list[Machine]
) -> list[Artifact]:
    nodes = [{"name": m.name, "address": m.address, "nodeid": m.index} for m in balancers]
    # Identical on every node: corosync compares nodelists, and one file is easier to audit.
    corosync = render_template(
        "loadbalancer/corosync.conf.j2",
        cluster_name=plan.name,
        corosync=plan.spec.loadbalancer.corosync,
        nodes=nodes,
        group="pair",
        member="load balancer",
        quorum_comment=[],
    )
    return [
        host_file(COMPONENT, lb.name, COROSYNC, corosync),
        host_file(COMPONENT, lb.name, AUTHKEY, secrets.corosync_authkey, mode=0o400, secret=True),
        host_file(COMPONENT, lb.name, VIP_AGENT, render_template("loadbalancer/vip.ocf.j2"),
                  mode=0o755),
        host_file(COMPONENT, lb.name, CRM_SCRIPT, _crm_script(plan, lb)),
    ]


def _crm_script(plan: Plan, lb: Machine) -> str:
    nic = _vip_nic(plan, lb)
    return render_template(
        "loadbalancer/pacemaker.crm.j2",
        path=CRM_SCRIPT,
        api_vip=plan.network.api_vip,
        prefix_len=nic.prefix_len,
        nic=nic.name,
        vip_id=VIP_RESOURCE,
        vip_agent=VIP_AGENT_TYPE,
        ping_id=PING_RESOURCE,
        ping_hosts=" ".join(str(a) for a in ping_targets(plan, nic)),
        migration_threshold=2,
        transition_delay=TRANSITION_DELAY,
        failure_timeout="60s",
    )


def ping_targets(plan: Plan, nic: Nic) -> list[IPv4Address]:
    """Whom a balancer pings to know it is still on the VIP's segment: the gateway's address
    there and both balancers (its own always answers, so two answers = one other machine)."""
    subnet = plan.subnets[nic.subnet or ""]
    return [subnet.gateway, *(m.address for m in plan.by_role("loadbalancer"))]


def _dropins(plan: Plan, lb: Machine) -> list[Artifact]:
    """systemd drop-ins: which daemons systemd restarts, and which take the VIP with them."""
    nic = _vip_nic(plan, lb)
    vip = f"{plan.network.api_vip}/{nic.prefix_len}"
    units = ["haproxy"]
    units += ["corosync"] if plan.spec.loadbalancer.vip_manager == "pacemaker" else ["keepalived"]
    return [
        host_file(COMPONENT, lb.name, DROPIN.format(unit=unit), render_template(
            "loadbalancer/dropin.conf.j2", host=lb.name, unit=unit, vip=vip, nic=nic.name,
            group="The load-balancer pair"))
        for unit in units
    ]


def vrrp_member(plan: Plan, machine: Machine, members: list[Machine],
                router_key: str) -> dict[str, object]:
    """What a keepalived config says of one member of a VRRP group (load balancers, gluster
    machines): the first member is preferred, 10 apart leaves room for manual tuning."""
    advert_ms = plan.spec.loadbalancer.keepalived.advert_ms
    priority = min(254, 100 + 10 * (len(members) - machine.index))
    return {"host": machine.name, "router_id": vrrp_router_id(router_key), "priority": priority,
            "address": machine.address,
            "peers": [m.address for m in members if m.name != machine.name],
            "advert_int": f"{advert_ms / 1000:g}",
            "takeover_s": f"{takeover_s(advert_ms, priority):.2f}"}


def _keepalived(plan: Plan, lb: Machine, balancers: list[Machine]) -> list[Artifact]:
    nic = _vip_nic(plan, lb)
    text = render_template(
        "loadbalancer/keepalived.conf.j2",
        **vrrp_member(plan, lb, balancers, plan.name),
        nic=nic.name,
        haproxy_fall=HAPROXY_FALL,
        api_vip=plan.network.api_vip,
        prefix_len=nic.prefix_len,
    )
    return [
        host_file(COMPONENT, lb.name, KEEPALIVED, text),
        host_file(
            COMPONENT, lb.name, SYSCTL, render_template("loadbalancer/sysctl.conf.j2", host=lb.name)
        ),
    ]


def takeover_s(advert_ms: int, priority: int) -> float:
    """VRRPv3 master-down interval: 3 adverts + skew ((256 - priority) / 256 of one advert)."""
    return (3 + (256 - priority) / 256) * advert_ms / 1000


def vrrp_router_id(cluster: str) -> int:
    """1..255 from the cluster name: two clusters on one L2 segment rarely share the default 51."""
    return hashlib.sha256(cluster.encode()).digest()[0] % 255 + 1


def _vip_nic(plan: Plan, lb: Machine) -> Nic:
    """The load balancer's NIC on the subnet that holds the VIP (dmz0 in the reference)."""
    vip = plan.network.api_vip
    for nic in lb.nics:
        if nic.address is not None and nic.subnet and vip in plan.subnets[nic.subnet].cidr:
            return nic
    raise RenderError(
        f"network.api_vip: {vip} is not on any subnet of {lb.name}; put the VIP in the load "
        "balancers' subnet (dmz)"
    )

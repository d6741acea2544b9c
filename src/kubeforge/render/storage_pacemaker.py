"""The storage VIP under Pacemaker (storage.vip_manager: pacemaker): the gluster machines form
their own Corosync cluster and Pacemaker keeps the VIP on one whose NFS-Ganesha serves.

The load balancers' Pacemaker path, reused: their corosync.conf template, Corosync settings
(`loadbalancer.corosync`), systemd drop-in for corosync and VIP agent (ocf:kubeforge:vip). Own
to the storage cluster: its name, its authkey, its crm script (quorum instead of a ping rule)
and the Ganesha health agent (ocf:kubeforge:ganesha). render/storage.py calls it per machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubeforge.plan.model import Machine, Nic, Plan
from kubeforge.render import loadbalancer
from kubeforge.render.artifact import Artifact, host_file
from kubeforge.render.secrets import Secrets
from kubeforge.render.templating import render as render_template

COMPONENT = "storage"  # render/storage.py's: the storage-export phase installs them all
COROSYNC = loadbalancer.COROSYNC
AUTHKEY = loadbalancer.AUTHKEY
VIP_AGENT = loadbalancer.VIP_AGENT
HEALTH_AGENT = "/usr/lib/ocf/resource.d/kubeforge/ganesha"
HEALTH_AGENT_TYPE = "ocf:kubeforge:ganesha"
CRM_SCRIPT = "/etc/kubeforge/storage-vip.crm"
# Pacemaker ids, for the engine and the lab to query (crm_resource --locate -r ...).
VIP_RESOURCE = "kubeforge-storage-vip"
HEALTH_RESOURCE = "kubeforge-ganesha"
HEALTH_ATTRIBUTE = "kubeforge-ganesha"
QUORUM_COMMENT = [
    "Three or more nodes: quorum is a majority, so no two_node. A machine cut off from the",
    "others loses quorum and stops its resources, the storage VIP with them (no-quorum-policy",
    "stop in storage-vip.crm), while the majority starts it on one of theirs.",
]


@dataclass(frozen=True)
class StorageVip:
    address: str
    server: str  # its DNS name, storage.<domain>
    check: str  # a command: exit 0 while this machine's Ganesha serves the volume
    fall_s: int  # Ganesha down this long gives the VIP up (keepalived's fall x 1 s)


def cluster_name(plan: Plan) -> str:
    """Not the load balancers' cluster name: two clusters of one name on a shared segment (or
    in one operator's crm_mon) would be mistaken for one."""
    return f"{plan.name}-storage"


def files(plan: Plan, secrets: Secrets, machine: Machine, servers: list[Machine], nic: Nic,
          vip: StorageVip) -> list[Artifact]:
    """One gluster machine's Corosync, agents and drop-in; the crm script (loaded from one
    machine by the storage-vip phase) is rendered on every machine, like the load balancers'."""
    corosync = render_template(
        "loadbalancer/corosync.conf.j2", cluster_name=cluster_name(plan),
        corosync=plan.spec.loadbalancer.corosync, group="storage VIP's cluster",
        member="gluster machine", quorum_comment=QUORUM_COMMENT,
        nodes=[{"name": m.name, "address": m.address, "nodeid": m.index} for m in servers])
    dropin = render_template(
        "loadbalancer/dropin.conf.j2", host=machine.name, unit="corosync",
        vip=f"{vip.address}/{nic.prefix_len}", nic=nic.name, group="The storage VIP's cluster")
    return [
        host_file(COMPONENT, machine.name, COROSYNC, corosync),
        host_file(COMPONENT, machine.name, AUTHKEY, secrets.storage_corosync_authkey,
                  mode=0o400, secret=True),
        host_file(COMPONENT, machine.name, loadbalancer.DROPIN.format(unit="corosync"), dropin),
        host_file(COMPONENT, machine.name, VIP_AGENT,
                  render_template("loadbalancer/vip.ocf.j2"), mode=0o755),
        host_file(COMPONENT, machine.name, HEALTH_AGENT,
                  render_template("storage/ganesha.ocf.j2"), mode=0o755),
        host_file(COMPONENT, machine.name, CRM_SCRIPT,
                  _crm_script(servers, nic, vip)),
    ]


def _crm_script(servers: list[Machine], nic: Nic, vip: StorageVip) -> str:
    return render_template(
        "storage/pacemaker.crm.j2", path=CRM_SCRIPT, vip=vip.address, server=vip.server,
        nodes=len(servers), prefix_len=nic.prefix_len, nic=nic.name,
        vip_id=VIP_RESOURCE, vip_agent=loadbalancer.VIP_AGENT_TYPE,
        health_id=HEALTH_RESOURCE, health_agent=HEALTH_AGENT_TYPE, check=vip.check,
        attribute=HEALTH_ATTRIBUTE, dampen=f"{vip.fall_s}s",
        transition_delay=loadbalancer.TRANSITION_DELAY, migration_threshold=2,
        failure_timeout="60s")

"""Storage: a replicated Gluster volume on the gluster machines, exported by NFS-Ganesha, consumed
by Kubernetes through csi-driver-nfs and one cluster-scoped StorageClass.

The deck's Heketi + in-tree `kubernetes.io/glusterfs` provisioner no longer exist (removed in
Kubernetes 1.26, Heketi archived). This module renders files only; creating the XFS bricks, the
trusted pool and the volume from `storage/topology.json` is the storage-servers phase's job.
"""

from __future__ import annotations

import json
from typing import Any

from kubeforge.errors import RenderError
from kubeforge.plan.model import Machine, Nic, Plan
from kubeforge.render import addon_versions, loadbalancer, storage_pacemaker, templating
from kubeforge.render.artifact import Artifact, cluster_file, host_file
from kubeforge.render.secrets import Secrets

COMPONENT = "storage"
# DNS name of the NFS service, under the cluster domain: the gateway's DNS answers it with the
# gluster machines' addresses.
STORAGE_NAME = "storage"
TOPOLOGY = "storage/topology.json"
STORAGE_CLASS = "storage/storageclass.yaml"
CONTROLLER_PATCH = "storage/csi-controller-patch.yaml"
GANESHA_CONF = "/etc/ganesha/ganesha.conf"
KEEPALIVED = loadbalancer.KEEPALIVED
# keepalived's check that this machine's Ganesha serves the volume (templates/storage/ganesha-serves.sh.j2).
GANESHA_CHECK = "/usr/local/libexec/kubeforge/ganesha-serves"
GANESHA_CHECK_TIMEOUT_S = 1
DROPIN = loadbalancer.DROPIN
# A Ganesha down this many checks (1 s apart) in a row gives the VIP up; systemd restarts a
# dead one within a second, which then only costs its clients the grace period.
GANESHA_FALL = 3
# The gluster machines' second disk. Providers attach it as the second virtio disk; one that
# names it differently must say so here (the plan does not model device names yet).
DATA_DEVICE = "/dev/vdb"
BRICK_ROOT = "/data/bricks"
# NFSv4 minor versions, lease and grace (s): docs/storage.md, "Failover timings".
NFS_MINOR_VERSIONS = (1, 2)
NFS_LEASE_S = 10
NFS_GRACE_S = 10
# Gluster volume options the storage-pool phase sets (gluster's own names and value spelling).
# ping-timeout: a client (FUSE, or Ganesha's libgfapi) gives up on a silent brick after 3 s
# instead of 42 s; it notices 3-6 s after the brick's last answer (docs/storage.md), so a
# storage machine's power loss stalls I/O up to ~6 s; replica 3 heals what it missed. Lower
# buys little and a loaded host missing 3 s of pings only costs a reconnect and a heal.
# quorum-type auto: a client writes only while a majority of each replica set is up;
# server-quorum-type server: glusterd stops the bricks of a machine cut off from the majority
# of the pool. Together they keep a partitioned minority from writing (no split-brain).
# server.*: a brick drops a silent client within ~3 s (unacknowledged data, or 1 s idle plus 2
# probes 1 s apart) instead of ~42 s, and with it the locks that client held. The storage VIP's
# holder is such a client: when it loses power, its Ganesha's write locks on the file (AFR's
# eager lock) blocked the new holder's writes until the bricks let go (49 s measured on the lab
# with the defaults; docs/storage.md).
VOLUME_OPTIONS = {
    "network.ping-timeout": "3",
    "cluster.quorum-type": "auto",
    "cluster.server-quorum-type": "server",
    "server.tcp-user-timeout": "3",
    "server.keepalive-time": "1",
    "server.keepalive-interval": "1",
    "server.keepalive-count": "2",
}


def storage_server(plan: Plan) -> str:
    return f"{STORAGE_NAME}.{plan.domain}"


def brick_mount(volume: str) -> str:
    """XFS on DATA_DEVICE is mounted here; the brick is a subdirectory so that a missing mount
    makes gluster refuse the brick instead of filling the root disk."""
    return f"{BRICK_ROOT}/{volume}"


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    if plan.spec.storage.backend == "none":
        return []
    servers = _servers(plan)
    conf = {m.name: _ganesha(plan, m) for m in servers}
    return [
        *(host_file(COMPONENT, name, GANESHA_CONF, text) for name, text in conf.items()),
        *(a for m in servers for a in _vip_files(plan, secrets, m, servers)),
        cluster_file(COMPONENT, TOPOLOGY, json.dumps(topology(plan), indent=2) + "\n"),
        cluster_file(COMPONENT, STORAGE_CLASS, _storage_class(plan)),
        cluster_file(COMPONENT, CONTROLLER_PATCH,
                     templating.render("storage/csi-controller-patch.yaml.j2")),
    ]


def steps(plan: Plan) -> list[dict[str, Any]]:
    """The add-ons phase's storage steps (after the servers exist): driver, then the class."""
    if plan.spec.storage.backend == "none":
        return []
    return [
        {
            "name": "csi-driver-nfs",
            "apply_urls": list(addon_versions.CSI_DRIVER_NFS_MANIFEST_URLS),
            "patch": {"namespace": "kube-system", "deployment": "csi-nfs-controller",
                      "type": "strategic", "file": CONTROLLER_PATCH},
            "wait": {"kind": "deployment", "namespace": "kube-system", "name": "csi-nfs-controller"},
        },
        {"name": "storage-class", "apply": [STORAGE_CLASS]},
    ]


def _servers(plan: Plan) -> list[Machine]:
    servers = plan.by_role("gluster")
    replica = plan.spec.storage.replica
    if not servers:
        raise RenderError(
            "storage.backend: gluster needs gluster machines; set hosts.gluster.count (at least "
            f"storage.replica = {replica}) or storage.backend: none"
        )
    if len(servers) % replica:
        raise RenderError(
            f"storage.replica: {replica} does not divide the {len(servers)} gluster machines "
            "(each replica set needs a brick on a different machine); set hosts.gluster.count "
            "to a multiple of the replica count"
        )
    return servers


def topology(plan: Plan) -> dict[str, Any]:
    """Heketi's topology shape (nodes, manage/storage addresses, zone, devices) plus the volume
    the storage-servers phase creates: bricks in order, so consecutive `replica` bricks form
    one replica set on distinct machines."""
    volume = plan.spec.storage.volume
    servers = _servers(plan)
    nodes = [
        {
            "node": {
                "hostnames": {"manage": [m.fqdn], "storage": [str(m.address)]},
                "zone": m.index,
            },
            "devices": [DATA_DEVICE],
        }
        for m in servers
    ]
    return {
        "clusters": [{"nodes": nodes}],
        "volumes": [
            {
                "name": volume,
                "replica": plan.spec.storage.replica,
                "filesystem": "xfs",
                "mount": brick_mount(volume),
                "bricks": [f"{m.fqdn}:{brick_mount(volume)}/brick" for m in servers],
                # Client quorum is a replica's: a volume without replicas has none to keep.
                "options": VOLUME_OPTIONS if plan.spec.storage.replica > 1 else
                {k: v for k, v in VOLUME_OPTIONS.items() if k != "cluster.quorum-type"},
            }
        ],
    }


def _ganesha(plan: Plan, machine: Machine) -> str:
    return templating.render(
        "storage/ganesha.conf.j2",
        host=machine.name,
        volume=plan.spec.storage.volume,
        pseudo=f"/{plan.spec.storage.volume}",
        server=storage_server(plan),
        # Each Kubernetes machine's planned address, not its whole subnet: a DHCP lease in
        # the same subnet gets nothing.
        control_plane=[str(m.address) for m in plan.by_role("control_plane")],
        workers=[str(m.address) for m in plan.by_role("worker")],
        minor_versions=NFS_MINOR_VERSIONS,
        lease_s=NFS_LEASE_S,
        grace_s=NFS_GRACE_S,
    )


def storage_vip(plan: Plan) -> str:
    if plan.storage_vip is None:
        raise RenderError("storage.backend: gluster needs the storage VIP, which the plan puts in "
                          "network.subnets.glus; add that subnet or set storage.backend: none")
    return str(plan.storage_vip)


def _vip_files(plan: Plan, secrets: Secrets, machine: Machine,
               servers: list[Machine]) -> list[Artifact]:
    """The storage VIP on keepalived (VRRP settings shared with the load balancers) or on the
    gluster machines' own Pacemaker cluster (storage.vip_manager; storage_pacemaker), its check
    that Ganesha serves the volume, and the systemd drop-ins that restart its daemons and drop
    the VIP with a dead keepalived."""
    nic = _glus_nic(machine)
    vip = f"{storage_vip(plan)}/{nic.prefix_len}"
    pacemaker = plan.spec.storage.vip_manager == "pacemaker"
    units = ("nfs-ganesha",) if pacemaker else ("nfs-ganesha", "keepalived")
    dropins = [host_file(COMPONENT, machine.name, DROPIN.format(unit=unit), templating.render(
        "storage/dropin.conf.j2", host=machine.name, unit=unit, vip=vip, nic=nic.name,
        volume=plan.spec.storage.volume))
        for unit in units]
    check = templating.render("storage/ganesha-serves.sh.j2", host=machine.name,
                              path=f"/{plan.spec.storage.volume}", timeout_s=GANESHA_CHECK_TIMEOUT_S)
    common = [host_file(COMPONENT, machine.name, GANESHA_CHECK, check, mode=0o755), *dropins]
    if pacemaker:
        place = storage_pacemaker.StorageVip(storage_vip(plan), storage_server(plan),
                                             GANESHA_CHECK, GANESHA_FALL)
        return [*common, *storage_pacemaker.files(plan, secrets, machine, servers, nic, place)]
    return [host_file(COMPONENT, machine.name, KEEPALIVED, _keepalived(plan, machine, servers)),
            *common]


def _keepalived(plan: Plan, machine: Machine, servers: list[Machine]) -> str:
    nic = _glus_nic(machine)
    return templating.render(
        "storage/keepalived.conf.j2",
        # Its own router id: the glus segment is not the load balancers', but one id per
        # cluster VIP keeps a mistaken bridge between the two from mixing them up.
        **loadbalancer.vrrp_member(plan, machine, servers, f"{plan.name}/storage"),
        server=storage_server(plan),
        nic=nic.name,
        fall=GANESHA_FALL,
        check=GANESHA_CHECK,
        check_timeout_s=2 * GANESHA_CHECK_TIMEOUT_S + 1,  # its two calls, then keepalived kills it
        vip=storage_vip(plan),
        prefix_len=nic.prefix_len,
    )


def _glus_nic(machine: Machine) -> Nic:
    return next(nic for nic in machine.nics if nic.subnet == "glus")


def _storage_class(plan: Plan) -> str:
    storage = plan.spec.storage
    return templating.render(
        "storage/storageclass.yaml.j2",
        csi_version=addon_versions.CSI_DRIVER_NFS_VERSION,
        volume=storage.volume,
        replica=storage.replica,
        name=storage.storage_class.name,
        default=storage.storage_class.default,
        provisioner=addon_versions.CSI_DRIVER_NFS_PROVISIONER,
        server=storage_server(plan),
        share=f"/{storage.volume}",
        reclaim_policy=storage.storage_class.reclaim_policy,
    )

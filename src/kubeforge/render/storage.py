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
from kubeforge.plan.model import Machine, Plan
from kubeforge.render import addon_versions, templating
from kubeforge.render.artifact import Artifact, cluster_file, host_file
from kubeforge.render.secrets import Secrets

COMPONENT = "storage"
# DNS name of the NFS service, under the cluster domain: the gateway's DNS answers it with the
# gluster machines' addresses.
STORAGE_NAME = "storage"
TOPOLOGY = "storage/topology.json"
STORAGE_CLASS = "storage/storageclass.yaml"
GANESHA_CONF = "/etc/ganesha/ganesha.conf"
# The gluster machines' second disk. Providers attach it as the second virtio disk; one that
# names it differently must say so here (the plan does not model device names yet).
DATA_DEVICE = "/dev/vdb"
BRICK_ROOT = "/data/bricks"
CLIENT_SUBNETS = ("mast", "node")  # where the kubelets (and csi-driver-nfs) run


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
        cluster_file(COMPONENT, TOPOLOGY, json.dumps(topology(plan), indent=2) + "\n"),
        cluster_file(COMPONENT, STORAGE_CLASS, _storage_class(plan)),
    ]


def steps(plan: Plan) -> list[dict[str, Any]]:
    """The add-ons phase's storage steps (after the servers exist): driver, then the class."""
    if plan.spec.storage.backend == "none":
        return []
    return [
        {
            "name": "csi-driver-nfs",
            "apply_urls": list(addon_versions.CSI_DRIVER_NFS_MANIFEST_URLS),
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
        clients=[str(plan.subnets[s].cidr) for s in CLIENT_SUBNETS if s in plan.subnets],
    )


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

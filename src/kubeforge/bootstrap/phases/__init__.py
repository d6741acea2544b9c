"""The phases, in the one order they are listed, and what each needs finished first (k0sctl
keeps its list in one place too; the needs make it a graph, as in Kubespray's plays).

After `reachable` three tracks run at the same time, each on machines of its own: the load
balancers (lb, vip), the storage servers (storage-servers, -pool, -export, -vip) and the Kubernetes
machines (etcd stand-in, node-prereqs, then the control plane, which also needs the VIP). A
phase's own hosts still run in parallel. `tests/bootstrap/test_phase_graph.py` checks that
phases which may overlap touch different machines.
"""

from __future__ import annotations

from kubeforge.bootstrap.phases.addons import Addons
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.cni import Cni
from kubeforge.bootstrap.phases.control_plane_init import ControlPlaneInit
from kubeforge.bootstrap.phases.etcd import EtcdStandin, EtcdStandinJoin
from kubeforge.bootstrap.phases.gateway import Gateway
from kubeforge.bootstrap.phases.join import ControlPlaneJoin, WorkersJoin
from kubeforge.bootstrap.phases.lb import LoadBalancer
from kubeforge.bootstrap.phases.node_prereqs import NodePrereqs
from kubeforge.bootstrap.phases.preflight import Preflight, Reachable
from kubeforge.bootstrap.phases.storage import Storage
from kubeforge.bootstrap.phases.storage_export import StorageExport
from kubeforge.bootstrap.phases.storage_pool import StoragePool
from kubeforge.bootstrap.phases.storage_servers import StorageServers
from kubeforge.bootstrap.phases.storage_vip import StorageVip
from kubeforge.bootstrap.phases.verify import VerifyApiVip, VerifyNodes
from kubeforge.bootstrap.phases.vip import Vip

AFTER: dict[str, tuple[str, ...]] = {
    "preflight": (),
    "gateway": ("preflight",),
    "reachable": ("gateway",),
    "lb": ("reachable",),
    "vip": ("lb",),
    "storage-servers": ("reachable",),
    "storage-pool": ("storage-servers",),
    "storage-export": ("storage-pool",),
    "storage-vip": ("storage-export",),  # storage.vip_manager pacemaker only
    "etcd-standin": ("reachable",),
    "etcd-standin-join": ("etcd-standin",),
    "node-prereqs": ("etcd-standin-join",),  # the same machines: one phase at a time there
    "control-plane-init": ("node-prereqs", "vip"),  # the API endpoint is the VIP
    "cni": ("control-plane-init",),
    "control-plane-join": ("cni",),
    "workers-join": ("control-plane-join",),
    "addons": ("workers-join",),
    "storage": ("addons", "storage-vip"),  # the StorageClass names the storage VIP
    "verify-vip": ("storage",),
    "verify": ("verify-vip",),
}


def all_phases() -> list[Phase]:
    """Fresh instances: phases may hold facts gathered during one run."""
    phases = [Preflight(), Gateway(), Reachable(), LoadBalancer(), Vip(), StorageServers(),
              StoragePool(), StorageExport(), StorageVip(), EtcdStandin(), EtcdStandinJoin(), NodePrereqs(),
              ControlPlaneInit(), Cni(),
              ControlPlaneJoin(), WorkersJoin(), Addons(), Storage(), VerifyApiVip(),
              VerifyNodes()]
    for phase in phases:
        phase.after = AFTER[phase.name]
    return phases

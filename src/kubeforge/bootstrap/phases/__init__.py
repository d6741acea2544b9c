"""The phases, in the one order they run (k0sctl keeps its list in one place too)."""

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
from kubeforge.bootstrap.phases.verify import VerifyApiVip, VerifyNodes
from kubeforge.bootstrap.phases.vip import Vip


def all_phases() -> list[Phase]:
    """Fresh instances: phases may hold facts gathered during one run."""
    return [Preflight(), Gateway(), Reachable(), LoadBalancer(), Vip(), StorageServers(),
            StoragePool(), StorageExport(), EtcdStandin(), EtcdStandinJoin(), NodePrereqs(),
            ControlPlaneInit(), Cni(),
            ControlPlaneJoin(), WorkersJoin(), Addons(), Storage(), VerifyApiVip(),
            VerifyNodes()]

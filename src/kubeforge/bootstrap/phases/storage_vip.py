"""storage-vip: the storage VIP's Pacemaker resources (storage.vip_manager: pacemaker), loaded
once from the first gluster machine.

Runs after storage-export, which starts Corosync and Pacemaker on every gluster machine: as the
vip phase does for the load balancers, it waits for a DC and loads the crm script, only when
that script changed (or an earlier load was interrupted). Nothing to do with keepalived.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files
from kubeforge.bootstrap.phases.storage_export import crm_loader
from kubeforge.bootstrap.phases.vip import crm_loads


class StorageVip(Phase):
    name = "storage-vip"
    title = "the storage VIP as a Pacemaker resource"

    def hosts(self, ctx: Context) -> list[str]:
        return crm_loader(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(crm_loads(files(ctx.host_files(host, "storage"))))

"""storage-export: NFS-Ganesha on every gluster machine exports the volume (the cluster's
csi-driver-nfs mounts it through the `storage.<domain>` name)."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files
from kubeforge.bootstrap.phases.storage_servers import gluster_hosts


class StorageExport(Phase):
    name = "storage-export"
    title = "NFS-Ganesha exports of the gluster volume"

    def hosts(self, ctx: Context) -> list[str]:
        return gluster_hosts(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        rendered = files(ctx.host_files(host, "storage"))
        return m.Manifest([m.packages("nfs-ganesha", "nfs-ganesha-gluster"), *rendered,
                           m.service("nfs-ganesha", restart_on=rendered)])

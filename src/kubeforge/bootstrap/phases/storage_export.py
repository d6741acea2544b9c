"""storage-export: NFS-Ganesha on every gluster machine exports the volume, and keepalived
holds the storage VIP on one with a healthy Ganesha (the cluster's csi-driver-nfs mounts
through `storage.<domain>`, which the gateway resolves to that VIP)."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files, under
from kubeforge.bootstrap.phases.storage_servers import gluster_hosts


class StorageExport(Phase):
    name = "storage-export"
    title = "NFS-Ganesha exports of the gluster volume, the storage VIP"

    def hosts(self, ctx: Context) -> list[str]:
        return gluster_hosts(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        rendered = files(ctx.host_files(host, "storage"))
        # Drop-ins are no restart triggers: the daemon-reload before the service ops applies
        # them (a restart would move the VIP, or start a grace period, for nothing).
        reload = m.command("systemd-reload", "systemctl daemon-reload",
                           on_change=under(rendered, "/etc/systemd/"))
        return m.Manifest([m.packages("nfs-ganesha", "nfs-ganesha-gluster", "keepalived"),
                           *rendered, reload,
                           m.service("nfs-ganesha", restart_on=under(rendered, "/etc/ganesha")),
                           m.service("keepalived", restart_on=under(rendered, "/etc/keepalived"))])

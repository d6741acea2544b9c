"""storage-export: NFS-Ganesha on every gluster machine exports the volume, and keepalived
holds the storage VIP on one whose Ganesha serves the volume (the cluster's csi-driver-nfs mounts
through `storage.<domain>`, which the gateway resolves to that VIP).

With storage.vip_manager pacemaker, Corosync and Pacemaker run there instead of keepalived (as
the lb phase sets them up on the load balancers) and the storage-vip phase loads the VIP's
resources from the first gluster machine. Ganesha is systemd's either way. Switching a running
cluster between the two is refused, naming the field: both would hold the VIP meanwhile.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files, under
from kubeforge.bootstrap.phases.storage_servers import gluster_hosts
from kubeforge.plan import packages

# the check on Ganesha asks it over D-Bus (busctl: systemd)
GANESHA_PACKAGES = ("nfs-ganesha", "nfs-ganesha-gluster", "dbus")


def _refuse(running: str, manager: str, other: str) -> m.Op:
    """Stops the phase, before it changes anything, on a machine where the other manager runs."""
    message = (f"storage.vip_manager: {manager}, but {running} runs on this machine (the cluster "
               f"was set up with {other}); switching a running cluster is not supported (both "
               f"would hold the storage VIP): set storage.vip_manager: {other} again "
               "(docs/storage.md, \"The storage VIP under Pacemaker\")")
    return m.command(f"refuse-switch-from-{running}", f"echo '{message}' >&2; exit 2",
                     unless=f"! systemctl is-active {running} >/dev/null")


def vip_manager(ctx: Context) -> str:
    return ctx.plan.spec.storage.vip_manager


def crm_loader(ctx: Context) -> list[str]:
    """The one gluster machine that loads the storage VIP's resources (storage-vip runs there)."""
    return gluster_hosts(ctx)[:1] if vip_manager(ctx) == "pacemaker" else []


class StorageExport(Phase):
    name = "storage-export"
    title = "NFS-Ganesha exports of the gluster volume, the storage VIP"

    def hosts(self, ctx: Context) -> list[str]:
        return gluster_hosts(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        # On the loader the crm script belongs to the storage-vip phase: its change loads it.
        loader = host in crm_loader(ctx)
        rendered = [op for op in files(ctx.host_files(host, "storage"))
                    if not (loader and op.args["path"].endswith(".crm"))]
        # Drop-ins are no restart triggers: the daemon-reload before the service ops applies
        # them (a restart would move the VIP, or start a grace period, for nothing).
        reload = m.command("systemd-reload", "systemctl daemon-reload",
                           on_change=under(rendered, "/etc/systemd/"))
        ganesha = m.service("nfs-ganesha", restart_on=under(rendered, "/etc/ganesha"))
        if vip_manager(ctx) == "pacemaker":
            return m.Manifest([
                _refuse("keepalived", "pacemaker", "keepalived"),
                m.packages(*GANESHA_PACKAGES, *packages.VIP_MANAGER["pacemaker"]),
                *rendered, reload, ganesha,
                m.service("corosync", restart_on=under(rendered, "/etc/corosync")),
                m.service("pacemaker")])
        return m.Manifest([_refuse("corosync", "keepalived", "pacemaker"),
                           m.packages(*GANESHA_PACKAGES, "keepalived"), *rendered, reload, ganesha,
                           m.service("keepalived", restart_on=under(rendered, "/etc/keepalived"))])

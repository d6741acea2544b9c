"""lb: HAProxy in front of the API servers, and the VIP manager's daemons.

haproxy runs on both nodes under systemd either way (restarted when it dies, by the rendered
drop-in); the VIP manager moves only the address. With Pacemaker the VIP resource itself is
loaded by the `vip` phase once both nodes run Pacemaker; with keepalived, keepalived moves it.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files, sysctl_loads, under
from kubeforge.render import loadbalancer as rendered_lb

# Switching from keepalived: both daemons would claim the VIP (its stop takes the VIP down).
RETIRE_KEEPALIVED = m.command(
    "retire-keepalived", "systemctl disable --now keepalived",
    unless="! systemctl is-enabled -q keepalived && ! systemctl is-active -q keepalived")

# A pair set up by an earlier kubeforge ran haproxy as a Pacemaker resource (in a group with
# the VIP): stop that group, wait for the cluster to settle, then delete it, so haproxy is
# systemd's alone. Runs on both nodes at once: whichever deletes second finds nothing (`|| :`).
_GROUP = rendered_lb.OLD_GROUP_RESOURCE
RETIRE_HAPROXY_RESOURCE = m.command(
    "retire-haproxy-resource",
    f"crm_resource -r {_GROUP} -m -p target-role -v Stopped >/dev/null 2>&1 || :; "
    "crm_resource --wait --timeout=120s; "
    f"cibadmin --delete --xml-text '<group id=\"{_GROUP}\"/>' >/dev/null 2>&1 || :",
    unless=f"! cibadmin -Q -o resources 2>/dev/null | grep -q 'group id=\"{_GROUP}\"'")


def vip_manager(ctx: Context) -> str:
    return ctx.plan.spec.loadbalancer.vip_manager


def crm_loader(ctx: Context) -> list[str]:
    """The one balancer that loads the Pacemaker resources (the vip phase runs there)."""
    balancers = ctx.hosts_with_role("loadbalancer")
    return balancers[:1] if vip_manager(ctx) == "pacemaker" else []


class LoadBalancer(Phase):
    name = "lb"
    title = "HAProxy and the VIP manager on the load balancers"

    def hosts(self, ctx: Context) -> list[str]:
        return ctx.hosts_with_role("loadbalancer")

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        # On the loader the crm script belongs to the vip phase: its change triggers the load.
        loader = host in crm_loader(ctx)
        rendered = [op for op in files(ctx.host_files(host, "loadbalancer"))
                    if not (loader and op.args["path"].endswith(".crm"))]
        # Drop-ins (/etc/systemd) are not restart triggers: the daemon-reload before the first
        # service op applies them, and a restart of corosync on both nodes at once would stop
        # the cluster for nothing.
        haproxy = under(rendered, "/etc/haproxy")
        check = m.command("haproxy-check", "haproxy -c -q -f /etc/haproxy/haproxy.cfg",
                          on_change=haproxy)
        # A changed drop-in alone changes no service op: reload systemd for it explicitly.
        reload = m.command("systemd-reload", "systemctl daemon-reload",
                           on_change=under(rendered, "/etc/systemd/"))
        ops = [*rendered, *sysctl_loads(rendered), m.sysctl("net.ipv4.ip_nonlocal_bind", 1),
               check, reload]
        if vip_manager(ctx) == "pacemaker":
            return m.Manifest(self._pacemaker(ops, rendered, haproxy))
        return m.Manifest(self._keepalived(ops, rendered, haproxy))

    @staticmethod
    def _pacemaker(ops: list[m.Op], rendered: list[m.Op], haproxy: list[m.Op]) -> list[m.Op]:
        corosync = under(rendered, "/etc/corosync")
        return [m.packages("haproxy", "corosync", "pacemaker", "crmsh"), *ops,
                RETIRE_KEEPALIVED, RETIRE_HAPROXY_RESOURCE,
                # Restarted after the retirements: either may have stopped it.
                m.service("haproxy", restart_on=[*haproxy, RETIRE_KEEPALIVED,
                                                 RETIRE_HAPROXY_RESOURCE]),
                m.service("corosync", restart_on=corosync),
                m.service("pacemaker")]

    @staticmethod
    def _keepalived(ops: list[m.Op], rendered: list[m.Op], haproxy: list[m.Op]) -> list[m.Op]:
        # Switching from Pacemaker: its stop takes the VIP down cleanly first.
        retire = m.service("pacemaker", enabled=False, active=False)
        keepalived = under(rendered, "/etc/keepalived")
        return [m.packages("haproxy", "keepalived"), *ops, retire,
                m.service("corosync", enabled=False, active=False),
                m.service("haproxy", restart_on=[*haproxy, retire]),
                m.service("keepalived", restart_on=keepalived)]

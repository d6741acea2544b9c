"""lb: HAProxy in front of the API servers, and the VIP manager's daemons.

With Pacemaker, haproxy is a cluster resource (its unit stays disabled, Pacemaker starts
it where the VIP is); the resources themselves are loaded by the `vip` phase once both
nodes run Pacemaker. With keepalived, haproxy runs on both nodes and keepalived moves
the VIP.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files, sysctl_loads, under

# Switching from keepalived: both daemons would claim the VIP, and Pacemaker would find haproxy
# (its resource) already running on both nodes. Stop keepalived's haproxy with it.
RETIRE_KEEPALIVED = m.command(
    "retire-keepalived", "systemctl stop haproxy && systemctl disable --now keepalived",
    unless="! systemctl is-enabled -q keepalived && ! systemctl is-active -q keepalived")


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
        haproxy = under(rendered, "/etc/haproxy")
        check = m.command("haproxy-check", "haproxy -c -q -f /etc/haproxy/haproxy.cfg",
                          on_change=haproxy)
        ops = [*rendered, *sysctl_loads(rendered), m.sysctl("net.ipv4.ip_nonlocal_bind", 1),
               check]
        if vip_manager(ctx) == "pacemaker":
            ops = [m.packages("haproxy", "corosync", "pacemaker", "crmsh"), *ops]
            corosync = under(rendered, "/etc/corosync")
            ops += [RETIRE_KEEPALIVED,
                    m.service("haproxy", enabled=False, active=None),
                    m.service("corosync", restart_on=corosync),
                    m.service("pacemaker")]
        else:
            ops = [m.packages("haproxy", "keepalived"), *ops]
            # Switching from Pacemaker: its stop takes the VIP and haproxy down cleanly first.
            # Checks run before any fix, so haproxy (seen running as Pacemaker's resource) is
            # restarted when Pacemaker was retired, not just enabled.
            retire = m.service("pacemaker", enabled=False, active=False)
            ops += [retire,
                    m.service("corosync", enabled=False, active=False),
                    m.service("haproxy", restart_on=[*haproxy, retire]),
                    m.service("keepalived", restart_on=under(rendered, "/etc/keepalived"))]
        return m.Manifest(ops)

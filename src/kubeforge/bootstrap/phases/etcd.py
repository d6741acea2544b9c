"""etcd-standin, etcd-standin-join: the lab's real etcd on the control planes (lab only).

On a real cluster kubeadm runs the stacked etcd as a static pod, with the certificates its
`certs` phase makes, and these phases touch no host. The lab has no kubeadm, so they do what
kubeadm would for etcd: kubeadm's certificate layout (issued by kubeforge, `render.etcd_pki`)
and flags, Debian's etcd-server as the daemon, the first control plane starting a one-member
cluster and every other one joining it in order (`etcdctl member add`, then start with
`--initial-cluster-state=existing`), one at a time, as `kubeadm join` does. Day-2 commands
(backup, restore, member removal, certs check) then work on a real etcd cluster.
"""

from __future__ import annotations

from kubeforge import errors
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files
from kubeforge.render import etcd, etcd_pki

STANDIN_NOTE = "lab stand-in for kubeadm's stacked etcd: Debian's etcd-server, kubeadm's flags"


def standin_hosts(ctx: Context) -> list[str]:
    """Control planes, on the lab only (kubeadm runs etcd where the binaries exist), when the
    context carries the stand-in's certificates (`bootstrap.inputs.context` adds them)."""
    hosts = ctx.hosts_with_role("control_plane")
    if ctx.kubernetes_binaries or not hosts or not ctx.host_files(hosts[0], etcd_pki.COMPONENT):
        return []
    return hosts


def certificate_ops(ctx: Context, host: str) -> list[m.Op]:
    found = ctx.host_files(host, etcd_pki.COMPONENT)
    if not found:
        raise errors.ApplyError(f"{host}: no etcd certificates were issued for it; the etcd "
                                "stand-in needs them (kubeforge apply --lab issues them)")
    return files(found)


def member_ops(ctx: Context, host: str, joining: bool) -> list[m.Op]:
    certs = certificate_ops(ctx, host)
    dropin = files([etcd.standin_dropin(ctx.plan, host)])
    ops = [m.packages("etcd-server", "etcd-client"), m.directory(etcd.DATA_DIR, mode=0o700),
           *certs, *dropin]
    if joining:
        ops.append(member_add(ctx, host))
    ops.append(m.service("etcd", restart_on=[*certs, *dropin]))
    return ops


def member_add(ctx: Context, host: str) -> m.Op:
    """`member add` against the members before it, unless its peer URL is listed already
    (an interrupted join: added, not yet started)."""
    machine = ctx.plan.machine(host)
    before = etcd.joined_with(ctx.plan, host)[:-1]
    ctl = etcd.etcdctl(*before)
    # etcd refuses an add until the last member to join has been connected a few seconds
    # ("unhealthy cluster"): retry for a minute, as kubeadm's join does.
    add = f"{ctl} {etcd.member_add(machine)}"
    return m.command(f"etcd-member-add:{host}",
                     f"for i in $(seq 30); do {add} && exit 0; sleep 2; done; exit 1",
                     unless=f"{ctl} member list | grep -qF {etcd.peer_url(machine)}")


class EtcdStandin(Phase):
    name = "etcd-standin"
    title = f"etcd on the first control plane ({STANDIN_NOTE})"

    def hosts(self, ctx: Context) -> list[str]:
        return standin_hosts(ctx)[:1]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(member_ops(ctx, host, joining=False))


class EtcdStandinJoin(Phase):
    name = "etcd-standin-join"
    title = "etcd members of the other control planes, one at a time (lab stand-in)"
    serial = True  # etcd wants the exact membership at each join

    def hosts(self, ctx: Context) -> list[str]:
        return standin_hosts(ctx)[1:]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(member_ops(ctx, host, joining=True))

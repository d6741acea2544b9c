"""`kubeforge add` and `kubeforge remove`: bring the cluster's control planes and workers to
the counts in the spec, through the engine, refusing what would break the cluster.

Growing: the gateway first (DHCP reservation and DNS name, so the new machine gets its planned
address when it boots), the machine (the provider), then apply's own phases on only the hosts
that change: the new machine (prerequisites, join; for a control plane its etcd member), the
load balancers' HAProxy backends for a control plane. Shrinking, one machine at a time: drain,
its etcd member removed (control plane), `kubeadm reset`, the Node deleted; then the gateway
and load balancers without it; the engine forgets it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence

from kubeforge import errors
from kubeforge.bootstrap import etcd_backup, membership
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.membership import Change, Journal
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases import all_phases, etcd_ops, node_ops
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.gateway import Gateway
from kubeforge.bootstrap.phases.lb import LoadBalancer
from kubeforge.bootstrap.phases.steps import listing
from kubeforge.bootstrap.phases.vip import Vip
from kubeforge.bootstrap.state import ApplyState
from kubeforge.plan.model import Machine
from kubeforge.render import etcd

Create = Callable[[list[Machine]], Awaitable[None]]


class Refused(errors.ApplyError):
    """The change would break the cluster; nothing was touched."""

    exit_code = 3


def quorum(members: int) -> int:
    return members // 2 + 1


def refusals(change: Change, force: bool) -> list[str]:
    """What the spec change itself breaks (no host needed)."""
    found = []
    moved = change.added + change.removed
    unsupported = sorted({m.role for m in moved} - set(membership.SUPPORTED))
    if unsupported:
        found.append(f"hosts.{unsupported[0]}.count: adding or removing {unsupported[0]} "
                     "machines is not supported yet; keep its count as deployed")
    if any(m.role == "control_plane" for m in moved):
        count = len(change.after.by_role("control_plane"))
        if count == 0:
            found.append("hosts.control_plane.count: 0 would remove the last control plane "
                         "(and etcd with it); keep at least 1")
        elif count % 2 == 0 and not force:
            found.append(f"hosts.control_plane.count: {count} is even; etcd with {count} "
                         f"members tolerates no more failures than with {count - 1}, and a "
                         "split leaves no majority. Use an odd count, or --force")
    return found


async def check_quorum(op: Operation, change: Change) -> None:
    """etcd's own rule for a membership change: the members that stay and are healthy must
    be a majority of the new membership (refused, with the counts, otherwise)."""
    after = etcd.members(change.after)
    before = {m.name for m in etcd.members(change.before)}
    staying = [m for m in after if m.name in before]
    health: dict[str, bool] = {}
    for machine in staying:
        health = await etcd_backup.health(op, machine.name)
        if health:
            break
    healthy = [m.name for m in staying if health.get(etcd.client_url(m))]
    if len(healthy) < quorum(len(after)):
        raise Refused(f"refused: etcd would have {len(after)} member(s) and needs "
                      f"{quorum(len(after))} healthy for quorum, but only {len(healthy)} of "
                      f"those that stay answer healthy ({', '.join(healthy) or 'none'}); "
                      "bring the others back first (`kubeforge etcd status`)")


def changed_hosts(change: Change, machines: Sequence[Machine]) -> frozenset[str]:
    """The machines, the gateway (DHCP, DNS) and, for a control plane, the load balancers."""
    hosts = {m.name for m in machines} | {change.after.gateway.name}
    if any(m.role == "control_plane" for m in machines):
        hosts |= {m.name for m in change.after.by_role("loadbalancer")}
    return frozenset(hosts)


async def add(op: Operation, change: Change, dry_run: bool, create: Create | None) -> None:
    names = [m.name for m in change.added]
    hosts = changed_hosts(change, change.added)
    if dry_run:
        op.console.print("\n".join(listing(all_phases(), op.ctx, hosts)), highlight=False)
        existing = hosts - set(names)
        await op.phases([Gateway(), LoadBalancer()], dry_run=True, hosts=existing, recheck=False)
        return
    if any(m.role == "control_plane" for m in change.added):
        await check_quorum(op, change)
    journal = Journal.load(op.state_dir)
    journal.begin("add", names)
    await op.phases([Gateway()], dry_run=False, hosts=hosts, recheck=False)
    if create is not None:
        await create(list(change.added))
    await reachable(op, names)
    await op.phases(all_phases(), dry_run=False, hosts=hosts, recheck=False)
    journal.finish()


async def reachable(op: Operation, names: list[str]) -> None:
    missing = [n for n in names if await op.try_read(n, "true") is None]
    if missing:
        raise errors.ApplyError(
            f"{', '.join(missing)}: not reachable yet. Create the machine(s) with your "
            "provider (`kubeforge up`: it makes only what is missing), then run `kubeforge add` "
            "again: it resumes (the gateway already knows them)")


def removal_phases(change: Change, leaving: Machine, lab: bool) -> list[Phase]:
    """One machine's way out, in order. `via`: a control plane that stays."""
    via = change.after.by_role("control_plane")[0].name
    phases: list[Phase] = [node_ops.drain(via, leaving.name)]
    if leaving.role == "control_plane":
        phases.append(etcd_ops.member_remove(via, leaving))
        if lab:
            phases.append(etcd_ops.member_retire(leaving.name))
    return [*phases, node_ops.kubeadm_reset(leaving.name),
            node_ops.delete_node(via, leaving.name)]


def config_phases() -> list[Phase]:
    """Apply's phases that hold the machine list: DHCP/DNS, HAProxy backends, the VIP."""
    return [Gateway(), LoadBalancer(), Vip()]


async def remove(op: Operation, change: Change, dry_run: bool) -> None:
    lab = not op.ctx.kubernetes_binaries
    steps = [p for m in change.removed for p in removal_phases(change, m, lab)]
    hosts = changed_hosts(change, change.removed) - {m.name for m in change.removed}
    if dry_run:
        lines = listing(steps, op.ctx) + listing(config_phases(), op.ctx, hosts)
        op.console.print("\n".join(lines), highlight=False)
        await op.phases(config_phases(), dry_run=True, hosts=hosts, recheck=False)
        return
    if any(m.role == "control_plane" for m in change.removed):
        await check_quorum(op, change)
    journal = Journal.load(op.state_dir)
    journal.begin("remove", [m.name for m in change.removed])
    for machine in change.removed:  # one at a time: each membership change settles first
        await op.phases(removal_phases(change, machine, lab), dry_run=False)
    await op.phases(config_phases(), dry_run=False, hosts=hosts, recheck=False)
    forget(op, [m.name for m in change.removed])
    journal.finish()


def forget(op: Operation, names: list[str]) -> None:
    state = ApplyState.load(op.state_dir)
    for phase in list(state.phases):
        for name in names:
            state.forget(phase, name)


def with_leaving(reach: Reach, change: Change) -> Reach:
    """The route to the machines that leave: the spec no longer has them, so they are reached
    as their peers are (through the same front door)."""
    peer = next(t for t in reach.targets.values() if t.jump is not None)
    targets = dict(reach.targets)
    for machine in change.removed:
        targets.setdefault(machine.name, dataclasses.replace(
            peer, name=machine.name, address=str(machine.address)))
    return dataclasses.replace(reach, targets=targets)

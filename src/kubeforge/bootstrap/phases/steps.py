"""A phase made from data, for the day-2 operations: a name, a title, its hosts and, per host,
its ops. Each operation (backup, restore, add, remove, upgrade, reset) is an ordered list of
these, run by the same engine as `apply` (check, apply only what differs, record, resume)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase

OpsFor = Callable[[Context, str], list[m.Op]]


class Steps(Phase):
    def __init__(self, name: str, title: str, hosts: Sequence[str], ops: OpsFor,
                 serial: bool = False, needs_kubernetes: bool = False) -> None:
        self.name, self.title, self.serial = name, title, serial
        self.needs_kubernetes = needs_kubernetes
        self._hosts, self._ops = list(hosts), ops

    def hosts(self, ctx: Context) -> list[str]:
        return list(self._hosts)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(self._ops(ctx, host))


def listing(phases: Sequence[Phase], ctx: Context,
            only: frozenset[str] | None = None) -> list[str]:
    """Every step of `phases` (on the `only` hosts, if given), per phase and host, as
    `--dry-run` and the golden files show them (plans only: no host is contacted)."""
    lines: list[str] = []
    for phase in phases:
        hosts = [h for h in phase.hosts(ctx) if only is None or h in only]
        if not hosts:
            continue
        order = "one host at a time" if phase.serial else "hosts in parallel"
        lab = ", dry-run only on the lab" if phase.needs_kubernetes else ""
        lines.append(f"{phase.name}: {phase.title} ({order}{lab})")
        for host in hosts:
            lines.append(f"  {host}:")
            lines += [f"    - {op.describe()}" for op in phase.plan(ctx, host).ops]
    return lines

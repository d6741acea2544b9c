"""The shape of a phase (after k0sctl): a title, the hosts it touches, and per host the
desired state as a manifest. The runner does the checking, applying and recording."""

from __future__ import annotations

from typing import Protocol

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.render.artifact import Artifact


class Query(Protocol):
    """Read one fact from a host before planning: stdout of a read-only command, or None."""

    async def __call__(self, host: str, command: str) -> str | None: ...


class Phase:
    name: str = ""
    title: str = ""
    serial: bool = False  # one host at a time (etcd members join one by one)
    needs_kubernetes: bool = False  # needs kubeadm/kubelet: dry-run only on the lab
    # The phases that must have finished first. None: the one before it in the list. Phases
    # whose needs are met run at the same time; they must touch different machines.
    after: tuple[str, ...] | None = None

    def hosts(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    async def prepare(self, ctx: Context, query: Query, dry: bool) -> None:
        """Gather facts from other hosts that the per-host plans need (k0sctl Prepare)."""

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        raise NotImplementedError

    def prerequisite(self, ctx: Context) -> tuple[str, m.Manifest] | None:
        """State another host must hold before this phase's hosts are touched (the joins: a
        valid token on the first control plane). Checked whenever a host of the phase will be,
        whatever --hosts selects, and never recorded as converged: it expires."""
        return None


def files(artifacts: list[Artifact]) -> list[m.Op]:
    """One file op per rendered artifact, secrets kept secret."""
    return [m.file(a.target or "", a.content, mode=a.mode, secret=a.secret)
            for a in artifacts]


def under(ops: list[m.Op], *prefixes: str) -> list[m.Op]:
    """The file ops among `ops` whose path starts with one of `prefixes` (restart triggers)."""
    return [op for op in ops if op.kind == "file" and op.args["path"].startswith(prefixes)]


def sysctl_loads(ops: list[m.Op]) -> list[m.Op]:
    """Load each changed /etc/sysctl.d file at once (`sysctl -p FILE`: only that file, which
    also works in containers, where `sysctl --system` trips over read-only kernel.* keys)."""
    return [m.command(f"sysctl-load:{op.args['path']}", f"sysctl -q -p {op.args['path']}",
                      on_change=[op]) for op in under(ops, "/etc/sysctl.d/")]

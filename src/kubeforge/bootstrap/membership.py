"""Which machines the cluster has, which the spec wants, and whether a change is safe.

The spec is the truth: raise or lower `hosts.<role>.count` in cluster.yaml, then `kubeforge
add` / `kubeforge remove` bring the cluster to it. What is deployed is what the engine's state
records (every machine an apply reached), plus an operation still in progress (`Journal`:
an interrupted add or remove resumes with the same machines).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from kubeforge import errors
from kubeforge.bootstrap.state import ApplyState
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Machine, Plan
from kubeforge.render import private
from kubeforge.spec.model import ClusterSpec, Role

JOURNAL = "day2-operation.json"
SUPPORTED: tuple[Role, ...] = ("control_plane", "worker")


@dataclass
class Journal:
    """The add or remove in progress: written before the first change, removed after the last."""

    path: Path
    kind: str = ""
    machines: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, state_dir: Path) -> Journal:
        path = state_dir / JOURNAL
        if not private.check(path):
            return cls(path)
        try:
            data = json.loads(private.read(path))
            return cls(path, str(data["kind"]), [str(m) for m in data["machines"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.StateError(
                f"{path}: not a day-2 journal kubeforge wrote ({type(exc).__name__}); if no add "
                "or remove is in progress, delete the file and re-run") from None

    def begin(self, kind: str, machines: list[str]) -> None:
        if self.kind and (self.kind, sorted(self.machines)) != (kind, sorted(machines)):
            raise errors.ApplyError(
                f"a `kubeforge {self.kind}` of {', '.join(self.machines)} was interrupted; "
                f"finish it first (run `kubeforge {self.kind}` again with the spec it had)")
        self.kind, self.machines = kind, machines
        body = {"kind": kind, "machines": machines, "started": time.time()}
        private.write(self.path, json.dumps(body).encode())

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
        self.kind, self.machines = "", []


def deployed(state_dir: Path) -> set[str]:
    """Every machine a phase converged on (the engine's records)."""
    state = ApplyState.load(state_dir)
    return {host for hosts in state.phases.values() for host in hosts}


def covering(spec: ClusterSpec, names: set[str]) -> Plan:
    """The plan of `spec` with as many control planes and workers as `names` holds (machines
    are numbered by count, so a deployed kube-node04 means four workers)."""
    update: dict[str, object] = {}
    for role in SUPPORTED:
        group = getattr(spec.hosts, role)
        indexes = [i for i in (_index(n, group.name_prefix) for n in names) if i is not None]
        count = max(indexes, default=0)
        update[role] = group.model_copy(update={"count": count})
    return build_plan(spec.model_copy(update={"hosts": spec.hosts.model_copy(update=update)}))


def _index(name: str, prefix: str) -> int | None:
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


@dataclass(frozen=True)
class Change:
    before: Plan  # the cluster as it is (every deployed machine)
    after: Plan  # the cluster as the spec wants it
    added: tuple[Machine, ...]
    removed: tuple[Machine, ...]

    def roles(self, machines: tuple[Machine, ...]) -> set[str]:
        return {m.role for m in machines}


def change(spec: ClusterSpec, state_dir: Path) -> Change:
    journal = Journal.load(state_dir)
    have = deployed(state_dir)
    if not have:
        raise errors.ApplyError("nothing is deployed yet (no apply recorded in the state): "
                                "run `kubeforge apply` first")
    after = build_plan(spec)
    wanted = {m.name for m in after.machines}
    if journal.kind == "add":
        have -= set(journal.machines)
    if journal.kind == "remove":
        have |= set(journal.machines)
    before = covering(spec, have)
    added = tuple(m for m in after.machines if m.name not in have)
    removed = tuple(m for m in before.machines if m.name in have and m.name not in wanted)
    return Change(before, after, added, removed)

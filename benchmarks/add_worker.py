"""Adding one worker against a full apply, on the lab (issue 4: target <= 0.2x), and the
day-2 commands `kubeforge add` / `kubeforge remove` of one worker (issue 11: each <= 0.1x),
timed through the same library calls the commands make (bootstrap.nodes), three rounds.

A full apply converges the default topology from nothing. Then a worker is added to the spec
and the user's steps are timed: `apply --phase gateway` (its DHCP reservation and DNS name
first, as for a VM), the machine itself (`lab up`, the provider's part, reported apart), then
`apply`, which touches only what the new worker needs. The Kubernetes phases are dry-run on
the lab (no kubeadm/kubelet binaries here) in both runs alike. Its lab is named `kfw-*`.

    .venv/bin/python benchmarks/add_worker.py
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report
from rich.console import Console

from kubeforge.bootstrap import engine, inputs, inventory, membership, nodes
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.lab import lifecycle, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace

PREFIX = "kfw"
ROUNDS = 3


def apply(ws: Workspace, plan: Plan, paths: LabPaths, phases: tuple[str, ...] = ()) -> float:
    reach = inventory.from_handoff(plan, provision_lab.handoff(plan, paths))
    ctx = inputs.context(ws, plan, reach)  # as `kubeforge apply`: etcd stand-in included
    start = time.monotonic()
    asyncio.run(engine.apply(ctx, reach, ws.state_dir, Options(selection=Selection(phases)),
                             Console(file=io.StringIO(), width=200)))
    return time.monotonic() - start


def day2(ws: Workspace, spec: ClusterSpec, paths: LabPaths, grow: bool) -> tuple[float, float]:
    """`kubeforge add` (grow) or `kubeforge remove` to `spec`'s counts; seconds of the
    command and of the provider's part (the lab booting a machine), which is reported apart."""
    change = membership.change(spec, ws.state_dir)
    plan = change.after
    reach = inventory.from_handoff(plan, provision_lab.handoff(plan, paths))
    ctx = inputs.context(ws, plan, reach)
    machine = [0.0]

    async def create(_: object) -> None:
        started = time.monotonic()
        lab_plan = seeds.lab_plan(spec)
        await asyncio.to_thread(lifecycle.up, lab_plan, seeds.render_seeds(lab_plan), paths,
                                identity=ws.ssh_key_path)
        machine[0] = time.monotonic() - started

    async def run() -> None:
        leaving = reach if grow else nodes.with_leaving(reach, change)
        async with Operation(ctx, leaving, ws.state_dir, Console(file=io.StringIO())) as op:
            await (nodes.add(op, change, False, create) if grow else
                   nodes.remove(op, change, False))

    start = time.monotonic()
    asyncio.run(run())
    return time.monotonic() - start - machine[0], machine[0]


def with_workers(spec: ClusterSpec, count: int) -> ClusterSpec:
    worker = spec.hosts.worker.model_copy(update={"count": count})
    return spec.model_copy(update={"hosts": spec.hosts.model_copy(update={"worker": worker})})


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="kubeforge-add-worker-"))
    ws = Workspace(None, scratch / "state")
    paths = LabPaths(cache=LabPaths.default().cache, state=scratch / "lab", prefix=PREFIX)
    spec = ws.operator_spec()
    before = seeds.lab_plan(spec)
    after = seeds.lab_plan(with_workers(spec, spec.hosts.worker.count + 1))
    try:
        lifecycle.up(before, seeds.render_seeds(before), paths, identity=ws.ssh_key_path)
        full = apply(ws, before, paths)
        gateway = apply(ws, after, paths, ("gateway",))
        start = time.monotonic()
        lifecycle.up(after, seeds.render_seeds(after), paths, identity=ws.ssh_key_path)
        machine = time.monotonic() - start
        added = apply(ws, after, paths)
        removes, adds = rounds(ws, spec, paths)
    finally:
        lifecycle.down(paths)
    report_day2(full, removes, adds)
    ratio = (gateway + added) / full
    print(f"full {full:.1f} s; add: gateway {gateway:.1f} s + apply {added:.1f} s "
          f"= {ratio:.2f}x; new machine (lab up) {machine:.1f} s")
    _report.update_section("add_worker", f"""## Engine: adding one worker

`.venv/bin/python benchmarks/add_worker.py` on {_report.machine()}: the default topology on
the lab; Kubernetes phases dry-run in both runs (no kubeadm/kubelet binaries here).

| step | seconds |
|---|---|
| full apply of the default topology, from nothing | {full:.1f} |
| add a worker: `apply --phase gateway` (reservation + DNS) | {gateway:.1f} |
| add a worker: the machine (`lab up`, provider's part, not counted) | {machine:.1f} |
| add a worker: `apply` (only what the new worker needs) | {added:.1f} |

Adding one worker costs **{ratio:.2f}×** a full apply (target ≤ 0.2×).""")


def rounds(ws: Workspace, spec: ClusterSpec, paths: LabPaths) -> tuple[list[float], list[float]]:
    """`kubeforge remove` of the fourth worker, then `kubeforge add` of it, ROUNDS times (the
    lab cannot delete one machine: it stays booted, so each add finds it there)."""
    lab_spec = spec.model_copy(update={"image_preinstalled": True})
    three, four = lab_spec, with_workers(lab_spec, spec.hosts.worker.count + 1)
    removes, adds = [], []
    for _ in range(ROUNDS):
        removes.append(day2(ws, three, paths, grow=False)[0])
        adds.append(day2(ws, four, paths, grow=True)[0])
    return removes, adds


def report_day2(full: float, removes: list[float], adds: list[float]) -> None:
    rows = [(name, statistics.median(t), min(t), max(t)) for name, t in
            (("`kubeforge add` (one worker)", adds), ("`kubeforge remove` (one worker)", removes))]
    for name, median, low, high in rows:
        print(f"{name}: median {median:.1f} s (min {low:.1f}, max {high:.1f}) = "
              f"{median / full:.2f}x a full apply")
    table = "\n".join(f"| {name} | {median:.1f} | {low:.1f} | {high:.1f} | {median / full:.2f}× |"
                      for name, median, low, high in rows)
    _report.update_section("day2_add_remove", f"""## Day 2: `kubeforge add` / `remove` of one worker

`.venv/bin/python benchmarks/add_worker.py` on {_report.machine()}: after the full apply above
({full:.1f} s), {ROUNDS} rounds of removing the fourth worker and adding it back through
`bootstrap.nodes` (what the commands run). Real on the lab: the gateway's DHCP reservation and
DNS record; the Kubernetes steps (join, drain, reset, delete node) dry-run. The machine itself
(provider's part) is not counted; the lab keeps the removed machine booted, so later adds find
it there.

| command | median s | min s | max s | median / full apply (target ≤ 0.1×) |
|---|---|---|---|---|
{table}""")


if __name__ == "__main__":
    main()

"""Adding one worker against a full apply, on the lab (issue 4: target <= 0.2x).

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
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report
from rich.console import Console

from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.lab import lifecycle, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.render import bundle
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace

PREFIX = "kfw"


def apply(ws: Workspace, plan: Plan, paths: LabPaths, phases: tuple[str, ...] = ()) -> float:
    secrets = ws.secrets()
    ctx = Context(plan, tuple(bundle.render_all(plan, secrets)), secrets,
                  kubernetes_binaries=False)
    reach = inventory.from_handoff(plan, provision_lab.handoff(plan, paths))
    start = time.monotonic()
    asyncio.run(engine.apply(ctx, reach, ws.state_dir, Options(selection=Selection(phases)),
                             Console(file=io.StringIO(), width=200)))
    return time.monotonic() - start


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
    finally:
        lifecycle.down(paths)
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


if __name__ == "__main__":
    main()

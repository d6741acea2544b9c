"""Lab start-up: cold (debootstrap + packages + boot) and warm (cached base tree) start of the
full default topology to "every machine ready" (cloud-init done, sshd answering), and memory
per machine (PSS of the processes in each machine's PID namespace) once it is ready.

Cold start builds the base tree into a throwaway cache, so it downloads everything again and
never disturbs the real cache. Needs root, debootstrap, systemd-nspawn. Its lab is named
`kfb-*`, so a lab already up (`kf-*`) is not disturbed (but shares the CPU: mind the figures).

    .venv/bin/python benchmarks/lab_up.py [--warm-runs 2] [--cold] [--write-docs]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report

from kubeforge.errors import LabError
from kubeforge.lab import base, lifecycle, metrics, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Record
from kubeforge.plan.model import Plan
from kubeforge.workspace import Workspace

PREFIX = "kfb"  # its own namespaces: runs beside a lab that is already up (`kf-*`)


def one_run(plan: Plan, lab_seeds: seeds.Seeds, paths: LabPaths,
            identity: Path) -> tuple[float, dict[str, float]]:
    """Seconds to ready and memory; a run that never gets ready counts as a failure (the
    reliability figure of issue 9: every `lab up` must succeed), with the reason printed."""
    start = time.monotonic()
    try:
        lifecycle.up(plan, lab_seeds, paths, identity=identity)
        elapsed = time.monotonic() - start
        time.sleep(5)  # let first-boot stragglers settle before measuring memory
        memory = metrics.memory_mb(Record.load(paths.record))
    except LabError as exc:
        print(f"FAILED after {time.monotonic() - start:.0f} s: {exc}")
        return math.nan, {}
    finally:
        lifecycle.down(paths)
    return elapsed, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm-runs", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="also time a cold start")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="kubeforge-lab-bench-"))
    try:
        workspace = Workspace(None, scratch / "state")
        plan = seeds.lab_plan(workspace.operator_spec())
        lab_seeds = seeds.render_seeds(plan)
        release = plan.spec.debian_release
        cold = None
        if args.cold:
            cold_paths = LabPaths(cache=scratch / "cache", state=scratch / "lab", prefix=PREFIX)
            start = time.monotonic()
            base.ensure(cold_paths, release)
            build = time.monotonic() - start
            boot, _ = one_run(plan, lab_seeds, cold_paths, workspace.ssh_key_path)
            cold = (build, boot)
            print(f"cold: base tree {build:.0f} s + boot {boot:.1f} s")
        paths = LabPaths(cache=LabPaths.default().cache, state=scratch / "lab", prefix=PREFIX)
        base.ensure(paths, release)
        warm = [one_run(plan, lab_seeds, paths, workspace.ssh_key_path) for _ in range(args.warm_runs)]
        for seconds, _ in warm:
            print(f"warm: {seconds:.1f} s")
        memory = next((m for _, m in reversed(warm) if m), {})
        for name, mb in memory.items():
            print(f"  {name}: {mb:.0f} MB")
        if args.write_docs:
            _write_docs(plan, cold, [s for s, _ in warm], memory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_docs(plan: Plan, cold: tuple[float, float] | None, warm: list[float],
                memory: dict[str, float]) -> None:
    rows = "\n".join(f"| {name} | {mb:.0f} |" for name, mb in memory.items())
    cold_line = (f"- cold start: base tree (debootstrap + every role package) {cold[0]:.0f} s, "
                 f"then boot {cold[1]:.1f} s" if cold else "- cold start: not measured in this run")
    _report.update_section("lab_up", f"""## Lab start-up: {len(memory)} machines to ready

`.venv/bin/python benchmarks/lab_up.py {" ".join(sys.argv[1:])}` on {_report.machine()},
load average {os.getloadavg()[0]:.1f} at the end.
Ready = cloud-init done and sshd answering (the gateway: over the operator's route).
Goal (issue 3): warm start under 60 s on 2 cores.

{cold_line}
{_warm_line(warm)}
- memory: {sum(memory.values()):.0f} MB in all; per machine (PSS, idle after boot):

| machine | MB |
|---|---|
{rows}
""")


def _warm_line(warm: list[float]) -> str:
    ready = [s for s in warm if not math.isnan(s)]
    times = f"median {statistics.median(ready):.1f} s, min {min(ready):.1f}, max {max(ready):.1f}" \
        if ready else "none ready"
    each = ", ".join("failed" if math.isnan(s) else f"{s:.1f}" for s in warm)
    return (f"- warm start (cached base tree): {len(ready)} of {len(warm)} runs ready "
            f"(a failure = a machine never took a login); {times}\n  ({each})")


if __name__ == "__main__":
    main()

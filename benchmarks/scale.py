"""The engine at scale (issue 9, item 6): the default topology with 3, 41 and 100 workers
(12, 50 and 109 machines) on the lab: `lab up`, a full `apply` from nothing, no-op re-applies
(inputs unchanged: skipped from state) and `--recheck` re-applies (every host checked again),
memory of the machines and of the kubeforge process. Kubernetes phases run as dry-run on the
lab (no kubeadm/kubelet binaries: README), in every size alike.

The node subnet keeps its /24; its DHCP pool is narrowed to .220-.250 so that 100 workers
get planned addresses. Its lab is named `kfsc-*`; root; one size at a time, torn down after
(`--keep` leaves it up for a look, `--down` removes it). Each size's figures are saved in
benchmarks/results/scale_<workers>.json; the docs section is written from every saved size.

    .venv/bin/python benchmarks/scale.py [--workers 3,41,100] [--runs 3] [--keep | --down]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import shutil
import statistics
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report
from rich.console import Console

from kubeforge.bootstrap import engine, inputs, inventory
from kubeforge.bootstrap.runner import Options, PhaseReport, Selection
from kubeforge.lab import cgroup, lifecycle, metrics, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Record
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace

PREFIX = "kfsc"
SCRATCH = Path("/var/lib/kubeforge/lab-kfsc")  # <workers>/{state,lab}: ours, made fresh
RESULTS = Path(__file__).resolve().parent / "results"


def sized(spec: ClusterSpec, workers: int) -> ClusterSpec:
    worker = spec.hosts.worker.model_copy(update={"count": workers})
    node = spec.network.subnets["node"]
    base = int(node.cidr.network_address)
    pool = node.dhcp_pool.model_copy(update={"start": IPv4Address(base + 220),
                                             "end": IPv4Address(base + 250)})
    subnets = dict(spec.network.subnets)
    subnets["node"] = node.model_copy(update={"dhcp_pool": pool})
    network = spec.network.model_copy(update={"subnets": subnets})
    hosts = spec.hosts.model_copy(update={"worker": worker})
    return spec.model_copy(update={"hosts": hosts, "network": network})


class Size:
    """One size's lab, workspace and plan, at fixed paths so `--down` finds a kept lab."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        top = SCRATCH / str(workers)
        self.ws = Workspace(None, top / "state")
        self.paths = LabPaths(cache=LabPaths.default().cache, state=top / "lab", prefix=PREFIX)
        self.plan: Plan = seeds.lab_plan(sized(self.ws.operator_spec(), workers))

    def apply(self, options: Options | None = None) -> list[PhaseReport]:
        reach = inventory.from_handoff(self.plan, provision_lab.handoff(self.plan, self.paths))
        ctx = inputs.context(self.ws, self.plan, reach)
        return asyncio.run(engine.apply(ctx, reach, self.ws.state_dir, options or Options(),
                                        Console(file=io.StringIO(), width=200)))


def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by this process with its children, and by the lab's machines
    (each runs in a cgroup of its own: `lab.cgroup`). Unlike wall time on a shared host, this
    does not depend on what else runs beside the benchmark."""
    own = os.times()
    machines = 0
    for group in cgroup.leftovers(PREFIX):
        stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
        machines += int(stat["usage_usec"])
    return own.user + own.system + own.children_user + own.children_system, machines / 1e6


def timed(step: str, result: dict[str, Any], run: Any) -> Any:
    """Run one step, keeping its seconds, the CPU seconds it took (kubeforge, machines) and
    the host's load average before and after."""
    before, cpu = os.getloadavg()[0], cpu_seconds()
    start = time.monotonic()
    value = run()
    result[f"{step}_s"] = time.monotonic() - start
    result[f"{step}_cpu"] = [round(b - a, 1) for a, b in zip(cpu, cpu_seconds(), strict=True)]
    result[f"{step}_load"] = [round(before, 1), round(os.getloadavg()[0], 1)]
    print(f"{step}: {result[f'{step}_s']:.1f} s, cpu {result[f'{step}_cpu']} "
          f"(load {result[f'{step}_load']})", flush=True)
    return value


def repeat(step: str, result: dict[str, Any], run: Any, runs: int) -> dict[str, Any]:
    """`runs` runs of one step: wall seconds and CPU seconds (kubeforge + machines) spread."""
    seconds, cpu = [], []
    for _ in range(runs):
        timed(step, result, run)
        seconds.append(result[f"{step}_s"])
        cpu.append(sum(result[f"{step}_cpu"]))
    return {**spread(seconds), "cpu": spread(cpu)}


def phase_spans(size: Size) -> dict[str, list[int]]:
    """Each phase's first and last second in the full apply, from the per-host logs (1 s
    resolution)."""
    spans: dict[str, list[str]] = {}
    for log in (size.ws.state_dir / "logs").glob("*.log"):
        for line in log.read_text().splitlines():
            record = json.loads(line)
            span = spans.setdefault(record["phase"], [record["at"], record["at"]])
            span[0], span[1] = min(span[0], record["at"]), max(span[1], record["at"])
    return {phase: [_seconds(a), _seconds(b)] for phase, (a, b) in spans.items()}


def covered(spans: list[list[int]]) -> int:
    """Seconds covered by at least one span: phases of different tracks overlap."""
    total, end = 0, None
    for a, b in sorted(spans):
        start = a if end is None else max(a, end)
        total += max(0, b - start)
        end = b if end is None else max(end, b)
    return total


def _seconds(stamp: str) -> int:
    return int(time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))


def spread(values: list[float]) -> dict[str, Any]:
    return {"runs": [round(v, 2) for v in values], "median": statistics.median(values),
            "min": min(values), "max": max(values)}


def one_size(workers: int, runs: int, keep: bool) -> dict[str, Any]:
    top = SCRATCH / str(workers)
    if top.exists():
        lifecycle.down(Size(workers).paths)  # a kept lab of an earlier run: ours
        shutil.rmtree(top)
    size = Size(workers)
    result: dict[str, Any] = {"workers": workers, "machines": len(size.plan.machines),
                              "host": _report.machine()}
    try:
        timed("lab_up", result, lambda: lifecycle.up(
            size.plan, seeds.render_seeds(size.plan), size.paths, timeout=3600,
            identity=size.ws.ssh_key_path))
        reports = timed("apply", result, size.apply)
        spans = phase_spans(size)
        result["phases_s"] = {phase: b - a for phase, (a, b) in spans.items()}
        result["phases_span"] = spans
        result["real_phases"] = [r.name for r in reports if r.hosts and not r.dry_only]
        result["noop"] = repeat("noop", result, size.apply, runs)
        # What a no-op costs where every phase is real (a cluster with the Kubernetes
        # binaries): the lab's dry-run phases are checked on every run, as a dry-run must be.
        only_real = Options(selection=Selection(phases=tuple(result["real_phases"])))
        result["noop_real"] = repeat("noop_real", result, lambda: size.apply(only_real), runs)
        result["recheck"] = repeat("recheck", result,
                                   lambda: size.apply(Options(recheck=True)), runs)
        result["machines_mb"] = sum(metrics.memory_mb(Record.load(size.paths.record)).values())
        result["kubeforge_max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        if not keep:
            lifecycle.down(size.paths)
            shutil.rmtree(SCRATCH / str(workers))  # its state: keys and secrets of a lab gone
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"scale_{workers}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(result, flush=True)
    return result


def saved() -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in RESULTS.glob("scale_*.json")]
    return sorted(found, key=lambda r: int(r["workers"]))


def row(r: dict[str, Any]) -> str:
    def runs(key: str) -> str:
        found = r[key]
        return (f"{found['median']:.1f} ({found['min']:.1f}–{found['max']:.1f}) | "
                f"{found['cpu']['median']:.1f}")

    if "phases_span" in r:  # the overlapping engine (3c3a9e1 on)
        real = covered([r["phases_span"][p] for p in r["real_phases"] if p in r["phases_span"]])
    else:  # before it, the phases ran one after another
        real = sum(r["phases_s"].get(p, 0) for p in r["real_phases"])
    return (f"| {r['workers']} | {r['machines']} | {r['lab_up_s']:.0f} | {sum(r['lab_up_cpu']):.0f} | "
            f"{r['apply_s']:.0f} | {real} | {sum(r['apply_cpu']):.0f} | {runs('noop')} | "
            f"{runs('noop_real')} | {runs('recheck')} | {r['machines_mb']:.0f} | "
            f"{r['kubeforge_max_rss_mb']:.0f} | {r['lab_up_load'][1]:.0f}, "
            f"{r['apply_load'][1]:.0f}, {r['recheck_load'][1]:.0f} |")


def markdown(results: list[dict[str, Any]], note: str = "") -> str:
    sizes = ", ".join(str(r["machines"]) for r in results)
    return f"""## Engine at scale: {sizes} machines on the lab

`.venv/bin/python benchmarks/scale.py --workers 100,41,3` on {results[-1]["host"]}: the
default topology with 3, 41 and 100 workers (node DHCP pool narrowed to .220-.250 so 100
workers get planned addresses), one lab per size, torn down after it (raw figures, each run
and the phases' times: `benchmarks/results/scale_<workers>.json`). Full apply = every phase
from nothing; preflight, gateway, reachable, lb, vip, storage, etcd (stand-in) and verify-vip
run for real (*real phases* s: the seconds in which at least one of them ran; since 3c3a9e1
the load balancers, storage and etcd tracks overlap), the Kubernetes phases as dry-run (no
kubeadm/kubelet binaries in the lab). No-op = the same apply again: real phases skipped from
state, the dry-run phases checked again on every host, as a dry-run must; *no-op, real
phases* = the same restricted to the real phases, which is what a no-op costs where every
phase is real. Recheck = `--recheck` (every host checked again over SSH). Repeated steps:
median (min–max) of {len(results[-1]["noop"]["runs"])} runs. CPU s = CPU time of kubeforge
plus the lab's machines (each in its own cgroup), the figure that does not depend on the
other jobs on the host; wall time does. Memory: the machines' PSS after the applies;
kubeforge: peak RSS of the benchmark process. Load: the host's 1-minute load average at the
end of `lab up`, of the full apply and of the last recheck.
Goals (issue 9): full apply < 2 min, no-op < 5 s at 100 workers.

Since 3c3a9e1 the load balancers, the storage servers and the etcd stand-in are three tracks
that overlap after `reachable` (docs/engine.md, "Tracks"). Before it the phases ran one after
another and their fixed waits added up (Pacemaker's DC election in vip, gluster's peer probe
and volume start, the etcd members joining one at a time): the same benchmark measured a full
apply of 187 s at 109 machines (real phases 154 s, load 48-64) and 71 s at 12 machines (real
phases 68 s, load 5-12; the overlapping engine took 42 s in the same half hour at load 7-8,
the row below ran at a higher load).
{note}
| workers | machines | `lab up` s | `lab up` CPU s | full apply s | real phases s | full apply CPU s | no-op s | no-op CPU s | no-op, real phases s | its CPU s | recheck s | recheck CPU s | machines MB | kubeforge peak MB | load (up, apply, recheck) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(row(r) for r in results)}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=lambda s: [int(v) for v in s.split(",")],
                        default=[3, 41, 100])
    parser.add_argument("--runs", type=int, default=3, help="no-op and recheck runs per size")
    parser.add_argument("--keep", action="store_true", help="leave the (last) lab up")
    parser.add_argument("--down", action="store_true", help="remove kept labs, measure nothing")
    args = parser.parse_args()
    if args.down:
        for workers in args.workers:
            lifecycle.down(Size(workers).paths)
        return
    for workers in args.workers:
        one_size(workers, args.runs, args.keep and workers == args.workers[-1])
    text = markdown(saved())
    _report.update_section("scale", text)
    print(text)


if __name__ == "__main__":
    main()

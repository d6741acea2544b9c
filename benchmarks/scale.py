"""The engine at scale (issue 9, item 6): the default topology with 3, 41 and 100 workers
(12, 50 and 109 machines) on the lab: `lab up`, a full `apply` from nothing, a no-op
re-apply (inputs unchanged: skipped from state) and a `--recheck` re-apply (every host
checked again), memory of the machines and of the kubeforge process. Kubernetes phases run
as dry-run on the lab (no kubeadm/kubelet binaries: README), in every size alike.

The node subnet keeps its /24; its DHCP pool is narrowed to .220-.250 so that 100 workers
get planned addresses. Its lab is named `kfsc-*`; root; one size at a time, torn down after.

    .venv/bin/python benchmarks/scale.py [--workers 3,41,100]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import resource
import sys
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report
from rich.console import Console

from kubeforge.bootstrap import engine, inputs, inventory
from kubeforge.bootstrap.runner import Options
from kubeforge.lab import lifecycle, metrics, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Record
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace

PREFIX = "kfsc"


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


def apply(ws: Workspace, plan: Plan, paths: LabPaths, recheck: bool = False) -> float:
    reach = inventory.from_handoff(plan, provision_lab.handoff(plan, paths))
    ctx = inputs.context(ws, plan, reach)
    start = time.monotonic()
    asyncio.run(engine.apply(ctx, reach, ws.state_dir, Options(recheck=recheck),
                             Console(file=io.StringIO(), width=200)))
    return time.monotonic() - start


def one_size(workers: int) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="kubeforge-scale-"))
    ws = Workspace(None, scratch / "state")
    paths = LabPaths(cache=LabPaths.default().cache, state=scratch / "lab", prefix=PREFIX)
    plan = seeds.lab_plan(sized(ws.operator_spec(), workers))
    result: dict[str, Any] = {"workers": workers, "machines": len(plan.machines)}
    try:
        start = time.monotonic()
        lifecycle.up(plan, seeds.render_seeds(plan), paths, timeout=1800,
                     identity=ws.ssh_key_path)
        result["lab_up_s"] = time.monotonic() - start
        result["apply_s"] = apply(ws, plan, paths)
        result["noop_s"] = apply(ws, plan, paths)
        result["recheck_s"] = apply(ws, plan, paths, recheck=True)
        result["machines_mb"] = sum(metrics.memory_mb(Record.load(paths.record)).values())
        result["kubeforge_max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        lifecycle.down(paths)
    print(result, flush=True)
    return result


def markdown(results: list[dict[str, Any]], note: str = "") -> str:
    rows = "\n".join(
        f"| {r['workers']} | {r['machines']} | {r['lab_up_s']:.1f} | {r['apply_s']:.1f} | "
        f"{r['apply_s'] / r['machines'] * 1000:.0f} | {r['noop_s']:.2f} | {r['recheck_s']:.1f} | "
        f"{r['machines_mb']:.0f} | {r['kubeforge_max_rss_mb']:.0f} |" for r in results)
    sizes = ", ".join(str(r["machines"]) for r in results)
    return f"""## Engine at scale: {sizes} machines on the lab

`.venv/bin/python benchmarks/scale.py` on {_report.machine()}: the default topology with
3, 41 and 100 workers (node DHCP pool narrowed to .220-.250 so 100 workers get planned
addresses), one run per size (the host is shared: compare within a row). Full apply = every
phase from nothing; gateway, lb, vip and storage run for real, the Kubernetes phases as
dry-run (no kubeadm/kubelet binaries in the lab). No-op = the same apply again (inputs
unchanged: skipped from state); recheck = `--recheck` (every host checked again over SSH).
Memory: the machines' PSS after the applies; kubeforge: peak RSS of this process (all sizes
so far). Goals (issue 9): full apply < 2 min, no-op < 5 s at 100 workers.
{note}
| workers | machines | `lab up` s | full apply s | ms per machine | no-op re-apply s | recheck s | machines MB | kubeforge peak MB |
|---|---|---|---|---|---|---|---|---|
{rows}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=lambda s: [int(v) for v in s.split(",")],
                        default=[3, 41, 100])
    args = parser.parse_args()
    results = [one_size(workers) for workers in args.workers]
    text = markdown(results)
    _report.update_section("scale", text)
    print(text)


if __name__ == "__main__":
    main()

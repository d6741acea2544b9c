"""Plan + validate + render for the default spec and for 100 and 1,000 workers.

Target: 1,000 workers under 2 s, cost linear in machines. Run: .venv/bin/python benchmarks/render_scale.py
"""

from __future__ import annotations

import statistics
import sys
import time
from ipaddress import IPv4Address, IPv4Network

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import _report

from kubeforge.plan.build import build_plan
from kubeforge.plan.validate import validate
from kubeforge.render import bundle, secrets
from kubeforge.spec import default
from kubeforge.spec.model import AddressRange, ClusterSpec

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchmarkKeyNotARealKeyxxxxxxxxxxxxxxxxxxxx bench"


def with_workers(count: int) -> ClusterSpec:
    spec = default.default_spec().model_copy(update={"ssh_public_key": KEY})
    if count <= 3:
        return spec
    net = spec.network
    # Widen the node subnet to a /20 (192.168.16.0-31.255) so 1,000 workers fit outside the pools.
    node = net.subnets["node"].model_copy(update={
        "cidr": IPv4Network("192.168.16.0/20"),
        "gateway": IPv4Address("192.168.31.254"),
        "dhcp_pool": AddressRange(start=IPv4Address("192.168.16.50"), end=IPv4Address("192.168.16.200")),
    })
    network = net.model_copy(update={
        "subnets": {**net.subnets, "node": node},
        "metallb_pool": AddressRange(start=IPv4Address("192.168.16.10"), end=IPv4Address("192.168.16.49")),
        "pod_cidr": IPv4Network("10.240.0.0/12"),  # a /24 per node: room for 4,096 nodes
    })
    hosts = spec.hosts.model_copy(update={"worker": spec.hosts.worker.model_copy(update={"count": count})})
    return spec.model_copy(update={"network": network, "hosts": hosts})


def run_once(spec: ClusterSpec, keys: secrets.Secrets) -> tuple[float, int]:
    """One plan + validate + render in memory (write_tree excluded: disk speed is not ours)."""
    start = time.perf_counter()
    findings = validate(spec)
    assert not [f for f in findings if f.severity == "error"], findings
    artifacts = bundle.render_all(build_plan(spec), keys)
    return time.perf_counter() - start, len(artifacts)


def main() -> None:
    rows = []
    for workers in (3, 100, 1000):
        spec = with_workers(workers)
        keys = secrets.generate(spec)
        runs = [run_once(spec, keys) for _ in range(6)]
        first, median = runs[0][0], statistics.median(t for t, _ in runs[1:])
        machines = len(build_plan(spec).machines)
        rows.append((workers, machines, runs[0][1], first, median))
        print(f"{workers:>5} workers: {machines} machines, {runs[0][1]} files, "
              f"first {first:.3f} s, median {median:.3f} s")
    base = rows[0]
    table = ["| workers | machines | files | first run s | median s (next 5) | ms per machine |",
             "|---|---|---|---|---|---|"]
    table += [f"| {w} | {m} | {f} | {t0:.3f} | {t:.3f} | {1000 * t / m:.2f} |" for w, m, f, t0, t in rows]
    verdict = "met" if max(rows[-1][3], rows[-1][4]) < 2.0 else "NOT met"
    _report.update_section("render_scale", f"""## Render scale: plan + validate + render

`.venv/bin/python benchmarks/render_scale.py` on {_report.machine()}.
Target: 1,000 workers under 2 s ({verdict}), cost linear in machines.

{chr(10).join(table)}

Per-machine cost: {1000 * base[4] / base[1]:.2f} ms at {base[1]} machines,
{1000 * rows[-1][4] / rows[-1][1]:.2f} ms at {rows[-1][1]} machines. The first run in a process
includes compiling the templates and building the ISO image cache.""")


if __name__ == "__main__":
    main()

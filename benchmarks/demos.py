"""Run `kubeforge demo ha` and `kubeforge demo volumes` on the lab and write their figures
into docs/benchmarks.md (sections demo_ha, demo_volumes). Root; brings the lab up if needed
(its prefix/state from KUBEFORGE_LAB_PREFIX / KUBEFORGE_LAB_STATE) and leaves it up.

    .venv/bin/python benchmarks/demos.py [--seconds 60] [--runs 5] [--files 200] [--token-ms 500]
        [--state DIR] [--only ha|volumes]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _report
from kubeforge.demo import ha, report, volumes
from kubeforge.demo.onlab import DemoLab
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace


def token_variant(lab: DemoLab, token_ms: int) -> ClusterSpec:
    spec = lab.workspace.operator_spec()
    corosync = spec.loadbalancer.corosync.model_copy(update={"token_ms": token_ms})
    balancer = spec.loadbalancer.model_copy(update={"corosync": corosync})
    return spec.model_copy(update={"loadbalancer": balancer})


def run_ha(lab: DemoLab, args: argparse.Namespace) -> None:
    results: list[ha.Scenario] = []
    for _ in range(args.runs):  # each scenario --runs times: median, min and max
        results += ha.run(lab, ha.MANAGERS, args.seconds, args.interval)
    if args.token_ms:
        results += ha.run(lab, ("pacemaker",), args.seconds, args.interval,
                          token_variant(lab, args.token_ms),
                          f"corosync token {args.token_ms} ms")
    command = f"benchmarks/demos.py --seconds {args.seconds:g} --runs {args.runs}"
    if args.token_ms:
        command += f" --token-ms {args.token_ms}"
    _report.update_section("demo_ha", report.ha_markdown(results, command, _report.machine(),
                                                         args.interval))
    lab.console.print(report.ha_markdown(results, command, _report.machine(), args.interval))


def run_volumes(lab: DemoLab, args: argparse.Namespace) -> None:
    demo = volumes.run(lab, args.files, args.size_kib * 1024)
    command = f"benchmarks/demos.py --files {args.files} --size-kib {args.size_kib}"
    text = report.volumes_markdown(demo, command, _report.machine())
    _report.update_section("demo_volumes", text)
    lab.console.print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5, help="repeat each HA scenario")
    parser.add_argument("--token-ms", type=int, default=0,
                        help="also run Pacemaker with this corosync token")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-kib", type=int, default=64)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--only", choices=("ha", "volumes"), default=None)
    args = parser.parse_args()
    lab = DemoLab.open(Workspace(None, args.state), console=Console(width=160))
    if args.only in (None, "ha"):
        run_ha(lab, args)
    if args.only in (None, "volumes"):
        run_volumes(lab, args)


if __name__ == "__main__":
    main()

"""Failover measured honestly (issue 9, item 4): every fault of demo.faults, N times per VIP
manager and timer value, and a loaded host: a bounded CPU hog saturating every core while
the pair is watched (no fault) for VIP moves. Root; its own lab (prefix and state from
KUBEFORGE_LAB_PREFIX / KUBEFORGE_LAB_STATE, brought up if needed and left up).

One process per manager (they can run side by side on two labs); each writes a JSON file,
then `--report` merges them into docs/benchmarks.md (section ha_faults; the runs behind the
figures there are kept in benchmarks/results/ha_faults_*.json):

    .venv/bin/python benchmarks/ha_faults.py --manager pacemaker --timers 300,500 \\
        --runs 5 --loaded 600 --loaded-other 180 --json /tmp/pacemaker.json
    .venv/bin/python benchmarks/ha_faults.py --report /tmp/pacemaker.json /tmp/keepalived.json

--timers: corosync token_ms (pacemaker) or keepalived advert_ms values; the first gets every
fault and the long loaded window, the others power loss only and --loaded-other seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _report
from kubeforge.demo import faults, ha
from kubeforge.demo.onlab import DemoLab
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace

TIMER = {"pacemaker": "token_ms", "keepalived": "advert_ms"}


def timer_variant(spec: ClusterSpec, manager: ha.Manager, value: int) -> ClusterSpec:
    balancer = spec.loadbalancer
    if manager == "pacemaker":
        corosync = balancer.corosync.model_copy(update={"token_ms": value})
        balancer = balancer.model_copy(update={"corosync": corosync})
    else:
        keepalived = balancer.keepalived.model_copy(update={"advert_ms": value})
        balancer = balancer.model_copy(update={"keepalived": keepalived})
    return ha.variant(spec.model_copy(update={"loadbalancer": balancer}), manager)


def one(run: faults.FaultRun) -> dict[str, Any]:
    return {"fault": run.fault, "victim": run.victim, "outage_s": run.outage_s,
            "single_s": run.single_s, "redundant_s": run.redundant_s,
            "end_outage_s": round(run.end_outage_s, 3), "errors": run.summary["errors"],
            "healed": run.healed, "load_1m": round(os.getloadavg()[0], 1)}


def fault_runs(lab: DemoLab, manager: ha.Manager, names: tuple[str, ...],
               runs: int) -> list[dict[str, Any]]:
    results = []
    for round_ in range(runs):  # round robin: a slow spell of the host hits every fault alike
        for name in names:
            result = one(faults.run(lab, manager, name))
            lab.console.print(f"{manager} round {round_ + 1} {name}: {result}")
            results.append(result)
    return results


def cpu_hog(seconds: float) -> list[subprocess.Popen[bytes]]:
    """One busy loop per core, each ended by `timeout` even if this process dies."""
    loop = ["timeout", f"{seconds:.0f}", "sh", "-c", "while :; do :; done"]
    return [subprocess.Popen(loop) for _ in range(os.cpu_count() or 1)]


def loaded_watch(lab: DemoLab, seconds: float) -> dict[str, Any]:
    """Saturate every core for `seconds` and count VIP moves (the holder changes) and
    moments with no or two holders, sampled every 0.2 s."""
    hogs = cpu_hog(seconds)
    holder, moves, not_single, samples = tuple(ha.vip_holders(lab)), 0, 0, 0
    load = []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            now = tuple(ha.vip_holders(lab))
            samples += 1
            not_single += len(now) != 1
            moves += now != holder and len(now) == 1
            holder = now if len(now) == 1 else holder
            if samples % 300 == 0:
                load.append(os.getloadavg()[0])
            time.sleep(0.2)
        load.append(os.getloadavg()[0])
    finally:
        for hog in hogs:
            hog.kill()  # by PID: only what this function started
            hog.wait()
    return {"seconds": seconds, "moves": moves, "not_single_samples": not_single,
            "samples": samples, "load_median": round(statistics.median(load or [0.0]), 1)}


def measure(lab: DemoLab, args: argparse.Namespace) -> list[dict[str, Any]]:
    manager: ha.Manager = args.manager
    daemon = "corosync" if manager == "pacemaker" else "keepalived"
    names = {"all": faults.faults(manager), "power": ("power",),
             "main": ("power", "partition", "kill:haproxy", f"kill:{daemon}")}[args.faults]
    records = []
    for index, value in enumerate(args.timers):
        spec = timer_variant(lab.workspace.operator_spec(), manager, value)
        ha.converge(lab, spec, manager)
        record: dict[str, Any] = {"manager": manager, "timer": f"{TIMER[manager]}={value}",
                                  "value": value}
        record["runs"] = fault_runs(lab, manager, names if index == 0 else ("power",),
                                    args.runs)
        loaded = args.loaded if index == 0 else args.loaded_other
        if loaded:
            faults.wait_redundant(lab, manager, faults.REDUNDANT_S)
            record["loaded"] = loaded_watch(lab, loaded)
            lab.console.print(f"{manager} {record['timer']} loaded: {record['loaded']}")
        records.append(record)
        Path(args.json).write_text(json.dumps(records, indent=1))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manager", choices=ha.MANAGERS)
    parser.add_argument("--timers", type=lambda s: [int(v) for v in s.split(",")])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--faults", choices=("main", "all", "power"), default="main")
    parser.add_argument("--loaded", type=float, default=600.0)
    parser.add_argument("--loaded-other", type=float, default=180.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--report", type=Path, nargs="*")
    args = parser.parse_args()
    if args.report:
        records = [r for path in args.report for r in json.loads(path.read_text())]
        text = report(records)
        _report.update_section("ha_faults", text)
        print(text)
        return
    lab = DemoLab.open(Workspace(None, None), console=Console(width=160))
    measure(lab, args)
    own = lab.workspace.operator_spec()
    ha.converge(lab, own, own.loadbalancer.vip_manager)


def report(records: list[dict[str, Any]]) -> str:
    from kubeforge.demo import report as demo_report

    return demo_report.faults_markdown(records, _report.machine())


if __name__ == "__main__":
    main()

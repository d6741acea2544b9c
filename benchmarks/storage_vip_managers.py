"""The storage VIP's failover under each storage.vip_manager, --runs times each: the VIP's holder
loses power (demo/storage_vip.py) and the time until exactly one other gluster machine holds it
is measured, as benchmarks/storage_failover.py does for the default.

A running cluster refuses a switch of managers, so each manager gets a lab of its own, both up at
once (prefixes kfbk: keepalived, kfbp: pacemaker; the 7-machine spec of
tests/lab/test_storage_pacemaker.py) and the runs alternate, one of each at a time, so both
see the same host load. Writes docs/benchmarks.md, section storage_vip_managers, after each
round; takes both labs down at the end. Root.

    .venv/bin/python benchmarks/storage_vip_managers.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
from pathlib import Path

import yaml
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _report
from kubeforge.demo import storage_vip
from kubeforge.demo.onlab import DemoLab
from kubeforge.lab import lifecycle, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.spec import default
from kubeforge.workspace import Workspace

MANAGERS = {"keepalived": "kfbk", "pacemaker": "kfbp"}
COUNTS = {"loadbalancer": 1, "control_plane": 1, "worker": 1, "gluster": 3}


def lab_for(base: Path, manager: str) -> DemoLab:
    """The manager's lab (not up yet): the 7-machine spec with storage.vip_manager set."""
    raw = yaml.safe_load(default.default_text())
    for role, count in COUNTS.items():
        raw["hosts"][role]["count"] = count
    raw["storage"]["vip_manager"] = manager
    (base / manager).mkdir()
    spec = base / manager / "cluster.yaml"
    spec.write_text(yaml.safe_dump(raw))
    workspace = Workspace(spec, base / manager / "state")
    paths = LabPaths(cache=LabPaths.default().cache, prefix=MANAGERS[manager],
                     state=base / manager / "lab")
    return DemoLab(workspace, paths, seeds.lab_plan(workspace.operator_spec()),
                   Console(file=io.StringIO()))


def up(lab: DemoLab) -> None:
    lifecycle.up(lab.plan, seeds.render_seeds(lab.plan), lab.paths,
                 identity=lab.workspace.ssh_key_path)


def figures(values: list[float]) -> str:
    return (f"{statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f}, "
            f"n={len(values)})")


def markdown(moves: dict[str, list[storage_vip.VipMove]], runs: int, load: list[float]) -> str:
    rows = [(f"| {manager} | {figures([m.move_s for m in done])} | "
             f"{sum(m.served_after for m in done)}/{len(done)} | "
             f"{sum(m.holders_after_return == [m.after] for m in done)}/{len(done)} |")
            for manager, done in moves.items() if done]
    return "\n".join([
        "## Storage VIP: keepalived and Pacemaker (lab)", "",
        (f"`benchmarks/storage_vip_managers.py --runs {runs}` on {_report.machine()}; two "
         "7-machine labs up at once, one per `storage.vip_manager`, the runs alternating; host "
         f"load average {min(load):.1f}-{max(load):.1f} during the runs."), "",
        ("| storage.vip_manager | power cut -> VIP on exactly one other gluster machine | "
         "worker reaches Ganesha through it | returned machine leaves it |"),
        "|---|---|---|---|", *rows, "",
        ("Measured as `demo/storage_vip.py` does: the remaining machines' addresses polled about "
         "every 0.5 s, so each figure carries up to about 1 s of polling. keepalived: Ganesha "
         "check and VRRP settings of docs/storage.md (advert 300 ms). Pacemaker: the gluster "
         "machines' own Corosync cluster with `loadbalancer.corosync` (token 300 ms)."),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    moves: dict[str, list[storage_vip.VipMove]] = {name: [] for name in MANAGERS}
    load: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kf-vip-managers-") as tmp:
        labs = {manager: lab_for(Path(tmp), manager) for manager in MANAGERS}
        try:
            for lab in labs.values():
                up(lab)
            for _ in range(args.runs):
                for manager, lab in labs.items():
                    moves[manager].append(storage_vip.run(lab))
                    load.append(os.getloadavg()[0])
                    print(manager, moves[manager][-1], flush=True)
                _report.update_section("storage_vip_managers", markdown(moves, args.runs, load))
        finally:
            for lab in labs.values():
                lifecycle.down(lab.paths)
    print(markdown(moves, args.runs, load))


if __name__ == "__main__":
    main()

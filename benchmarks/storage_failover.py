"""Storage failover on the lab, --runs times each: the storage VIP moving off a gluster machine
that loses power (demo/storage_vip.py), and the stall and heal of a FUSE client writing while a
gluster machine loses power (demo/stall.py). Writes docs/benchmarks.md, section
storage_failover. Root; brings the lab up if needed (KUBEFORGE_LAB_PREFIX / _STATE) and leaves
it up.

    .venv/bin/python benchmarks/storage_failover.py [--runs 5] [--state DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _report
from kubeforge.demo import stall, storage_vip
from kubeforge.demo.onlab import DemoLab
from kubeforge.workspace import Workspace


def figures(values: list[float]) -> str:
    return (f"{statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f}, "
            f"n={len(values)})")


def markdown(moves: list[storage_vip.VipMove], stalls: list[stall.Stall], runs: int) -> str:
    lost = [s.written - s.on_disk for s in stalls]
    return "\n".join([
        "## Storage failover (lab)", "",
        f"`benchmarks/storage_failover.py --runs {runs}` on {_report.machine()} (a loaded host).",
        "", "| measure | median (min, max) |", "|---|---|",
        (f"| storage VIP: power cut -> on exactly one other gluster machine | "
        f"{figures([m.move_s for m in moves])} |"),
        (f"| ... a worker reaches NFS-Ganesha through it afterwards | "
        f"{sum(m.served_after for m in moves)}/{len(moves)} runs |"),
        (f"| FUSE client: longest single 4 KiB write+fsync across the power cut (cable cut, then power; ping-timeout 5 s) | "
        f"{figures([s.longest_s for s in stalls])} |"),
        f"| FUSE client: heal after the machine is back | {figures([s.heal_s for s in stalls])} |",
        f"| FUSE client: bytes acknowledged but missing after heal | {max(lost, default=0)} at most |",
        f"| FUSE client: write errors | {sum(s.errors for s in stalls)} in all runs |",
        "", "NFS (userspace client through the VIP): not measured yet (docs/storage.md).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--state", type=Path, default=None)
    args = parser.parse_args()
    lab = DemoLab.open(Workspace(None, args.state), console=Console(width=160))
    moves = [storage_vip.run(lab) for _ in range(args.runs)]
    stalls = [stall.run(lab) for _ in range(args.runs)]
    text = markdown(moves, stalls, args.runs)
    _report.update_section("storage_failover", text)
    lab.console.print(text)


if __name__ == "__main__":
    main()

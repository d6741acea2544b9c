"""Storage failover on the lab, --runs times each: the storage VIP moving off a gluster machine
that loses power (demo/storage_vip.py), the stall and heal of a FUSE client writing while a
gluster machine loses power (demo/stall.py), and the same through the path pods use: NFSv4.1
to the storage VIP from a worker (the lab's userspace client) while the VIP's holder loses power
(demo/volumes_nfs.py). Writes docs/benchmarks.md, section storage_failover. Root; brings the
lab up if needed (KUBEFORGE_LAB_PREFIX / _STATE) and leaves it up.

    .venv/bin/python benchmarks/storage_failover.py [--runs 5] [--state DIR] [--only nfs]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _report
from kubeforge.demo import stall, storage_vip, volumes_nfs
from kubeforge.demo.onlab import DemoLab
from kubeforge.render import storage
from kubeforge.workspace import Workspace


def figures(values: list[float]) -> str:
    return (f"{statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f}, "
            f"n={len(values)})")


def markdown(moves: list[storage_vip.VipMove], stalls: list[stall.Stall],
             nfs: list[volumes_nfs.NfsStall], runs: int) -> str:
    done = max(len(moves), len(stalls), len(nfs))
    ran = "" if done == runs else f" ({done} of {runs} rounds done: stopped early)"
    return "\n".join([
        "## Storage failover (lab)", "",
        (f"`benchmarks/storage_failover.py --runs {runs}` on {_report.machine()} (a loaded "
         f"host){ran}; the scenarios alternate, one round of each at a time."),
        "", "| measure | median (min, max) |", "|---|---|",
        *vip_rows(moves), *fuse_rows(stalls), *nfs_rows(nfs), "", NFS_NOTE,
    ])


def vip_rows(moves: list[storage_vip.VipMove]) -> list[str]:
    if not moves:
        return []
    return [(f"| storage VIP: power cut -> on exactly one other gluster machine | "
             f"{figures([m.move_s for m in moves])} |"),
            (f"| ... a worker reaches NFS-Ganesha through it afterwards | "
             f"{sum(m.served_after for m in moves)}/{len(moves)} runs |")]


def fuse_rows(stalls: list[stall.Stall]) -> list[str]:
    if not stalls:
        return []
    lost = [s.written - s.on_disk for s in stalls]
    return [
        (f"| FUSE client: longest single 4 KiB write+fsync across the power cut (cable cut, then "
         f"power; ping-timeout {PING_TIMEOUT} s) | {figures([s.longest_s for s in stalls])} |"),
        f"| FUSE client: heal after the machine is back | {figures([s.heal_s for s in stalls])} |",
        f"| FUSE client: bytes acknowledged but missing after heal | {max(lost, default=0)} at most |",
        f"| FUSE client: write errors | {sum(s.errors for s in stalls)} in all runs |"]


PING_TIMEOUT = storage.VOLUME_OPTIONS["network.ping-timeout"]


def nfs_rows(nfs: list[volumes_nfs.NfsStall]) -> list[str]:
    if not nfs:
        return []
    return [
        (f"| NFSv4.1 through the VIP: longest single 4 KiB FILE_SYNC write across the VIP "
         f"holder's power cut (cable cut, then power) | {figures([n.longest_s for n in nfs])} |"),
        f"| NFS: VIP moved (power cut -> one other holder) | {figures([n.move_s for n in nfs])} |",
        f"| NFS: heal after the machine is back | {figures([n.heal_s for n in nfs])} |",
        (f"| NFS: bytes acknowledged but not read back intact through the VIP | "
         f"{max(n.lost for n in nfs)} at most (of {min(n.written for n in nfs)}+ per run) |"),
        f"| NFS: write errors | {sum(n.errors for n in nfs)} in all runs |",
        (f"| NFS: the returned machine's Ganesha serves the volume again | "
         f"{sum(n.returned is None for n in nfs)}/{len(nfs)} runs |"),
    ]


NFS_NOTE = ("NFS: the lab's userspace NFSv4.1 client (`demo/nfs41_client.py`, a test tool: the "
            "lab kernel has no NFS client and libnfs speaks only v3/v4.0), one session, recovery "
            "as the kernel client's (reconnect on reset, new session, re-open, resend). A write "
            "error is a write unanswered for 60 s (the client's timeout, the kernel's timeo), "
            "then sent again. docs/storage.md explains the stall's parts.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--only", choices=("nfs",), default=None,
                        help="only the NFS runs (the section then has no VIP/FUSE rows)")
    args = parser.parse_args()
    lab = DemoLab.open(Workspace(None, args.state), console=Console(width=160))
    moves: list[storage_vip.VipMove] = []
    stalls: list[stall.Stall] = []
    nfs: list[volumes_nfs.NfsStall] = []
    _, writer = volumes_nfs.prepare(lab)
    for _ in range(args.runs):  # one round of each, and the section written after each round,
        if args.only is None:  # so a run stopped early still leaves what it measured
            moves.append(storage_vip.run(lab))
            stalls.append(stall.run(lab))
        nfs.append(volumes_nfs.stall(lab, writer))
        lab.console.print(moves[-1:], stalls[-1:], nfs[-1])
        _report.update_section("storage_failover", markdown(moves, stalls, nfs, args.runs))
    lab.console.print(markdown(moves, stalls, nfs, args.runs))


if __name__ == "__main__":
    main()

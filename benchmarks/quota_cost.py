"""What the quota cache trades on the lab: a FUSE client's write throughput into a sized volume,
and how far a write overshoots a volume's size, with the bricks trusting a cached usage for
1 s (the old setting) and for 0 s (kubeforge's: every write checked). The two settings
alternate round by round. Writes docs/benchmarks.md, section quota_cost. Root; needs the lab
up and applied (KUBEFORGE_LAB_PREFIX / _STATE); leaves quota's timeouts at kubeforge's value.

    .venv/bin/python benchmarks/quota_cost.py [--runs 5] [--state DIR]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _report
from kubeforge.bootstrap import volumes
from kubeforge.demo import volumes as demo_volumes
from kubeforge.demo.onlab import DemoLab
from kubeforge.workspace import Workspace

BIG, SMALL = "kf-quota-big", "kf-quota-small"
BIG_SIZE, SMALL_SIZE = 2**30, 8 * 2**20
WRITE_MIB, PAST_MIB = 128, 32
SETTINGS = (1, volumes.CACHE_S)


def cache(lab: DemoLab, admin: str, volume: str, seconds: int) -> None:
    for which in ("soft-timeout", "hard-timeout"):
        lab.run(admin, f"gluster volume quota {volume} {which} {seconds}")


def dd(lab: DemoLab, client: str, path: str, mib: int) -> tuple[int, float]:
    """Bytes dd's client took and the seconds it took (dd's own figures), file removed."""
    done = lab.run(client, f"dd if=/dev/zero of={path} bs=1M count={mib} conv=fsync; rm -f {path}",
                   check=False, timeout=600)
    found = re.search(r"^([0-9]+) bytes .* copied, ([0-9.]+) s", done.stderr.decode(), re.MULTILINE)
    if found is None:
        raise SystemExit(f"dd on {client}: {done.stderr.decode(errors='replace')[-500:]}")
    return int(found.group(1)), float(found.group(2))


def figures(values: list[float], unit: str) -> str:
    return (f"{statistics.median(values):.1f} {unit} (min {min(values):.1f}, "
            f"max {max(values):.1f}, n={len(values)})")


def markdown(rates: dict[int, list[float]], taken: dict[int, list[float]], runs: int) -> str:
    rows = [f"| {s} s | {figures(rates[s], 'MB/s')} | {figures(taken[s], 'MiB')} |"
            for s in SETTINGS if rates[s]]
    return "\n".join([
        "## Quota cache: throughput against overshoot (lab)", "",
        (f"`benchmarks/quota_cost.py --runs {runs}` on {_report.machine()}: a worker's FUSE "
         f"client writes {WRITE_MIB} MiB (`dd bs=1M conv=fsync`) into a {BIG_SIZE // 2**30} GiB "
         f"volume, then {PAST_MIB} MiB into an {SMALL_SIZE // 2**20} MiB one; the bricks trust a "
         "cached usage for the time in the first column (gluster's soft-timeout and "
         "hard-timeout)."),
        "", "| usage cached | write throughput | taken by the client, 8 MiB volume |",
        "|---|---|---|", *rows, "",
        ("kubeforge sets 0 s (`bootstrap/volumes.py` CACHE_S): a size is then a limit to within "
         "the FUSE client's write-behind window (NFS through Ganesha: to the byte), at the "
         "throughput cost above. On the lab every machine shares 2 cores, so the quotad lookup "
         "each write costs is CPU taken from the same writers; on real servers it is one local "
         "RPC and one lookup per write."),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--state", type=Path, default=None)
    args = parser.parse_args()
    lab = DemoLab.open(Workspace(None, args.state), console=Console(width=160))
    ctx = lab.converge(lab.workspace.operator_spec(), demo_volumes.PHASES)
    volume, admin = lab.plan.spec.storage.volume, lab.plan.by_role("gluster")[0].name
    client = lab.plan.by_role("worker")[0].name
    for name, size in ((BIG, BIG_SIZE), (SMALL, SMALL_SIZE)):
        lab.run(admin, volumes.create_command(volume, name, size), timeout=300)
    demo_volumes.mount(lab, ctx, client)
    rates: dict[int, list[float]] = {s: [] for s in SETTINGS}
    taken: dict[int, list[float]] = {s: [] for s in SETTINGS}
    try:
        for _ in range(args.runs):
            for seconds in SETTINGS:
                cache(lab, admin, volume, seconds)
                written, took = dd(lab, client, f"{demo_volumes.MOUNT}/{BIG}/f", WRITE_MIB)
                rates[seconds].append(written / took / 1e6)
                past, _ = dd(lab, client, f"{demo_volumes.MOUNT}/{SMALL}/f", PAST_MIB)
                taken[seconds].append(past / 2**20)
                lab.console.print(f"cache {seconds} s: {rates[seconds][-1]:.1f} MB/s, "
                                  f"{taken[seconds][-1]:.1f} MiB taken by the 8 MiB volume")
            _report.update_section("quota_cost", markdown(rates, taken, args.runs))
    finally:
        cache(lab, admin, volume, volumes.CACHE_S)
        lab.run(client, f"umount {demo_volumes.MOUNT}", check=False, timeout=120)
        for name in (BIG, SMALL):
            lab.run(admin, volumes.delete_command(volume, name), timeout=300, check=False)
    lab.console.print(markdown(rates, taken, args.runs))


if __name__ == "__main__":
    main()

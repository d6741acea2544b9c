"""Spurious disconnects at gluster's short timeouts (render/storage.py VOLUME_OPTIONS): with no
fault at all, a FUSE writer and an NFS writer (through the storage VIP) append fsynced 4 KiB
blocks for --seconds while busy loops load --hogged gluster machines (--hogs each, bounded by
`timeout`); then every "has not responded" (a client's ping-timeout expired) and every brick's
drop of a client in the machines' gluster and Ganesha logs since the start is counted. Any of
them is spurious: nothing failed. Prints the counts; writes no docs (docs/storage.md quotes it).
Root; the lab must be up with the storage phases converged (benchmarks/storage_failover.py).

    .venv/bin/python benchmarks/storage_disconnects.py [--seconds 180] [--hogged 2] [--hogs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubeforge.demo import nfs41_client, stall_writer, volumes, volumes_nfs
from kubeforge.demo.onlab import DemoLab
from kubeforge.workspace import Workspace

LOGS = "/var/log/glusterfs/*.log /var/log/glusterfs/bricks/*.log /var/log/ganesha/*.log"
# A client giving up on a brick (rpc-clnt-ping.c), a brick dropping a client (server.c).
PATTERNS = ("has not responded in the last", "disconnecting connection from")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--hogged", type=int, default=2, help="gluster machines loaded")
    parser.add_argument("--hogs", type=int, default=2, help="busy loops on each of them")
    args = parser.parse_args()
    lab = DemoLab.open(Workspace(None, None), console=Console(width=160))
    ctx = lab.converge(lab.workspace.operator_spec(), volumes.PHASES)
    servers = [m.name for m in lab.plan.by_role("gluster")]
    worker = lab.plan.by_role("worker")[0].name
    volumes.mount(lab, ctx, worker)
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    loads = [os.getloadavg()[0]]
    writers = start_writers(lab, worker, args.seconds)
    hogs = [hog(lab, m, args.hogs, args.seconds) for m in servers[:args.hogged]]
    results = [json.loads(w.communicate(timeout=args.seconds + 120)[0].decode().splitlines()[-1])
               for w in writers]
    loads.append(os.getloadavg()[0])
    for h in hogs:
        h.wait(timeout=60)
    counts = {m: count(lab, m, since) for m in [worker, *servers]}
    lab.console.print({"since": since, "seconds": args.seconds, "hogged": servers[:args.hogged],
                       "hogs_each": args.hogs, "host_load_1min": loads,
                       "longest_write_s": {"fuse": results[0]["longest_s"],
                                           "nfs": results[1]["longest_s"]},
                       "write_errors": [r["errors"] for r in results], "events": counts})


def start_writers(lab: DemoLab, worker: str, seconds: float) -> list[subprocess.Popen[bytes]]:
    name = f"quiet-{int(time.time())}"
    fuse = lab.start_python(worker, Path(stall_writer.__file__).read_text(),
                            [f"{volumes.MOUNT}/{name}", str(seconds), "0.05"])
    nfs = lab.start_python(worker, Path(nfs41_client.__file__).read_text(),
                           ["write", str(lab.plan.storage_vip), volumes_nfs.directory(lab), name,
                            str(seconds), "0.05"])
    return [fuse, nfs]


def hog(lab: DemoLab, machine: str, loops: int, seconds: float) -> subprocess.Popen[bytes]:
    """Busy loops inside one machine, each ended by `timeout` (a shell loop has no children)."""
    one = f"timeout {seconds:.0f} sh -c 'while :; do :; done'"
    return lab.start_python(machine, "import subprocess, sys; subprocess.run(sys.argv[1], "
                            "shell=True)", [" & ".join([one] * loops) + "; wait"])


def count(lab: DemoLab, machine: str, since: str) -> dict[str, int]:
    """Lines of each pattern stamped at or after `since` (gluster stamps UTC, [YYYY-MM-DD ...)."""
    found = {}
    for pattern in PATTERNS:
        lines = lab.run(machine, f"cat {LOGS} 2>/dev/null | grep -h {shlex.quote(pattern)}",
                        check=False).stdout.decode(errors="replace").splitlines()
        found[pattern] = sum(line[1:20] >= since for line in lines)
    return found


if __name__ == "__main__":
    main()

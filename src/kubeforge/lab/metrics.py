"""Memory per machine: the proportional set size (PSS) of every process in the machine's PID
namespace, so shared pages (the base tree's libraries, cached once) are split fairly."""

from __future__ import annotations

import os
from pathlib import Path

from kubeforge.lab import machine
from kubeforge.lab.record import Record


def memory_mb(record: Record) -> dict[str, float]:
    by_pidns = _processes_by_pidns()
    result = {}
    for made in record.of_kind("process"):
        if not made.name.startswith("nspawn:") or made.pid is None:
            continue
        leader = machine.leader(made.pid)
        if leader is None:
            continue
        pids = by_pidns.get(os.readlink(f"/proc/{leader}/ns/pid"), [])
        result[made.name.removeprefix("nspawn:")] = sum(_pss_kb(p) for p in pids) / 1024
    return result


def _processes_by_pidns() -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                result.setdefault(os.readlink(entry / "ns/pid"), []).append(int(entry.name))
            except OSError:
                continue  # exited meanwhile
    return result


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

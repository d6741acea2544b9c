"""Does the spec fit this host for a provider? Planned RAM, vCPUs and disk against the host's.

VirtualBox and libvirt reserve each VM's RAM while it runs and give it the planned vCPUs; both
create thin disks here (VirtualBox `--variant Standard` VDI, libvirt qcow2 with allocation 0),
which take space only as they fill, so they can be over-committed until they do. The lab's
machines are containers: nothing is reserved (12 idle machines measured 222 MB in all,
docs/benchmarks.md). Existing hosts are not created here, so nothing is checked.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kubeforge.plan import findings
from kubeforge.plan.model import Plan

THIN = {"virtualbox": True, "libvirt": True}


@dataclass(frozen=True)
class Host:
    memory_mb: int
    cpus: int
    disk_free_gb: int
    disk_path: Path  # where the machines' disks would go (the state directory's file system)


@dataclass(frozen=True)
class Demand:
    memory_mb: int
    cpus: int
    largest_cpus: int
    disk_gb: int  # provisioned: OS disks plus data disks

    @classmethod
    def of(cls, plan: Plan) -> Demand:
        machines = plan.machines
        return cls(sum(m.memory_mb for m in machines), sum(m.cpus for m in machines),
                   max((m.cpus for m in machines), default=0),
                   sum(m.disk_gb + (m.data_disk_gb or 0) for m in machines))


def read_host(path: Path) -> Host:
    """This machine: MemTotal, online CPUs, free space where `path` (or its parent) lives."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    return Host(_memory_mb(), os.cpu_count() or 1,
                shutil.disk_usage(existing).free // 1024**3, existing)


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def fit(plan: Plan, provider: str, host: Host) -> list[findings.Finding]:
    """Warnings for what does not fit; none when it does (pure)."""
    if provider not in THIN:
        return []  # the lab reserves nothing; existing hosts are not created here
    need = Demand.of(plan)
    found = []
    if need.memory_mb > host.memory_mb:
        found.append(findings.warning(
            "hosts.*.memory_mb", f"{provider} reserves {need.memory_mb} MB of RAM for the "
            f"{len(plan.machines)} machines; this host has {host.memory_mb} MB: lower "
            "memory_mb or count, or use a bigger host (they will swap or fail to start)"))
    if need.largest_cpus > host.cpus:
        found.append(findings.warning(
            "hosts.*.cpus", f"a machine has {need.largest_cpus} vCPUs, this host "
            f"{host.cpus} CPUs: {provider} cannot give one VM more CPUs than the host has"))
    elif need.cpus > host.cpus:
        found.append(findings.warning(
            "hosts.*.cpus", f"{need.cpus} vCPUs planned on {host.cpus} host CPUs: "
            "over-committed (works, slower under load)"))
    if need.disk_gb > host.disk_free_gb:
        found.append(findings.warning(
            "hosts.*.disk_gb", f"{need.disk_gb} GB of disks provisioned, {host.disk_free_gb} "
            f"GB free on {host.disk_path}: the disks are thin, so this works until they "
            "fill; free space or lower disk_gb/data_disk_gb before they do"))
    return found


def summary(plan: Plan, provider: str, host: Host) -> list[tuple[str, str, str]]:
    """(resource, planned, this host) rows for the plan report."""
    need = Demand.of(plan)
    if provider == "lab":
        reserved = "not reserved (containers; 12 idle machines: 222 MB measured)"
        return [("RAM", reserved, f"{host.memory_mb} MB"),
                ("CPUs", f"{need.cpus} vCPUs planned, shared", str(host.cpus)),
                ("disk", "one shared base tree, overlays per machine",
                 f"{host.disk_free_gb} GB free")]
    kind = "thin" if THIN.get(provider) else "not created here"
    return [("RAM", f"{need.memory_mb} MB", f"{host.memory_mb} MB"),
            ("CPUs", f"{need.cpus} vCPUs (largest {need.largest_cpus})", str(host.cpus)),
            ("disk", f"{need.disk_gb} GB provisioned ({kind})",
             f"{host.disk_free_gb} GB free on {host.disk_path}")]

"""What of the lab is still on the host: the check behind `lab down` leaving nothing behind.
Looks at the host itself (not at the lab's record), so it also catches what the record missed."""

from __future__ import annotations

import os
from pathlib import Path

from kubeforge.lab import cgroup
from kubeforge.lab.netns import NETNS_DIR
from kubeforge.lab.paths import LabPaths

NSPAWN_RUNTIME = Path("/run/systemd/nspawn/propagate")


def find(paths: LabPaths | None = None) -> list[str]:
    paths = paths or LabPaths.default()
    state = str(paths.state.resolve())
    found = [f"netns {name}" for name in _lab_netns(paths.prefix)]
    found += [f"mount {point}" for point in _mounts() if point.startswith(state)]
    found += [f"loop {dev} -> {file}" for dev, file in _loops() if file.startswith(state)]
    found += [f"process {pid}: {cmd}" for pid, cmd in _processes() if _is_lab_process(cmd, state, paths.prefix)]
    found += [f"cgroup {path}" for path in cgroup.leftovers(paths.prefix)]
    if NSPAWN_RUNTIME.exists():
        found += [f"nspawn runtime {p}" for p in NSPAWN_RUNTIME.glob(f"{paths.prefix}-*")]
    if paths.state.exists():
        found.append(f"state dir {paths.state}")
    return found


def _lab_netns(prefix: str) -> list[str]:
    if not NETNS_DIR.exists():
        return []
    return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(f"{prefix}-"))


def _mounts() -> list[str]:
    with open("/proc/self/mountinfo") as mountinfo:
        return [line.split()[4] for line in mountinfo]


def _loops() -> list[tuple[str, str]]:
    result = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        result.append((f"/dev/{backing.parts[3]}", backing.read_text().strip()))
    return result


def _processes() -> list[tuple[int, str]]:
    result = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            result.append((int(entry.name), cmd))
    return result


def _is_lab_process(cmd: str, state: str, prefix: str) -> bool:
    return f"--machine={prefix}-" in cmd or f"--dhcp-leasefile={state}" in cmd

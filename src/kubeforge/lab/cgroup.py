"""A cgroup of its own for each lab machine.

Without a systemd on the host, nspawn (`--keep-unit --register=no`) runs the container in the
cgroup it was started from, as `<that cgroup>/payload`. Every machine started from the same
place then shares one tree: each machine's systemd creates, kills and removes the others'
same-named unit cgroups. A unit starting in one machine while another machine's systemd
removes `system.slice/<unit>` fails with "Failed to spawn executor: No such file or
directory"; when that unit is cloud-init's config stage, cloud-init waits forever and the
machine never takes a login (the lab flake of issue 9). So each machine's nspawn starts in a
cgroup named after the machine, and `lab down` removes exactly that cgroup.
"""

from __future__ import annotations

import time
from pathlib import Path

from kubeforge.errors import LabError

SUFFIX = ".kubeforge-lab"  # a lab machine's cgroup: <nspawn machine name>.kubeforge-lab


def unified_mount() -> Path:
    """Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified on a hybrid host)."""
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                return Path(fields[4])
    raise LabError("no cgroup2 hierarchy is mounted: the lab's machines (Debian 13's systemd) "
                   "need one; mount it with `mount -t cgroup2 none /sys/fs/cgroup/unified`")


def own() -> Path:
    """This process's cgroup v2 directory."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return unified_mount() / line.removeprefix("0::").lstrip("/")
    raise LabError("this process has no cgroup v2 membership (/proc/self/cgroup has no `0::` line)")


def for_machine(machine_name: str) -> Path:
    """The cgroup `machine_name` runs in: a child of this process's own."""
    return own() / f"{machine_name}{SUFFIX}"


def create(cgroup: Path) -> None:
    cgroup.mkdir(exist_ok=True)


def started_in(cgroup: Path, argv: list[str]) -> list[str]:
    """`argv`, run after moving itself into `cgroup` (so it and all it starts belong there)."""
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup), *argv]


def remove(cgroup: Path, grace: float = 10.0) -> None:
    """Remove a machine's cgroup tree, deepest first. Whatever still runs in it (a container
    whose nspawn was SIGKILLed keeps its processes) is killed first through `cgroup.kill`,
    which reaches exactly this machine's processes."""
    if not cgroup.is_dir():
        return
    if _busy(cgroup):
        (cgroup / "cgroup.kill").write_text("1\n")
        deadline = time.monotonic() + grace
        while _busy(cgroup) and time.monotonic() < deadline:
            time.sleep(0.1)
    for directory in sorted(_tree(cgroup), key=lambda p: len(p.parts), reverse=True):
        try:
            directory.rmdir()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise LabError(f"cannot remove the lab machine's cgroup {directory}: {exc}; "
                           "re-run `kubeforge lab down` once its processes have ended") from exc


def _tree(cgroup: Path) -> list[Path]:
    return [cgroup, *(p for p in cgroup.rglob("*") if p.is_dir())]


def _busy(cgroup: Path) -> bool:
    return any((d / "cgroup.procs").read_text().strip() for d in _tree(cgroup)
               if (d / "cgroup.procs").exists())


def leftovers(prefix: str) -> list[Path]:
    """Lab machine cgroups of `prefix` still under this process's cgroup."""
    try:
        return sorted(own().glob(f"{prefix}-*{SUFFIX}"))
    except LabError:
        return []

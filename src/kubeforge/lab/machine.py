"""One lab machine: a copy-on-write root (overlay on the base tree), its NoCloud seed, and a
systemd-nspawn container booting systemd in the machine's network namespace.

The host has no systemd, so nspawn runs as a plain background process (`--register=no
--keep-unit`: no machined, no scope) in a cgroup of its own (`lab.cgroup`) and is ended by its
recorded PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

from kubeforge import netns_socket
from kubeforge.errors import LabError
from kubeforge.lab import cgroup, sh
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Made, Record
from kubeforge.lab.topology import LabMachine

SEED_DIR = Path("var/lib/cloud/seed/nocloud")
# Not instance/boot-finished: `instance` is an absolute symlink, meaningless from the host.
INSTANCES = Path("var/lib/cloud/instances")
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def root(paths: LabPaths, machine: LabMachine) -> Path:
    return paths.machine_dir(machine.name) / "root"


def mount_root(paths: LabPaths, machine: LabMachine, base: Path, record: Record) -> Path:
    """Overlay: the shared base tree below, this machine's writes in its own upper dir."""
    top = paths.machine_dir(machine.name)
    for sub in ("upper", "work", "root"):
        (top / sub).mkdir(parents=True, exist_ok=True)
    merged = top / "root"
    options = f"lowerdir={base},upperdir={top / 'upper'},workdir={top / 'work'}"
    sh.run(["mount", "-t", "overlay", f"{machine.machine_name}-root", "-o", options, str(merged)])
    record.add(Made("mount", str(merged)))
    return merged


def write_identity(merged: Path, seed: dict[str, bytes]) -> None:
    """Own machine-id (also stops systemd's first-boot presets from re-enabling role services)
    and the NoCloud seed, placed where cloud-init's NoCloud datasource looks for it."""
    (merged / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    missing = [name for name in ("user-data", "meta-data") if name not in seed]
    if missing:
        raise LabError(f"the cloud-init seed lacks {', '.join(missing)}; seeds come from "
                       "kubeforge.lab.seeds.render_seeds(plan)")
    target = merged / SEED_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name, content in seed.items():
        path = target / name
        path.touch(mode=0o600)
        path.write_bytes(content)


def start(paths: LabPaths, machine: LabMachine, merged: Path, record: Record,
          devices: list[tuple[str, str]] | None = None) -> int:
    log = (paths.machine_dir(machine.name) / "console.log").open("wb")
    # Started already inside the machine's namespace: nspawn mounts the container's /sys before
    # it joins --network-namespace-path, so /sys/class/net (where cloud-init looks for NICs)
    # would otherwise list the host's interfaces. Not `ip netns exec`: its fresh /sys hides the
    # cgroup mounts nspawn needs.
    argv = [
        "nsenter", f"--net=/run/netns/{machine.netns}", "--",
        "systemd-nspawn", "--boot", "--register=no", "--keep-unit",
        f"--directory={merged}", f"--machine={machine.machine_name}",
        f"--network-namespace-path=/run/netns/{machine.netns}",
        # Nothing of the host leaks in: not its resolvers, not its timezone, not its journal.
        "--resolv-conf=off", "--timezone=off", "--link-journal=no", "--console=read-only",
        # The namespace is the machine's own: let it manage its NICs (networkd, VIPs, nftables).
        "--capability=CAP_NET_ADMIN",
    ]
    if Path("/dev/fuse").exists():
        argv.append("--bind=/dev/fuse")  # glusterfs-client mounts volumes through FUSE
    argv += [f"--bind={host}:{inside}" for host, inside in devices or []]
    # Debian 13's systemd refuses cgroup v1; a cgroup2 view works on this hybrid host too.
    # /proc/sys/net writable (the gateway forwards, keepalived/HAProxy bind the VIP): it belongs
    # to the machine's own namespace. The rest of /proc/sys stays read-only: it is the host's.
    env = {**os.environ, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1",
           "SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"}
    own = cgroup.for_machine(machine.machine_name)
    if Made("cgroup", str(own)) not in record.made:  # booted again (power on): same cgroup
        record.add(Made("cgroup", str(own)))  # recorded first: an interrupted up leaves none
    cgroup.create(own)
    process = subprocess.Popen(cgroup.started_in(own, argv), stdin=subprocess.DEVNULL,
                               stdout=log, stderr=log, env=env, start_new_session=True)
    log.close()
    record.add(Made("process", f"nspawn:{machine.name}", process.pid, f"--machine={machine.machine_name}"))
    return process.pid


def leader(nspawn_pid: int) -> int | None:
    """The container's PID 1 (systemd) as seen from the host: nspawn's child."""
    try:
        children = Path(f"/proc/{nspawn_pid}/task/{nspawn_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def is_ready(merged: Path, netns: str, address: str) -> bool:
    """cloud-init finished and sshd answers at `address`, seen from namespace `netns`."""
    if not any((merged / INSTANCES).glob("*/boot-finished")):
        return False
    return netns_socket.port_open(netns, address, 22)


def exec_argv(nspawn_pid: int, command: list[str]) -> list[str]:
    """argv that runs `command` inside the machine (all its namespaces), like a root console."""
    pid = leader(nspawn_pid)
    if pid is None:
        raise LabError(f"machine process {nspawn_pid} has no running container: `kubeforge lab up`")
    return ["nsenter", f"--target={pid}", "--mount", "--uts", "--ipc", "--net", "--pid",
            "--root", "--wd", "--", "/usr/bin/env", "-i", f"PATH={ENV_PATH}", "HOME=/root",
            "LANG=C.UTF-8", *command]


def alive(made: Made) -> bool:
    """Is the recorded PID still the process we started (not a reused PID)?"""
    if made.pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{made.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        state = Path(f"/proc/{made.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and (made.match is None or made.match in cmdline)


def stop_all(processes: list[Made], grace: float = 30.0) -> None:
    """SIGTERM all at once (nspawn asks systemd inside to shut down cleanly, in parallel), then
    SIGKILL whatever is still running after `grace` seconds."""
    for made in processes:
        if alive(made):
            assert made.pid is not None
            os.kill(made.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(m) for m in processes) and time.monotonic() < deadline:
        _reap_all(processes)
        time.sleep(0.2)
    for made in processes:
        if alive(made):
            assert made.pid is not None
            os.kill(made.pid, signal.SIGKILL)
    while any(alive(m) for m in processes):
        _reap_all(processes)
        time.sleep(0.1)
    _reap_all(processes)


def _reap_all(processes: list[Made]) -> None:
    """Collect exit statuses if we are the parent (tests start machines in-process)."""
    for made in processes:
        try:
            os.waitpid(made.pid or 0, os.WNOHANG)
        except ChildProcessError:
            pass

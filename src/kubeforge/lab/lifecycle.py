"""`lab up`, `lab down`, `lab status`: the order things are made and unmade in."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kubeforge import readiness
from kubeforge.errors import LabError
from kubeforge.lab import (
    access,
    base,
    cgroup,
    disks,
    internet,
    leftovers,
    machine,
    netns,
    sh,
    standin,
    topology,
)
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Made, Record
from kubeforge.lab.seeds import Seeds
from kubeforge.lab.topology import LabMachine, Topology
from kubeforge.plan.model import Plan

# systemd and its daemons in every machine hold inotify instances, all counted against root's
# host-wide limit (128 by default): one lab takes ~90, a second one exhausts it and its machines
# die at boot ("Failed to allocate manager object: Too many open files"). Raised, never lowered,
# with the lab's size: ~8 instances per machine were counted (274 for 36 machines), so a
# 109-machine lab beside two others needs more than 1024; twice that per machine is room.
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
MIN_INOTIFY_INSTANCES = 1024
INOTIFY_PER_MACHINE = 16


@dataclass(frozen=True)
class MachineStatus:
    name: str
    role: str
    address: str
    pid: int | None
    running: bool
    ready: bool


Progress = Callable[[readiness.Verdict], None]


@dataclass(frozen=True)
class Waiting:
    """What `up` waits with: the operator's key (readiness is a login by the operator's
    route), how long, and who hears which machine it is waiting for and why."""

    identity: Path
    timeout: float = 300.0
    progress: Progress | None = None


def up(plan: Plan, seeds: Seeds, paths: LabPaths | None = None, timeout: float = 300.0, *,
       identity: Path, progress: Progress | None = None) -> Record:
    """Build what is missing and boot the gateway, then, once it is ready (it serves DHCP and
    DNS from its seed), every other machine; return when all are ready: an SSH login with
    `identity` by the operator's route works and each has left boot. Idempotent."""
    sh.require_root()
    paths = paths or LabPaths.default()
    waiting = Waiting(identity, timeout, progress)
    topo = topology.from_plan(plan, paths.prefix)
    record = Record.load(paths.record)
    if record.made and all(s.ready for s in status(plan, paths)):
        wait_ready(paths, plan, [m.name for m in topo.machines], record, waiting)
        return record
    _raise_inotify_limit(len(topo.machines))
    added = _added_machines(plan, topo, paths) if record.made else []
    if added:
        return _grow(paths, plan, topo, record, added, seeds, waiting)
    if record.made:
        down(paths)  # half up (crash, reboot): start from nothing rather than guess
    _check_free(topo, paths)
    return _build(paths, plan, topo, Record(paths.record), seeds, waiting)


def _build(paths: LabPaths, plan: Plan, topo: Topology, record: Record, seeds: Seeds,
           waiting: Waiting) -> Record:
    """A whole lab from nothing. On failure everything made so far stays (recorded) for
    inspection with `lab status`, `lab exec` and the console logs; `lab down` or the next
    `lab up` removes it."""
    tree = base.ensure(paths, plan.spec.debian_release)
    record.release = plan.spec.debian_release
    record.save()
    _networks(topo, record)
    internet.start_dnsmasq(paths, topo, record)
    # The gateway first: the others take their addresses from its dnsmasq as they boot.
    first = [m for m in topo.machines if m.name == topo.gateway]
    for group in (first, [m for m in topo.machines if m not in first]):
        for lab_machine in group:
            _boot(paths, plan, lab_machine, tree, seeds, record)
        wait_ready(paths, plan, [m.name for m in group], record, waiting)
    return record


def _raise_inotify_limit(machines: int) -> None:
    wanted = MIN_INOTIFY_INSTANCES + INOTIFY_PER_MACHINE * machines
    if int(INOTIFY_INSTANCES.read_text()) < wanted:
        INOTIFY_INSTANCES.write_text(f"{wanted}\n")


def _added_machines(plan: Plan, topo: Topology, paths: LabPaths) -> list[LabMachine]:
    """Machines the plan gained since `up` (a worker added to the spec), when every machine
    the lab already has is ready: those are booted alone, as a provider creates one VM."""
    ready = {s.name: s.ready for s in status(plan, paths)}
    added = [m for m in topo.machines if not netns.exists(m.netns)]
    others_ready = all(ready[m.name] for m in topo.machines if m not in added)
    return added if others_ready else []


def _grow(paths: LabPaths, plan: Plan, topo: Topology, record: Record, added: list[LabMachine],
          seeds: Seeds, waiting: Waiting) -> Record:
    tree = base.ensure(paths, record.release or plan.spec.debian_release)
    for lab_machine in added:
        netns.add(lab_machine.netns, record)
        for cable in lab_machine.cables:
            netns.add_cable(lab_machine.netns, cable)
        _boot(paths, plan, lab_machine, tree, seeds, record)
    wait_ready(paths, plan, [m.name for m in added], record, waiting)
    return record


def _check_free(topo: Topology, paths: LabPaths) -> None:
    taken = [name for name in topo.namespaces if netns.exists(name)]
    if taken:
        raise LabError(f"network namespaces {', '.join(taken)} exist but this lab state "
                       f"({paths.state}) did not make them: another lab is up (`kubeforge lab "
                       "down` with its state) or they are left over (`ip netns delete NAME`)")


def _networks(topo: Topology, record: Record) -> None:
    for name in topo.namespaces:
        netns.add(name, record)
    # Bridged frames must not pass through the host's iptables (FORWARD policy may be DROP).
    for key in ("bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"):
        netns.sysctl(topo.switch_ns, f"net.bridge.{key}", "0")
    for bridge in topo.bridges:
        netns.add_bridge(topo.switch_ns, bridge)
    for lab_machine in topo.machines:
        for cable in lab_machine.cables:
            netns.add_cable(lab_machine.netns, cable)
    internet.configure(topo)


def _boot(paths: LabPaths, plan: Plan, lab_machine: LabMachine, tree: Path, seeds: Seeds,
          record: Record) -> None:
    if lab_machine.name not in seeds:
        raise LabError(f"no cloud-init seed for {lab_machine.name}; seeds come from "
                       "kubeforge.lab.seeds.render_seeds(plan) for the same plan")
    merged = machine.mount_root(paths, lab_machine, tree, record)
    machine.write_identity(merged, seeds[lab_machine.name])
    if lab_machine.role == "control_plane":
        planned = plan.machine(lab_machine.name)
        standin.install(merged, planned.name, planned.fqdn,
                        [planned.address, plan.network.api_vip])
    disk = disks.attach(paths, lab_machine, record)
    machine.start(paths, lab_machine, merged, record, [disk] if disk else [])


def wait_ready(paths: LabPaths, plan: Plan, hosts: list[str], record: Record,
               waiting: Waiting) -> None:
    """Until each of `hosts` passes `kubeforge.readiness` by the operator's route (operator
    namespace -> gateway uplink -> ProxyJump), as the engine and a person will reach it."""
    topo = topology.from_plan(plan, paths.prefix)

    def login(host: str, command: str) -> list[str]:
        return access.route(plan, host, waiting.identity, paths).ssh_argv([command])

    by_login = readiness.login_probe(login)

    def probe(host: str) -> readiness.Verdict:
        lab_machine = topo.machine(host)
        made = record.process(f"nspawn:{host}")
        if made is None or not machine.alive(made):
            log = paths.machine_dir(host) / "console.log"
            return readiness.Verdict(host, False, f"stopped while booting ({_last_words(log)}); "
                                     f"see {log}", final=True)
        if not _ready(paths, topo, lab_machine):  # cheap, local: no SSH attempt before it
            return readiness.Verdict(host, False, "cloud-init running or sshd not answering yet")
        return by_login(host)

    pending = readiness.wait(hosts, probe, waiting.timeout, waiting.progress,
                             interval=0.5, longest=2.0)
    if pending:
        raise LabError(f"machines not ready (waited up to {waiting.timeout:.0f} s for an SSH "
                       "login by the operator's route, boot finished, cloud-init done):\n"
                       f"{readiness.describe(pending)}\nsee {paths.state}/machines/<host>/"
                       "console.log; `kubeforge lab down` cleans up")


def _last_words(log: Path) -> str:
    """The console's last failure line (ANSI colours removed), to name the cause at once."""
    try:
        lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line).strip()
                 for line in log.read_text(errors="replace").splitlines()]
    except OSError:
        return "no console log"
    failed = [line for line in lines if "ailed" in line and ": " in line]  # with its cause
    return (failed or [line for line in lines if line] or ["empty console log"])[-1][:200]


def _ready(paths: LabPaths, topo: Topology, lab_machine: LabMachine) -> bool:
    """Cheap, local: cloud-init's boot-finished and sshd answering (the gateway's from the
    operator namespace over its uplink, the others' inside their own namespace)."""
    if lab_machine.name == topo.gateway:
        netns_name, address = topo.operator_ns, str(topology.INTERNET_UPLINK_LEASE)
    else:
        netns_name, address = lab_machine.netns, "127.0.0.1"
    return machine.is_ready(machine.root(paths, lab_machine), netns_name, address)


def _booted(plan: Plan, host: str, paths: LabPaths) -> bool:
    """The readiness probe run through the console (no key needed): left boot, logins open."""
    argv = console_argv(plan, host, ["sh", "-c", readiness.command(wait=False)], paths)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return False
    return readiness.judge(host, done.returncode, done.stdout, done.stderr).ready


def down(paths: LabPaths | None = None) -> list[Made]:
    """Undo everything the record lists, newest first; return what was removed."""
    sh.require_root()
    paths = paths or LabPaths.default()
    record = Record.load(paths.record)
    removed = list(reversed(record.made))
    machine.stop_all(record.of_kind("process"))
    for made in record.of_kind("process"):
        _forget_nspawn_runtime(made)
    for made in reversed(record.made):
        if made.kind == "mount":
            _unmount(made.name)
        elif made.kind == "loop":
            _detach(made.name, paths)
        elif made.kind == "netns":
            netns.delete(made.name)
        elif made.kind == "cgroup":
            cgroup.remove(Path(made.name))
    _remove_state(paths)
    return removed


def _forget_nspawn_runtime(made: Made) -> None:
    """nspawn removes its /run/systemd/nspawn/propagate/<machine> dir when it exits cleanly,
    not when it had to be SIGKILLed (a loaded host, shutdown past the grace time): remove the
    empty dir of this lab's machine, never anything else."""
    name = (made.match or "").removeprefix("--machine=")
    if name and made.match != name:
        try:
            (leftovers.NSPAWN_RUNTIME / name).rmdir()
        except OSError:
            pass  # gone already, or not empty: then it is not ours to judge


def _unmount(mount_point: str) -> None:
    if _is_mounted(mount_point):
        sh.run(["umount", mount_point])


def _detach(loop: str, paths: LabPaths) -> None:
    """Only if it still backs a lab file: loop numbers are reused by other users of the host."""
    backing = disks.backing_file(loop)
    if backing is not None and str(backing).startswith(str(paths.state.resolve()) + "/"):
        sh.run(["losetup", "--detach", loop])


def _is_mounted(path: str) -> bool:
    with open("/proc/self/mountinfo") as mountinfo:
        return any(line.split()[4] == path for line in mountinfo)


def _remove_state(paths: LabPaths) -> None:
    """Delete machine dirs only once nothing is mounted under them: removing files through a
    live overlay would be wrong, and a still-mounted base tree must never be touched."""
    state = str(paths.state.resolve())
    with open("/proc/self/mountinfo") as mountinfo:
        busy = [line.split()[4] for line in mountinfo if line.split()[4].startswith(state + "/")]
    if busy:
        raise LabError(f"still mounted under {state}: {', '.join(busy)}; unmount them and re-run "
                       "`kubeforge lab down`")
    if paths.state.exists():
        shutil.rmtree(paths.state)


def status(plan: Plan, paths: LabPaths | None = None) -> list[MachineStatus]:
    """Every machine of the plan: running, and ready (probed in parallel, through consoles)."""
    lab_paths = paths or LabPaths.default()
    record = Record.load(lab_paths.record)
    topo = topology.from_plan(plan, lab_paths.prefix)

    def one(lab_machine: LabMachine) -> MachineStatus:
        made = record.process(f"nspawn:{lab_machine.name}")
        running = made is not None and machine.alive(made)
        ready = (running and _ready(lab_paths, topo, lab_machine)
                 and _booted(plan, lab_machine.name, lab_paths))
        return MachineStatus(lab_machine.name, lab_machine.role, str(lab_machine.address),
                             made.pid if made else None, running, ready)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, topo.machines))


def console_argv(plan: Plan, host: str, command: list[str], paths: LabPaths | None = None) -> list[str]:
    """argv running `command` as root inside machine `host` (no network involved)."""
    paths = paths or LabPaths.default()
    lab_machine = topology.from_plan(plan, paths.prefix).machine(host)
    made = Record.load(paths.record).process(f"nspawn:{lab_machine.name}")
    if made is None or not machine.alive(made):
        raise LabError(f"machine {host} is not running: run `kubeforge lab up`")
    assert made.pid is not None
    return machine.exec_argv(made.pid, command)

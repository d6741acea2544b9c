"""Switch a lab machine off and on again, as a power failure or a clean shutdown would.

A lab machine is a container in a named network namespace. Killing the container alone is
not a power cut: the namespace keeps its NICs up and its addresses (a VIP would still answer
ARP, and refuse connections instead of timing out). So switching off also takes the
machine's NICs down and flushes their addresses (no carrier, as with the power gone), and
switching on brings the carrier back and boots the same root again (its disk kept).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Literal

from kubeforge.demo.onlab import DemoLab
from kubeforge.errors import LabError
from kubeforge.lab import disks, machine, sh, topology
from kubeforge.lab.record import Record
from kubeforge.lab.topology import LabMachine

How = Literal["power-failure", "shutdown"]


def lab_machine(lab: DemoLab, host: str) -> LabMachine:
    return topology.from_plan(lab.plan, lab.paths.prefix).machine(host)


def power_off(lab: DemoLab, host: str, how: How, timeout: float = 90.0) -> None:
    """power-failure: SIGKILL the container's init (the kernel kills every process in it at
    once: nothing is shut down, no TCP connection is closed). shutdown: `systemctl poweroff`
    inside, daemons stop cleanly. Either way, then: no carrier, no addresses."""
    record = Record.load(lab.paths.record)
    made = record.process(f"nspawn:{host}")
    if made is None or not machine.alive(made):
        raise LabError(f"machine {host} is not running: `kubeforge lab up`")
    if how == "shutdown":
        lab.run(host, "systemctl --no-block poweroff", timeout=30, check=False)
    else:
        _kill_init(made.pid or 0)
    deadline = time.monotonic() + timeout
    while machine.alive(made):
        if time.monotonic() > deadline:
            _kill_init(made.pid or 0)  # a shutdown that hangs ends like a power failure
        _reap(made.pid or 0)
        time.sleep(0.05)
    _reap(made.pid or 0)
    for cable in lab_machine(lab, host).cables:
        netns = lab_machine(lab, host).netns
        sh.run(["ip", "-n", netns, "addr", "flush", "dev", cable.inner])
        sh.run(["ip", "-n", netns, "link", "set", "dev", cable.inner, "down"])


def _kill_init(nspawn_pid: int) -> None:
    leader = machine.leader(nspawn_pid)
    if leader is not None:
        os.kill(leader, signal.SIGKILL)


def _reap(pid: int) -> None:
    """The lab may have been brought up by this very process (tests): collect the exit."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def power_on(lab: DemoLab, host: str, timeout: float = 180.0) -> float:
    """Carrier back, boot the same root (and data disk) again; return the seconds until sshd
    answers inside and the planned address is back (DHCP from the gateway)."""
    started = time.monotonic()
    planned = lab_machine(lab, host)
    record = Record.load(lab.paths.record)
    old = record.process(f"nspawn:{host}")
    if old is not None:
        if machine.alive(old):
            raise LabError(f"machine {host} is still running")
        record.remove(old)
    for cable in planned.cables:
        sh.run(["ip", "-n", planned.netns, "link", "set", "dev", cable.inner, "up"])
    root = machine.root(lab.paths, planned)
    machine.start(lab.paths, planned, root, record, _data_disk(lab, record, host))
    _wait_booted(lab, planned, started + timeout)
    return time.monotonic() - started


def _data_disk(lab: DemoLab, record: Record, host: str) -> list[tuple[str, str]]:
    """The loop device `lab up` attached for this machine's data disk (still attached)."""
    image = (lab.paths.machine_dir(host) / "data-disk.img").resolve()
    for made in record.of_kind("loop"):
        backing = disks.backing_file(made.name)
        if backing is not None and backing.resolve() == image:
            return [(made.name, disks.inside_path(host))]
    return []


def _wait_booted(lab: DemoLab, planned: LabMachine, deadline: float) -> None:
    root = machine.root(lab.paths, planned)
    nic = lab.plan.machine(planned.name).primary.name
    while time.monotonic() < deadline:
        if machine.is_ready(root, planned.netns, "127.0.0.1") and _has_address(planned, nic):
            return
        time.sleep(0.5)
    raise LabError(f"{planned.name} did not boot again within the timeout; see "
                   f"{lab.paths.machine_dir(planned.name)}/console.log")


def _has_address(planned: LabMachine, nic: str) -> bool:
    shown = subprocess.run(["ip", "-n", planned.netns, "-o", "-4", "addr", "show", "dev", nic],
                           capture_output=True, text=True, check=False).stdout
    return f" {planned.address}/" in shown


def addresses(lab: DemoLab, host: str, nic: str) -> str:
    """`ip -o -4 addr show dev NIC` of a machine, read from its namespace (works while the
    machine is off, too: then it is empty)."""
    return sh.out(["ip", "-n", lab_machine(lab, host).netns, "-o", "-4", "addr", "show",
                   "dev", nic])

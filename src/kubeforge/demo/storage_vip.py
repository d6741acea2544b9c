"""The storage VIP on the lab: which gluster machine holds it, and how it moves when that
machine loses power or its NFS-Ganesha hangs (keepalived follows a Ganesha that serves the
volume; render/storage.py)."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass

from kubeforge.demo import power
from kubeforge.demo.onlab import DemoLab
from kubeforge.demo.volumes import PHASES as VOLUME_PHASES
from kubeforge.errors import LabError
from kubeforge.render import storage

# storage-vip: the VIP's Pacemaker resources (storage.vip_manager pacemaker; no host otherwise).
PHASES = (*VOLUME_PHASES, "storage-export", "storage-vip")
NFS_PORT = 2049


@dataclass
class VipMove:
    before: str  # the holder that lost power
    after: str  # the holder once the VIP settled on the others
    move_s: float  # power cut -> the VIP on exactly one other machine
    served_before: bool  # a worker reached Ganesha on VIP:2049 before the cut
    served_after: bool  # ... and through the new holder
    holders_after_return: list[str]  # once the old holder is back (nopreempt: unchanged)


def holders(lab: DemoLab, vip: str, hosts: list[str]) -> list[str]:
    """The machines among `hosts` whose addresses include the VIP (`ip -4 addr` inside each;
    a machine that does not answer holds nothing)."""
    found = []
    for host in hosts:
        done = lab.run(host, "ip -4 -o addr show", check=False, timeout=30)
        if done.returncode == 0 and f" {vip}/" in done.stdout.decode(errors="replace"):
            found.append(host)
    return found


def wait_one_holder(lab: DemoLab, vip: str, hosts: list[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = holders(lab, vip, hosts)
        if len(found) == 1:
            return found[0]
        if time.monotonic() > deadline:
            raise LabError(f"storage VIP {vip}: held by {found or 'nobody'} among {hosts} after "
                           f"{timeout:.0f} s; see `journalctl -u keepalived` on them")
        time.sleep(0.5)


def served(lab: DemoLab, client: str, vip: str) -> bool:
    """A TCP connection from `client` to the NFS port on the VIP succeeds."""
    probe = f"timeout 5 bash -c {shlex.quote(f'exec 3<>/dev/tcp/{vip}/{NFS_PORT}')}"
    return lab.run(client, probe, check=False, timeout=30).returncode == 0


def run(lab: DemoLab, settle_timeout: float = 60.0) -> VipMove:
    """Converge the storage phases, cut the holder's power, watch the VIP move, power it on."""
    lab.converge(lab.workspace.operator_spec(), PHASES)
    vip = str(lab.plan.storage_vip)
    servers = [m.name for m in lab.plan.by_role("gluster")]
    client = lab.plan.by_role("worker")[0].name
    before = wait_one_holder(lab, vip, servers, settle_timeout)
    served_before = served(lab, client, vip)
    others = [h for h in servers if h != before]
    cut = time.monotonic()
    power.power_off(lab, before, "power-failure")
    try:
        after = wait_one_holder(lab, vip, others, settle_timeout)
        move_s = round(time.monotonic() - cut, 1)
        served_after = served(lab, client, vip)
    finally:
        power.power_on(lab, before)
    time.sleep(5)  # a returning keepalived that wrongly took the VIP would have by now
    return VipMove(before, after, move_s, served_before, served_after,
                   holders(lab, vip, servers))


@dataclass
class HungMove:
    before: str  # the holder whose Ganesha was frozen (still `active` to systemd)
    active_while_hung: str  # what `systemctl is-active nfs-ganesha` said meanwhile
    after: str
    move_s: float  # freeze -> the VIP on exactly one other machine
    served_after: bool
    serves_again: bool  # the check passes on the old holder once Ganesha runs again
    holders_after_return: list[str]


def hang(lab: DemoLab, settle_timeout: float = 60.0) -> HungMove:
    """Freeze the holder's Ganesha (SIGSTOP: it runs, answers nothing), watch the VIP move to
    a machine whose Ganesha serves the volume, then let it run again (SIGCONT)."""
    lab.converge(lab.workspace.operator_spec(), PHASES)
    vip = str(lab.plan.storage_vip)
    servers = [m.name for m in lab.plan.by_role("gluster")]
    before = wait_one_holder(lab, vip, servers, settle_timeout)
    pid = lab.out(before, "systemctl show -p MainPID --value nfs-ganesha")
    if not pid.isdigit() or pid == "0":
        raise LabError(f"{before}: nfs-ganesha has no main process ({pid!r})")
    frozen = time.monotonic()
    lab.run(before, f"kill -STOP {pid}")
    try:
        active = lab.run(before, "systemctl is-active nfs-ganesha", check=False).stdout.decode()
        after = wait_one_holder(lab, vip, [h for h in servers if h != before], settle_timeout)
        move_s = round(time.monotonic() - frozen, 1)
        served_after = served(lab, lab.plan.by_role("worker")[0].name, vip)
    finally:
        lab.run(before, f"kill -CONT {pid}", check=False)
    check = f"for i in $(seq 30); do {storage.GANESHA_CHECK} && exit 0; sleep 1; done; exit 1"
    serves_again = lab.run(before, check, check=False, timeout=60).returncode == 0
    time.sleep(3)  # keepalived's check rises after 2 passes: a wrong take-back would show now
    return HungMove(before, active.strip(), after, move_s, served_after, serves_again,
                    holders(lab, vip, servers))

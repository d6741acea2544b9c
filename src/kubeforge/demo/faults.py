"""Single faults on the load-balancer pair, each watched from outside while a client talks to
the VIP (issue 9, item 3). Per fault: when is exactly one machine holding the VIP again, how
long do clients wait, and when is the pair back to full redundancy, nobody acting.

Faults, always on the balancer holding the VIP at that moment:
  power       power loss (demo.power), switched on again after HOLD seconds;
  partition   its cable to the dmz switch cut (no carrier: a dead switch port or cable), so
              it reaches neither its peer nor anyone else; reconnected after HOLD seconds;
  kill:NAME   SIGKILL of every process of one daemon (its binary's name, or `keepalived-vrrp`
              for keepalived's VRRP child); systemd and the pair must bring it back.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from kubeforge.demo import ha, power
from kubeforge.demo.onlab import DemoLab
from kubeforge.errors import LabError
from kubeforge.lab import sh

SETTLE_S = 10.0  # within this after the fault exactly one machine holds the VIP (issue 9)
REDUNDANT_S = 60.0  # within this after the fault (or its end) the pair is whole again
HOLD_S = 15.0  # how long a power loss or a partition lasts
LEAD_S = 3.0  # the probe runs this long before the fault: a steady state first
TAIL_S = 6.0  # and this long after a partition or power loss ends (its end: no outage)
POLL_S = 0.1  # how often the controller looks at who holds the VIP

KILLS = {
    "pacemaker": ("haproxy", "corosync", "pacemakerd", "pacemaker-controld",
                  "pacemaker-based"),
    "keepalived": ("haproxy", "keepalived", "keepalived-vrrp"),
}
# keepalived's VRRP process is a child of the one systemd started: kill the child only.
_KEEPALIVED_VRRP = "pgrep -P $(systemctl show -p MainPID --value keepalived) keepalived"


def faults(manager: ha.Manager) -> tuple[str, ...]:
    return ("power", "partition", *(f"kill:{name}" for name in KILLS[manager]))


def describe(fault: str) -> str:
    if fault.startswith("kill:"):
        return f"SIGKILL {fault.removeprefix('kill:')}"
    return {"power": "power loss", "partition": "cut off the dmz switch"}[fault]


@dataclass
class FaultRun:
    manager: ha.Manager
    fault: str
    victim: str
    fault_at: float  # time.time() of the fault
    ended_at: float | None  # of its end (power back, cable back); None for a kill
    holders: list[tuple[float, int]] = field(default_factory=list)  # (offset from fault, count)
    summary: dict[str, Any] = field(default_factory=dict)  # the probe's
    redundant_s: float | None = None  # from the fault's end (kill: the fault) to a whole pair

    @property
    def single_s(self) -> float:
        """Seconds from the fault until exactly one holder, for good (to the end of watching)."""
        bad = [i for i, (t, count) in enumerate(self.holders) if count != 1 and t >= 0]
        if not bad:
            return 0.0
        after = bad[-1] + 1
        return self.holders[after][0] if after < len(self.holders) else float("inf")

    @property
    def outage_s(self) -> float:
        return float(self.summary.get("longest_outage_s", 0.0))

    @property
    def end_outage_s(self) -> float:
        """The longest client outage overlapping the time after the fault ended."""
        if self.ended_at is None:
            return 0.0
        windows = self.summary.get("outage_windows", [])
        return max((end - max(begin, self.ended_at) for begin, end in windows
                    if end > self.ended_at), default=0.0)

    @property
    def healed(self) -> bool:
        return (self.single_s <= SETTLE_S and not self.summary.get("unrecovered")
                and self.redundant_s is not None and self.redundant_s <= REDUNDANT_S)


def run(lab: DemoLab, manager: ha.Manager, fault: str, interval: float = 0.1) -> FaultRun:
    """The pair must be whole before (waited for), then one fault, watched to the end."""
    wait_redundant(lab, manager, REDUNDANT_S)
    victim = ha.wait_for_vip(lab, timeout=30)
    hold = 0.0 if fault.startswith("kill:") else HOLD_S
    seconds = LEAD_S + max(SETTLE_S, hold) + (TAIL_S if hold else LEAD_S)
    proc = lab.start_python(ha.client(lab), ha.probe_program(),
                            ha.probe_args(lab, seconds, interval))
    started = time.monotonic()
    time.sleep(LEAD_S)
    result = FaultRun(manager, fault, victim, time.time(), None)
    strike(lab, fault, victim)
    if hold:
        _watch(lab, result, time.monotonic() + hold)
        result.ended_at = time.time()
        heal(lab, fault, victim)
    _watch(lab, result, started + seconds, manager)
    result.summary = _collect(lab, proc, seconds)
    if result.redundant_s is None:
        since = result.ended_at or result.fault_at
        result.redundant_s = wait_redundant(lab, manager, REDUNDANT_S, since, result)
    return result


def strike(lab: DemoLab, fault: str, victim: str) -> None:
    if fault == "power":
        power.power_off(lab, victim, "power-failure")
    elif fault == "partition":
        _cables(lab, victim, "down")
    else:
        name = fault.removeprefix("kill:")
        pids = _KEEPALIVED_VRRP if name == "keepalived-vrrp" else f"pidof {name}"
        done = lab.run(victim, f"kill -KILL $({pids})", check=False)
        if done.returncode != 0:
            raise LabError(f"{victim}: no {name} process to kill (is it running?)")


def heal(lab: DemoLab, fault: str, victim: str) -> None:
    if fault == "power":
        power.power_on(lab, victim)
    elif fault == "partition":
        _cables(lab, victim, "up")


def _cables(lab: DemoLab, host: str, state: str) -> None:
    """The switch ends of the machine's cables: down = no carrier inside, as a pulled cable."""
    planned = power.lab_machine(lab, host)
    for cable in planned.cables:
        if cable.bridge is not None:
            sh.run(["ip", "-n", cable.outer_ns, "link", "set", "dev", cable.outer, state])


def _watch(lab: DemoLab, result: FaultRun, until: float,
           manager: ha.Manager | None = None) -> None:
    """Record how many balancers hold the VIP, every POLL_S, until `until` (monotonic); with
    `manager`, also look (each second) whether the pair is whole again, and note when."""
    next_look = 0.0
    while time.monotonic() < until:
        count = len(ha.vip_holders(lab))
        result.holders.append((round(time.time() - result.fault_at, 2), count))
        if manager and result.redundant_s is None and time.monotonic() > next_look:
            next_look = time.monotonic() + 1.0
            if count == 1 and redundant(lab, manager):
                result.redundant_s = round(time.time() - (result.ended_at or result.fault_at), 2)
        time.sleep(POLL_S)


def _collect(lab: DemoLab, proc: Any, seconds: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=seconds + 60)
    if proc.returncode != 0:
        raise LabError(f"the probe on {ha.client(lab)} failed: {err.decode(errors='replace')}")
    return dict(json.loads(out))


def wait_redundant(lab: DemoLab, manager: ha.Manager, timeout: float,
                   since: float | None = None, result: FaultRun | None = None) -> float | None:
    """Seconds from `since` (time.time()) until the pair is whole; None after `timeout`.
    Without `since`: wait, and raise if it never gets whole (a precondition)."""
    start = since if since is not None else time.time()
    while time.time() - start < timeout:
        count = len(ha.vip_holders(lab))
        if result is not None:
            result.holders.append((round(time.time() - result.fault_at, 2), count))
        if count == 1 and redundant(lab, manager):
            return round(time.time() - start, 2)
        time.sleep(0.5)
    if since is None:
        raise LabError(f"the {manager} pair is not whole (both daemons up, one VIP holder) "
                       f"after {timeout:.0f} s")
    return None


def redundant(lab: DemoLab, manager: ha.Manager) -> bool:
    """Both balancers run every daemon of the pair, and (Pacemaker) both are online members
    running the ping clone: either could take the VIP over now."""
    units = "haproxy corosync pacemaker" if manager == "pacemaker" else "haproxy keepalived"
    for host in ha.balancers(lab):
        done = lab.run(host, f"systemctl is-active {units}", check=False, timeout=30)
        if done.returncode != 0:
            return False
    if manager == "keepalived":
        return True
    first = ha.balancers(lab)[0]
    shown = lab.run(first, "crm_mon -1 2>/dev/null", check=False, timeout=30)
    return pacemaker_whole(shown.stdout.decode(errors="replace"), ha.balancers(lab))


def pacemaker_whole(crm_mon: str, nodes: list[str]) -> bool:
    online = re.search(r"Online: \[([^\]]*)\]", crm_mon)
    started = re.search(r"kubeforge-ping-clone.*?\n\s*\* Started: \[([^\]]*)\]", crm_mon,
                        re.DOTALL)
    return (online is not None and started is not None
            and set(nodes) <= set(online.group(1).split())
            and set(nodes) <= set(started.group(1).split()))

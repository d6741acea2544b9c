"""`kubeforge demo ha`: the reference's HA demo on the lab, measured from a client.

Per VIP manager: converge gateway + lb (+ vip) with the engine, then run the probe (a new
TLS connection every INTERVAL to VIP:6443) from a worker, outside the dmz, while
  (a) the load balancer holding the VIP loses power (and comes back after the probe), and
  (b) the API server on one control-plane machine stops (and starts again mid-probe).
The API servers here are kubeforge-apiserver-standin, not Kubernetes (see docs/lab.md).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kubeforge.demo import power, probe
from kubeforge.demo.onlab import DemoLab
from kubeforge.errors import LabError
from kubeforge.spec.model import ClusterSpec

Manager = Literal["pacemaker", "keepalived"]
MANAGERS: tuple[Manager, ...] = ("pacemaker", "keepalived")
PHASES = {"pacemaker": ("preflight", "gateway", "reachable", "lb", "vip", "verify-vip"),
          "keepalived": ("preflight", "gateway", "reachable", "lb", "verify-vip")}
STANDIN = "kubeforge-apiserver-standin"
STANDIN_NOTE = (f"Backends are {STANDIN} (TLS :6443, /readyz) on the control-plane machines: "
                "a lab stand-in for kube-apiserver, not Kubernetes.")
LEAD = 0.25  # the fault comes after this share of the probe: a steady state is seen first


@dataclass(frozen=True)
class Scenario:
    manager: Manager
    fault: str  # what was broken, in words
    victim: str  # the machine it was done to
    summary: dict[str, Any]  # the probe's JSON summary
    seconds: float  # how long the probe ran
    back_s: float | None = None  # the victim's time to come back (power on), if measured
    note: str = ""  # what differs from the user's spec, if anything (e.g. a corosync token)


def variant(spec: ClusterSpec, manager: Manager) -> ClusterSpec:
    balancer = spec.loadbalancer.model_copy(update={"vip_manager": manager})
    return spec.model_copy(update={"loadbalancer": balancer})


def run(lab: DemoLab, managers: tuple[Manager, ...], seconds: float, interval: float = 0.1,
        spec: ClusterSpec | None = None, note: str = "") -> list[Scenario]:
    """Both scenarios per manager. `spec`: a variant of the user's spec to demonstrate
    (e.g. another corosync token), described by `note`; the lab is left as the user's."""
    results: list[Scenario] = []
    own = lab.workspace.operator_spec()
    shown = spec or own
    for manager in managers:
        converge(lab, shown, manager)
        for scenario in (lb_power_failure, master_stops):
            result = scenario(lab, manager, seconds, interval)
            results.append(dataclasses.replace(result, note=note))
    if managers and (shown != own or managers[-1] != own.loadbalancer.vip_manager):
        converge(lab, own, own.loadbalancer.vip_manager)  # leave the lab as the spec says
    return results


def converge(lab: DemoLab, spec: ClusterSpec, manager: Manager) -> None:
    lab.console.print(f"[bold]converging gateway + lb for {manager}[/] (kubeforge apply)")
    lab.converge(variant(spec, manager), PHASES[manager])
    wait_for_vip(lab, timeout=90)


def balancers(lab: DemoLab) -> list[str]:
    return [m.name for m in lab.plan.by_role("loadbalancer")]


def client(lab: DemoLab) -> str:
    """A worker: outside the dmz, its requests cross the gateway to the VIP as a node's do."""
    return lab.plan.by_role("worker")[0].name


def vip_holders(lab: DemoLab) -> list[str]:
    vip = str(lab.plan.network.api_vip)
    return [host for host in balancers(lab)
            if holds(power.addresses(lab, host, lab.plan.machine(host).primary.name), vip)]


def holds(ip_addr_output: str, address: str) -> bool:
    """Does `ip -o -4 addr show` output list `address`?"""
    return re.search(rf"\sinet {re.escape(address)}/", ip_addr_output) is not None


def wait_for_vip(lab: DemoLab, timeout: float) -> str:
    """Exactly one balancer holds the VIP and the client gets answers through it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holders = vip_holders(lab)
        if len(holders) == 1 and not probe_once(lab, 1.0)["errors"]:
            return holders[0]
        time.sleep(1)
    raise LabError(f"the API VIP is not held by exactly one load balancer after {timeout:.0f} s "
                   f"(holders: {vip_holders(lab) or 'none'}); see `kubeforge lab exec` on "
                   f"{', '.join(balancers(lab))}")


def probe_program() -> str:
    return Path(probe.__file__).read_text()


def probe_args(lab: DemoLab, seconds: float, interval: float) -> list[str]:
    network = lab.plan.network
    return [str(network.api_vip), str(network.api_port), str(seconds), str(interval), "/readyz"]


def probe_once(lab: DemoLab, seconds: float) -> dict[str, Any]:
    out = lab.python(client(lab), probe_program(), probe_args(lab, seconds, 0.1), timeout=60)
    return dict(json.loads(out))


def probing(lab: DemoLab, seconds: float, interval: float, fault: Any, after: Any = None
            ) -> dict[str, Any]:
    """Start the probe, call `fault()` once LEAD of it has passed, `after()` (if any) at
    half time, collect the summary."""
    proc = lab.start_python(client(lab), probe_program(), probe_args(lab, seconds, interval))
    started = time.monotonic()
    time.sleep(seconds * LEAD)
    fault()
    if after is not None:
        time.sleep(max(0.0, started + seconds * (LEAD + 0.5) - time.monotonic()))
        after()
    out, err = proc.communicate(timeout=seconds + 60)
    if proc.returncode != 0:
        raise LabError(f"the probe on {client(lab)} failed: {err.decode(errors='replace')}")
    return dict(json.loads(out))


def lb_power_failure(lab: DemoLab, manager: Manager, seconds: float,
                     interval: float) -> Scenario:
    victim = wait_for_vip(lab, timeout=90)
    lab.console.print(f"{manager}: probing for {seconds:.0f} s; {victim} (holds the VIP) "
                      "loses power after a quarter of it")
    summary = probing(lab, seconds, interval, lambda: power.power_off(lab, victim,
                                                                      "power-failure"))
    lab.console.print(f"{manager}: powering {victim} on again")
    back = power.power_on(lab, victim)
    wait_rejoined(lab, manager, victim, timeout=120)
    return Scenario(manager, "load balancer holding the VIP loses power", victim, summary,
                    seconds, round(back, 1))


def wait_rejoined(lab: DemoLab, manager: Manager, host: str, timeout: float) -> None:
    """The restarted balancer is back in the pair, ready to take the VIP again."""
    check = {"pacemaker": "crm_mon -1 2>/dev/null",
             "keepalived": "systemctl is-active keepalived haproxy"}[manager]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = lab.run(host, check, check=False, timeout=30)
        if rejoined(manager, done.stdout.decode(errors="replace"), balancers(lab)):
            return
        time.sleep(1)
    raise LabError(f"{host} did not rejoin the {manager} pair within {timeout:.0f} s")


def rejoined(manager: Manager, output: str, nodes: list[str]) -> bool:
    if manager == "keepalived":
        return output.split() == ["active", "active"]
    online = re.search(r"Online: \[([^\]]*)\]", output)
    return online is not None and set(nodes) <= set(online.group(1).split())


def master_stops(lab: DemoLab, manager: Manager, seconds: float, interval: float) -> Scenario:
    served = probe_once(lab, 1.0)["served_by"]
    if not served:
        raise LabError("no control-plane stand-in answered through the VIP")
    victim = min(served)  # one that is serving right now
    lab.console.print(f"{manager}: probing for {seconds:.0f} s; {STANDIN} on {victim} stops "
                      "after a quarter of it and starts again at three quarters")
    summary = probing(lab, seconds, interval,
                      lambda: lab.run(victim, f"systemctl stop {STANDIN}"),
                      lambda: lab.run(victim, f"systemctl start {STANDIN}"))
    lab.run(victim, f"systemctl start {STANDIN}")  # should the probe have failed in between
    return Scenario(manager, "API server stand-in on one master stops", victim, summary,
                    seconds)

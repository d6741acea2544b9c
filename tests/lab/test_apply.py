"""`kubeforge apply` on the lab: gateway, lb and storage converge from nothing for real, even
when the apply is SIGKILLed mid-phase and at a phase boundary and re-run; a second run
changes nothing; the Kubernetes phases run as dry-run (no kubeadm/kubelet binaries exist
here) and say so.

Owned by the bootstrap engine (issue 4); uses the shared session lab of tests/lab.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.output import DRY_ONLY_NOTE, NO_CHANGES
from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.provision import lab as provision_lab
from kubeforge.render import bundle
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

REAL = ("preflight", "gateway", "reachable", "lb", "vip", "storage-servers", "storage-pool",
        "verify-vip")


def apply(lab: Lab, **options: Any) -> str:
    secrets = lab.workspace.secrets()
    ctx = Context(lab.plan, tuple(bundle.render_all(lab.plan, secrets)), secrets,
                  kubernetes_binaries=False)
    reach = inventory.from_handoff(lab.plan, provision_lab.handoff(lab.plan, lab.paths))
    out = io.StringIO()
    asyncio.run(engine.apply(ctx, reach, lab.workspace.state_dir, Options(**options),
                             Console(file=out, width=200, color_system=None)))
    return out.getvalue()


REPO = Path(__file__).resolve().parents[2]


def log_has(lab: Lab, host: str, phase: str, event: str) -> Callable[[], bool]:
    path = Path(lab.workspace.state_dir, "logs", f"{host}.log")
    needle = f'"phase": "{phase}", "event": "{event}"'
    return lambda: path.exists() and needle in path.read_text()


def state_has(lab: Lab, phase: str) -> Callable[[], bool]:
    path = Path(lab.workspace.state_dir, "apply-state.json")
    return lambda: path.exists() and phase in json.loads(path.read_text())["phases"]


def killed_apply(lab: Lab, when: Callable[[], bool], delay: float) -> None:
    """Start an apply in its own process and SIGKILL it once `when` holds (plus `delay`)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lab.apply_driver", str(lab.workspace.state_root),
         str(lab.paths.state)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while not when():
        assert proc.poll() is None, (proc.stderr.read() if proc.stderr else b"").decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="module")
def applied(lab: Lab) -> tuple[Lab, str]:
    balancer = lab.plan.by_role("loadbalancer")[0].name
    storage = lab.plan.by_role("gluster")[0].name
    killed_apply(lab, log_has(lab, balancer, "lb", "check"), 0.5)  # mid-phase: lb
    killed_apply(lab, log_has(lab, storage, "storage-pool", "check"), 1.5)  # mid: probes
    killed_apply(lab, state_has(lab, "storage-export"), 0.0)  # phase boundary
    return lab, apply(lab)


def test_apply_converges_the_lab_from_nothing(applied: tuple[Lab, str]) -> None:
    lab, out = applied
    gateway = lab.plan.gateway.name
    assert lab.out(gateway, "systemctl is-active dnsmasq nftables").split() == ["active"] * 2
    first_gluster = lab.plan.by_role("gluster")[0].name
    info = lab.out(first_gluster, f"gluster volume info {lab.plan.spec.storage.volume}")
    assert "Status: Started" in info and "Number of Bricks: 1 x 3 = 3" in info
    assert "verify-vip" in out


def test_kubernetes_phases_only_dry_run_and_say_so(applied: tuple[Lab, str]) -> None:
    lab, out = applied
    kube = [p.name for p in all_phases() if p.needs_kubernetes]
    assert out.count(DRY_ONLY_NOTE) == len(kube)
    assert "- run: kubeadm init" in out
    master = lab.plan.by_role("control_plane")[0].name
    assert lab.exec(master, "test -e /etc/kubernetes/admin.conf").returncode != 0


def test_second_run_changes_nothing_and_says_so(applied: tuple[Lab, str]) -> None:
    lab, _ = applied
    again = apply(lab, recheck=True, selection=Selection(phases=REAL))
    assert "nothing changed" in again
    assert NO_CHANGES in apply(lab, dry_run=True, selection=Selection(phases=REAL))


def test_no_secret_in_any_log(applied: tuple[Lab, str]) -> None:
    lab, out = applied
    logs = list(Path(lab.workspace.state_dir, "logs").glob("*.log"))
    assert logs
    text = "".join(p.read_text() for p in logs) + out
    for value in lab.workspace.secrets().values():
        assert value not in text


def test_interrupted_runs_left_nothing_twice(applied: tuple[Lab, str]) -> None:
    lab, _ = applied
    gluster = [m.name for m in lab.plan.by_role("gluster")]
    volume = lab.plan.spec.storage.volume
    assert lab.out(gluster[0], "gluster volume list").split() == [volume]
    assert lab.out(gluster[0], "gluster pool list | tail -n +2 | wc -l") == str(len(gluster))
    for host in gluster:
        assert lab.out(host, f"grep -c ' /data/bricks/{volume} ' /etc/fstab") == "1"
        assert lab.out(host, "findmnt -n -o FSTYPE /data/bricks/" + volume) == "xfs"
    balancer = lab.plan.by_role("loadbalancer")[0].name
    resources = lab.out(balancer, "crm configure show | grep -c '^primitive'")
    assert resources == "2"  # the VIP and the ping check, once each

"""`kubeforge add` / `kubeforge remove` on the lab, for real where the lab can be real: the
gateway's DHCP reservation and DNS record, HAProxy backends on both load balancers and the
etcd membership change, and return to the start byte for byte (no duplicate lines). The
Kubernetes steps (join, drain, kubeadm reset, delete node) run as dry-run. Quorum and
even-count refusals touch nothing; an add killed halfway resumes.

Named test_grown_*: they add machines to the shared session lab, so they run after every other
lab test (tests/lab/conftest.py); the lab cannot remove one machine, so added machines stay.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kubeforge.lab import lifecycle, seeds
from kubeforge.plan.model import Plan
from tests.lab import day2
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab
GATEWAY = "kube-gate01"
BALANCERS = ("kube-hapx01", "kube-hapx02")
CONFIG = ("preflight", "gateway", "reachable", "lb", "vip", *day2.STANDIN[3:])


def spec_with(tmp: Path, lab: Lab, control_planes: int = 3, workers: int = 3) -> Path:
    path = tmp / f"cluster-{control_planes}-{workers}.yaml"
    if not path.exists():
        day2.ok(day2.kubeforge_plain(lab, "init", str(path)))
        text = path.read_text()
        text = re.sub(r"(control_plane: +\{count: )\d+", rf"\g<1>{control_planes}", text)
        text = re.sub(r"(worker: +\{count: )\d+", rf"\g<1>{workers}", text)
        path.write_text(text)
    return path


def grown(lab: Lab, control_planes: int = 3, workers: int = 3) -> Plan:
    """The lab's plan with more machines (the session lab's own plan has twelve)."""
    spec = lab.workspace.operator_spec()
    update = {"control_plane": spec.hosts.control_plane.model_copy(update={"count": control_planes}),
              "worker": spec.hosts.worker.model_copy(update={"count": workers})}
    return seeds.lab_plan(spec.model_copy(update={"hosts": spec.hosts.model_copy(update=update)}))


def out_on(lab: Lab, plan: Plan, host: str, command: str) -> str:
    """Lab.out for a machine the session lab's plan does not have."""
    argv = lifecycle.console_argv(plan, host, ["sh", "-c", command], lab.paths)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{host}: {command}: {done.stderr}"
    return done.stdout.strip()


def snapshot(lab: Lab) -> dict[str, str]:
    """What add and remove change: the gateway's dnsmasq files, HAProxy on both balancers,
    the etcd member names."""
    found = {GATEWAY: lab.out(GATEWAY, "cat /etc/dnsmasq.d/*")}
    found |= {h: lab.out(h, "cat /etc/haproxy/haproxy.cfg") for h in BALANCERS}
    found["etcd"] = " ".join(sorted(day2.etcdctl(lab, "kube-mast01", "member list").split()))
    return found


def no_duplicate_lines(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return len(lines) == len(set(lines))


@pytest.fixture(scope="module")
def start(lab: Lab) -> dict[str, str]:
    day2.ok(day2.kubeforge(lab, "apply", *(f"--phase={p}" for p in CONFIG)))
    return snapshot(lab)


def test_grown_add_then_remove_a_worker(lab: Lab, start: dict[str, str],
                                        tmp_path: Path) -> None:
    day2.ok(day2.kubeforge(lab, "add", spec=spec_with(tmp_path, lab, workers=4)))
    node = lab.plan.machine("kube-node03")
    dnsmasq = lab.out(GATEWAY, "cat /etc/dnsmasq.d/*")
    assert "kube-node04" in dnsmasq and no_duplicate_lines(dnsmasq)
    answer = lab.out(GATEWAY, "dig +short @127.0.0.1 kube-node04.kube.local")
    assert answer == str(node.address + 1)
    assert f"inet {answer}/" in out_on(lab, grown(lab, workers=4), "kube-node04",
                                       "ip -4 -o addr show")
    assert all(lab.out(h, "cat /etc/haproxy/haproxy.cfg") == start[h] for h in BALANCERS)

    day2.ok(day2.kubeforge(lab, "remove", "kube-node04", spec=spec_with(tmp_path, lab)))
    assert snapshot(lab) == start


def test_grown_even_control_planes_refused_without_force(lab: Lab, start: dict[str, str],
                                                         tmp_path: Path) -> None:
    done = day2.kubeforge(lab, "add", spec=spec_with(tmp_path, lab, control_planes=4))
    assert done.returncode == 3 and "is even" in done.stderr
    assert snapshot(lab) == start


def test_grown_add_then_remove_a_control_plane(lab: Lab, start: dict[str, str],
                                               tmp_path: Path) -> None:
    four = spec_with(tmp_path, lab, control_planes=4)
    day2.ok(day2.kubeforge(lab, "add", "--force", spec=four))
    members = day2.etcdctl(lab, "kube-mast01", "member list")
    assert "kube-mast04" in members and len(members.splitlines()) == 4
    four_plan = grown(lab, control_planes=4)
    health = out_on(lab, four_plan, "kube-mast04", f"{day2.ETCDCTL} endpoint health --cluster")
    assert health.count("is healthy") == 4
    for balancer in BALANCERS:
        config = lab.out(balancer, "cat /etc/haproxy/haproxy.cfg")
        assert "kube-mast04" in config and no_duplicate_lines(config)
    assert "kube-mast04" in lab.out(GATEWAY, "cat /etc/dnsmasq.d/*")

    day2.ok(day2.kubeforge(lab, "remove", "--force", spec=spec_with(tmp_path, lab)))
    assert snapshot(lab) == start
    assert out_on(lab, four_plan, "kube-mast04", "systemctl is-active etcd || true") == \
        "inactive"


def test_grown_below_quorum_refused(lab: Lab, start: dict[str, str], tmp_path: Path) -> None:
    lab.out("kube-mast02", "systemctl stop etcd")
    try:
        done = day2.kubeforge(lab, "remove", "--force",
                              spec=spec_with(tmp_path, lab, control_planes=2))
        assert done.returncode == 3, done.stdout + done.stderr
        assert "needs 2 healthy for quorum, but only 1" in done.stderr.replace("\n", " ")
        assert not (lab.workspace.state_dir / "day2-operation.json").exists()
    finally:
        lab.out("kube-mast02", "systemctl start etcd")
    assert snapshot(lab) == start


def test_grown_interrupted_add_resumes(lab: Lab, start: dict[str, str],
                                       tmp_path: Path) -> None:
    five = spec_with(tmp_path, lab, workers=5)
    log = lab.workspace.state_dir / "logs" / "kube-node05.log"
    adding = day2.popen(lab, "add", spec=five)
    deadline = time.monotonic() + 600
    while not log.exists() and adding.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    adding.send_signal(signal.SIGKILL)
    adding.wait()
    assert adding.returncode == -signal.SIGKILL, "the add finished before it could be killed"
    assert (lab.workspace.state_dir / "day2-operation.json").exists()
    resumed = day2.ok(day2.kubeforge(lab, "add", spec=five))
    added = resumed.strip().splitlines()[-1]  # kube-node04 too: the fifth worker's spec has it
    assert added.startswith("added ") and "kube-node05" in added
    assert not (lab.workspace.state_dir / "day2-operation.json").exists()
    assert no_duplicate_lines(lab.out(GATEWAY, "cat /etc/dnsmasq.d/*"))
    day2.ok(day2.kubeforge(lab, "remove", spec=spec_with(tmp_path, lab)))
    assert snapshot(lab) == start


def test_grown_reset_then_apply_again(lab: Lab, start: dict[str, str]) -> None:
    """reset's real part on the lab: the etcd stand-in stopped and cleared (as kubeadm reset
    clears a stacked member); the Kubernetes steps dry-run; apply builds etcd anew."""
    assert day2.kubeforge(lab, "reset").returncode == 2  # not without --yes
    day2.ok(day2.kubeforge(lab, "reset", "--yes"))
    for host in ("kube-mast01", "kube-mast02", "kube-mast03"):
        assert lab.out(host, "systemctl is-active etcd || true") == "inactive"
        assert lab.out(host, "ls -A /var/lib/etcd /etc/kubernetes").split() == [
            "/etc/kubernetes:", "/var/lib/etcd:"]
    day2.etcd_up(lab)
    members = day2.etcdctl(lab, "kube-mast01", "member list")
    assert len(members.splitlines()) == 3

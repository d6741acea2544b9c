"""`kubeforge apply` on a second lab (prefix `kfk`) whose spec picks keepalived as the VIP
manager: haproxy and keepalived run on both balancers, exactly one holds the VIP, the API
answers through it, and a re-check changes nothing. (The shared lab covers Pacemaker.)"""

from __future__ import annotations

import asyncio
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.lab import lifecycle, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.render import bundle
from kubeforge.spec.model import LoadBalancer
from kubeforge.workspace import Workspace

pytestmark = pytest.mark.lab

PHASES = Selection(("preflight", "gateway", "reachable", "lb", "vip", "verify-vip"))


class KeepalivedLab:
    def __init__(self, base: Path) -> None:
        self.ws = Workspace(None, base / "state")
        spec = self.ws.operator_spec().model_copy(
            update={"loadbalancer": LoadBalancer(vip_manager="keepalived")})
        self.plan: Plan = seeds.lab_plan(spec)
        self.paths = LabPaths(cache=LabPaths.default().cache, prefix="kfk", state=base / "lab")

    def apply(self, **options: bool) -> str:
        secrets = self.ws.secrets()
        ctx = Context(self.plan, tuple(bundle.render_all(self.plan, secrets)), secrets,
                      kubernetes_binaries=False)
        out = io.StringIO()
        asyncio.run(engine.apply(ctx, inventory.from_handoff(
            self.plan, provision_lab.handoff(self.plan, self.paths)),
                                 self.ws.state_dir, Options(selection=PHASES, **options),
                                 Console(file=out, width=200, color_system=None)))
        return out.getvalue()

    def out(self, host: str, command: str) -> str:
        argv = lifecycle.console_argv(self.plan, host, ["sh", "-c", command], self.paths)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        return done.stdout.strip()


@pytest.fixture(scope="module")
def kfk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeepalivedLab]:
    lab = KeepalivedLab(tmp_path_factory.mktemp("keepalived"))
    try:
        lifecycle.up(lab.plan, seeds.render_seeds(lab.plan), lab.paths,
                     identity=lab.ws.ssh_key_path)
        lab.apply()
        yield lab
    finally:
        lifecycle.down(lab.paths)


def test_keepalived_holds_the_vip_on_exactly_one_balancer(kfk: KeepalivedLab) -> None:
    vip = str(kfk.plan.network.api_vip)
    holders = []
    for machine in kfk.plan.by_role("loadbalancer"):
        assert kfk.out(machine.name, "systemctl is-active keepalived haproxy").split() == [
            "active", "active"]
        if f" {vip}/" in kfk.out(machine.name, "ip -4 -o addr show"):
            holders.append(machine.name)
    assert len(holders) == 1


def test_keepalived_lab_recheck_changes_nothing(kfk: KeepalivedLab) -> None:
    out = kfk.apply(recheck=True)
    assert "nothing changed" in out and "verify-vip" in out

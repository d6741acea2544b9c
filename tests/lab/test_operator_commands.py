"""The operator's path on the lab, as a user types it: `up --provider lab` records the route,
then `apply`, `status`, `kubeconfig` and `dashboard` need no route flag. The Kubernetes parts
are dry-run here (no kubeadm/kubectl binaries) and say so."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from kubeforge.cli import app

from .conftest import Lab

pytestmark = pytest.mark.lab
REAL_PHASES = ("preflight", "gateway", "reachable", "lb", "vip", "storage-servers",
               "storage-pool")


LAB_ENV = ("KUBEFORGE_LAB_STATE", "KUBEFORGE_LAB_CACHE", "KUBEFORGE_LAB_PREFIX")


def kubeforge(lab: Lab, monkeypatch: pytest.MonkeyPatch, *args: str,
              lab_env: bool = False) -> tuple[int, str]:
    """Run a command; only `up` is told which lab (the session's) through the environment."""
    values = (str(lab.paths.state), str(lab.paths.cache), lab.paths.prefix)
    for name, value in zip(LAB_ENV, values, strict=True):
        if lab_env:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    root = lab.workspace.state_root
    assert root is not None
    result = CliRunner().invoke(app, [*args, "--state", str(root)])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_up_then_apply_status_kubeconfig_dashboard_without_route_flags(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = kubeforge(lab, monkeypatch, "up", "--provider", "lab", lab_env=True)
    assert code == 0 and "lab: nothing to change" in out, out  # the running lab, adopted
    assert (lab.workspace.state_dir / "endpoints.json").stat().st_mode & 0o777 == 0o600
    # From here on no lab setting is in the environment: the recorded route is all there is.

    phases = [arg for name in REAL_PHASES for arg in ("--phase", name)]
    code, out = kubeforge(lab, monkeypatch, "apply", *phases)
    assert code == 0, out

    code, out = kubeforge(lab, monkeypatch, "status")
    for machine in lab.plan.machines:
        assert re.search(rf"{machine.name}\W+\w+\W+yes\W", out), out
    assert re.search(r"API VIP \S+: held by kube-hapx0\d\n", out), out
    assert out.count(": online, heal backlog 0") == 3, out
    assert "Kubernetes nodes: dry-run only" in out and "get nodes" in out, out

    code, out = kubeforge(lab, monkeypatch, "kubeconfig")
    assert code == 0 and "dry-run only" in out and "kube-mast01 reached" in out, out
    assert not (lab.workspace.state_dir / "kubeconfig").exists()

    code, out = kubeforge(lab, monkeypatch, "dashboard")
    assert code == 0 and "port-forward service/headlamp 8080:80" in out, out
    assert f"ip netns exec {lab.paths.prefix}-operator ssh" in out and "-L 6443:" in out, out
    assert "No token minted" in out and not (lab.workspace.state_dir / "dashboard-token").exists()

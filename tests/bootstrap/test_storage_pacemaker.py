"""storage-export and storage-vip with storage.vip_manager pacemaker (pure plans from the real
rendered files), and the refusal to switch a running cluster's manager, run by the on-host
checker against a fake host."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import AFTER, all_phases
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.render import storage_pacemaker as pcmk
from kubeforge.spec.model import Storage

from .fakehost import FakeHost
from .test_phases import context as phases_context

GLUSTER = ["kube-glus01", "kube-glus02", "kube-glus03"]


def context(tmp: Path, manager: str) -> Context:
    return phases_context(tmp, storage=Storage(vip_manager=manager))


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return context(tmp_path_factory.mktemp("ws"), "pacemaker")


@pytest.fixture(scope="module")
def keepalived(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return context(tmp_path_factory.mktemp("ws"), "keepalived")


def phase(name: str) -> Phase:
    return next(p for p in all_phases() if p.name == name)


def ops(ctx: Context, name: str, host: str) -> dict[str, m.Op]:
    return phase(name).plan(ctx, host).by_id()


def test_storage_vip_runs_after_the_export_and_before_the_storage_class() -> None:
    names = [p.name for p in all_phases()]
    assert names.index("storage-export") < names.index("storage-vip") < names.index("storage")
    assert AFTER["storage-vip"] == ("storage-export",)
    assert "storage-vip" in AFTER["storage"]


def test_resources_loaded_once_from_the_first_gluster_machine(ctx: Context) -> None:
    vip = phase("storage-vip")
    assert vip.hosts(ctx) == ["kube-glus01"]
    man = vip.plan(ctx, "kube-glus01")
    [crm] = [op for op in man.ops if op.kind == "file"]
    [load] = [op for op in man.ops if op.kind == "command"]
    assert crm.args["path"] == pcmk.CRM_SCRIPT
    assert load.args["cmd"].endswith(f"crm configure load update {pcmk.CRM_SCRIPT}")
    assert load.args["on_change"] == [crm.id]  # a converged second apply loads nothing
    # ... and the export phase leaves the loader's crm script to it (one owner per file).
    assert f"file:{pcmk.CRM_SCRIPT}" not in ops(ctx, "storage-export", "kube-glus01")
    assert f"file:{pcmk.CRM_SCRIPT}" in ops(ctx, "storage-export", "kube-glus02")


@pytest.mark.parametrize("host", GLUSTER)
def test_corosync_and_pacemaker_run_and_keepalived_is_not_installed(ctx: Context,
                                                                     host: str) -> None:
    plan = ops(ctx, "storage-export", host)
    [pkgs] = [op for op in plan.values() if op.kind == "package"]
    assert {"corosync", "pacemaker", "crmsh", "resource-agents", "nfs-ganesha"} <= set(
        pkgs.args["names"])
    assert "keepalived" not in pkgs.args["names"]
    assert "service:keepalived" not in plan
    corosync = plan["service:corosync"].args
    assert set(corosync["restart_on"]) == {f"file:{pcmk.COROSYNC}", f"file:{pcmk.AUTHKEY}"}
    assert plan[f"file:{pcmk.AUTHKEY}"].secret
    assert (plan["service:pacemaker"].args["enabled"], plan["service:pacemaker"].args["active"]
            ) == (True, True)
    # Ganesha stays systemd's, as under keepalived.
    assert plan["service:nfs-ganesha"].args["restart_on"] == ["file:/etc/ganesha/ganesha.conf"]
    order = list(plan)
    assert order[0] == "cmd:refuse-switch-from-keepalived"
    assert order.index("cmd:systemd-reload") < order.index("service:corosync")


def test_every_rendered_gluster_file_is_owned_by_one_phase(ctx: Context) -> None:
    owned: dict[tuple[str, str], str] = {}
    for p in all_phases():
        for host in p.hosts(ctx):
            for op in p.plan(ctx, host).ops:
                if op.kind == "file":
                    assert (host, op.args["path"]) not in owned, (host, op.args["path"])
                    owned[(host, op.args["path"])] = p.name
    rendered = {(a.host, a.target) for a in ctx.artifacts if a.host in GLUSTER and a.target
                and a.component == "storage"}
    assert rendered <= set(owned)


def test_keepalived_mode_has_no_storage_vip_phase(keepalived: Context) -> None:
    assert phase("storage-vip").hosts(keepalived) == []
    plan = ops(keepalived, "storage-export", "kube-glus01")
    assert "service:keepalived" in plan and "service:corosync" not in plan
    assert next(iter(plan)) == "cmd:refuse-switch-from-corosync"


@pytest.mark.parametrize("manager,other", [("pacemaker", "keepalived"),
                                           ("keepalived", "corosync")])
def test_switching_a_running_cluster_is_refused_before_anything_changes(
        ctx: Context, keepalived: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        manager: str, other: str) -> None:
    """The on-host checker runs the phase's manifest on a fake host where the other manager
    runs: the refusal fails the apply naming the field, and nothing after it is touched."""
    host = FakeHost(tmp_path)
    monkeypatch.setenv("PATH", f"{host.tools}:/usr/bin:/bin")  # `unless` runs the fake systemctl
    host.load_facts({"services": {other: ["enabled", "active"]}})
    man = phase("storage-export").plan(ctx if manager == "pacemaker" else keepalived,
                                       "kube-glus02")
    results = host.run(man, "apply")
    refused = results[0]
    assert refused["status"] == "failed" and refused["error"]["exit"] == 2
    assert f"storage.vip_manager: {manager}, but {other} runs" in refused["error"]["stderr"]
    assert {r["status"] for r in results[1:]} == {"skipped"}
    assert not host.path("/etc/ganesha/ganesha.conf").exists()
    assert not any(c.startswith("apt-get") for c in host.calls())


def test_a_fresh_machine_passes_the_refusal(ctx: Context, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    host = FakeHost(tmp_path)
    monkeypatch.setenv("PATH", f"{host.tools}:/usr/bin:/bin")
    man = phase("storage-export").plan(ctx, "kube-glus03")
    [refusal] = [r for r in host.run(man, "check") if r["id"].startswith("cmd:refuse-")]
    assert refusal["status"] == "ok"

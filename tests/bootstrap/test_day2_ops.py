"""Day-2 operations planned from the default spec, no hosts: golden per-host step lists for
upgrade (control planes, then workers in batches), certs renew, reset, add and remove; the
version-skew rules; the membership rules (quorum, even counts, numbering)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge.bootstrap import membership, nodes, upgrade
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import all_phases, certs_renew, reset
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.steps import listing
from kubeforge.bootstrap.state import ApplyState
from kubeforge.plan.build import build_plan
from tests.bootstrap import day2_steps


@pytest.fixture(scope="module")
def at_136(tmp_path_factory: pytest.TempPathFactory) -> Context:
    spec = day2_steps.default_spec().model_copy(update={"kubernetes_version": "1.36"})
    return day2_steps.context(tmp_path_factory.mktemp("s"), lab=False, plan=build_plan(spec))


def test_upgrade_steps_control_planes_then_worker_batches(at_136: Context) -> None:
    target = upgrade.target_context(at_136, "1.37")
    phases = upgrade.phases(target, "1.37", parallel=2)
    text = day2_steps.check(phases, target, "upgrade-1.37-parallel-2")
    assert [p.name for p in phases] == [
        "upgrade-apt-source", "upgrade-first-control-plane", "upgrade-control-planes",
        "upgrade-workers-1-drain", "upgrade-workers-1", "upgrade-workers-1-uncordon",
        "upgrade-workers-2-drain", "upgrade-workers-2", "upgrade-workers-2-uncordon"]
    assert phases[2].serial and phases[4].hosts(target) == ["kube-node01", "kube-node02"]
    source = phases[0].plan(target, "kube-node03").ops[0]
    assert b"core:/stable:/v1.37/deb/" in (source.content or b"")
    # kubeadm before kubelet on every node; `upgrade apply` only on the first control plane
    for host in ("kube-mast01", "kube-mast02", "kube-node01"):
        steps = " ".join(op.describe() for p in phases if host in p.hosts(target)
                         for op in p.plan(target, host).ops)
        assert steps.index("kubeadm=1.37.*") < steps.index("kubelet=1.37.*")
    assert text.count("run: kubeadm upgrade apply") == 1
    assert text.count("run: kubeadm upgrade node") == 5


def test_upgrade_resumes_by_markers(at_136: Context) -> None:
    target = upgrade.target_context(at_136, "1.37")
    first = upgrade.phases(target, "1.37", 1)[1].plan(target, "kube-mast01")
    creates = [op.args["creates"] for op in first.ops]
    assert all(c.startswith("/var/lib/kubeforge/upgrade/v1.37/") for c in creates)
    assert len(set(creates)) == len(creates)


@pytest.mark.parametrize(("current", "to", "says"), [
    ("1.36", "1.36", "already there"),
    ("1.36", "1.35", "downgrades are not supported"),
    ("1.35", "1.37", "upgrade to 1.36 first"),
    ("1.37", "1.38", "kubeforge knows Kubernetes up to 1.37"),
    ("1.36", "137", "write the target minor as 1.N"),
])
def test_skew_refusals(current: str, to: str, says: str) -> None:
    spec = day2_steps.default_spec().model_copy(update={"kubernetes_version": current})
    problems = upgrade.skew_problems(spec, to, newest=37)
    assert any(says in p for p in problems), problems


def test_containerd_major_the_target_needs() -> None:
    spec = day2_steps.default_spec().model_copy(update={
        "kubernetes_version": "1.35", "containerd_source": "debian"})
    problems = upgrade.skew_problems(spec, "1.36", newest=37)
    assert any("needs containerd 2" in p and "containerd_source: docker" in p
               for p in problems)
    docker = spec.model_copy(update={"containerd_source": "docker"})
    assert upgrade.skew_problems(docker, "1.36", newest=37) == []


def test_upgrade_plan_of_a_large_spec_lists_every_worker(tmp_path: Path) -> None:
    spec = day2_steps.with_count(day2_steps.default_spec(), "worker", 40)
    ctx = day2_steps.context(tmp_path, lab=False, plan=build_plan(
        spec.model_copy(update={"kubernetes_version": "1.36"})))
    target = upgrade.target_context(ctx, "1.37")
    lines = listing(upgrade.phases(target, "1.37", 8), target)
    assert sum(1 for line in lines if line.startswith("upgrade-workers-") and
               "drain" not in line and "uncordon" not in line) == 5


def test_certs_renew_steps(tmp_path: Path) -> None:
    ctx = day2_steps.context(tmp_path, lab=False)
    phase = certs_renew.renew(ctx.hosts_with_role("control_plane"), "20261201")
    text = day2_steps.check([phase], ctx, "certs-renew")
    assert phase.serial and text.count("run: kubeadm certs renew all") == 3
    # each static pod's manifest out and back, on each control plane, after the renewal
    assert text.count("mv /etc/kubernetes/manifests/kube-apiserver.yaml") == 3
    mast02 = text.split("  kube-mast02:")[1]
    assert mast02.index("certs renew all") < mast02.index("kube-scheduler.yaml")


@pytest.mark.parametrize("where", ["lab", "real"])
def test_reset_steps(where: str, tmp_path: Path) -> None:
    ctx = day2_steps.context(tmp_path, lab=where == "lab")
    text = day2_steps.check(reset.phases(ctx), ctx, f"reset-{where}")
    assert text.index("reset-workers") < text.index("reset-control-planes")
    assert ("reset-etcd-standin" in text) == (where == "lab")
    assert "kube-gate01" not in text and "kube-glus01" not in text


def kubernetes_side() -> list[Phase]:
    """The steps of an add that are dry-run on the lab (plus the etcd member join): the
    gateway and load-balancer changes are real there and tested in tests/lab."""
    return [p for p in all_phases() if p.needs_kubernetes or p.name.startswith("etcd")]


def deployed_state(state: Path, names: list[str]) -> None:
    record = ApplyState.load(state)
    for name in names:
        record.record("reachable", name, "digest", 0)


def default_names() -> list[str]:
    return [m.name for m in build_plan(day2_steps.default_spec()).machines]


def test_add_worker_touches_only_it_and_the_gateway(tmp_path: Path) -> None:
    deployed_state(tmp_path, default_names())
    spec = day2_steps.with_count(day2_steps.default_spec(), "worker", 4)
    change = membership.change(spec, tmp_path)
    assert [m.name for m in change.added] == ["kube-node04"] and change.removed == ()
    assert nodes.changed_hosts(change, change.added) == {"kube-node04", "kube-gate01"}
    ctx = day2_steps.context(tmp_path / "s", lab=True, plan=change.after)
    only = nodes.changed_hosts(change, change.added)
    text = "\n".join(listing(all_phases(), ctx, only))
    assert "workers-join" in text and "kube-mast01" not in text
    day2_steps.check(kubernetes_side(), ctx, "add-worker", only)


def test_add_control_plane_needs_odd_count_or_force(tmp_path: Path) -> None:
    deployed_state(tmp_path, default_names())
    spec = day2_steps.with_count(day2_steps.default_spec(), "control_plane", 4)
    change = membership.change(spec, tmp_path)
    assert any("is even" in p for p in nodes.refusals(change, force=False))
    assert nodes.refusals(change, force=True) == []
    only = nodes.changed_hosts(change, change.added)
    assert only == {"kube-mast04", "kube-gate01", "kube-hapx01", "kube-hapx02"}
    ctx = day2_steps.context(tmp_path / "s", lab=True, plan=change.after)
    text = day2_steps.check(kubernetes_side(), ctx, "add-control-plane", only)
    joins = text.split("etcd-standin-join")[1]
    assert "member add kube-mast04" in joins and "kube-mast02:" not in joins


def test_remove_control_plane_steps(tmp_path: Path) -> None:
    deployed_state(tmp_path, [*default_names(), "kube-mast04", "kube-mast05"])
    change = membership.change(day2_steps.default_spec(), tmp_path)
    assert [m.name for m in change.removed] == ["kube-mast04", "kube-mast05"]
    ctx = day2_steps.context(tmp_path / "s", lab=False, plan=change.after)
    phases = nodes.removal_phases(change, change.removed[0], lab=False)
    text = day2_steps.check(phases, ctx, "remove-control-plane")
    assert [p.name for p in phases] == ["drain", "etcd-member-remove", "kubeadm-reset",
                                        "delete-node"]
    assert "https://192.168.1.204:2380" in text and "kube-mast01:" in text
    lab_phases = nodes.removal_phases(change, change.removed[0], lab=True)
    assert "etcd-member-retire" in [p.name for p in lab_phases]


def test_remove_worker_steps(tmp_path: Path) -> None:
    deployed_state(tmp_path, [*default_names(), "kube-node04"])
    change = membership.change(day2_steps.default_spec(), tmp_path)
    ctx = day2_steps.context(tmp_path / "s", lab=False, plan=change.after)
    phases = nodes.removal_phases(change, change.removed[0], lab=False)
    text = day2_steps.check(phases, ctx, "remove-worker")
    assert [p.name for p in phases] == ["drain", "kubeadm-reset", "delete-node"]
    assert "etcd" not in text


def test_last_control_plane_is_never_removed(tmp_path: Path) -> None:
    deployed_state(tmp_path, default_names())
    spec = day2_steps.with_count(day2_steps.default_spec(), "control_plane", 0)
    change = membership.change(spec, tmp_path)
    assert any("last control plane" in p for p in nodes.refusals(change, force=True))


def test_gluster_changes_are_refused(tmp_path: Path) -> None:
    deployed_state(tmp_path, default_names())
    spec = day2_steps.with_count(day2_steps.default_spec(), "gluster", 4)
    change = membership.change(spec, tmp_path)
    assert any("gluster" in p for p in nodes.refusals(change, force=True))


def test_interrupted_operation_resumes_with_its_machines(tmp_path: Path) -> None:
    names = default_names()
    deployed_state(tmp_path, [*names, "kube-node04"])  # reached before the interruption
    membership.Journal.load(tmp_path).begin("add", ["kube-node04"])
    spec = day2_steps.with_count(day2_steps.default_spec(), "worker", 4)
    assert [m.name for m in membership.change(spec, tmp_path).added] == ["kube-node04"]
    with pytest.raises(Exception, match="interrupted"):
        membership.Journal.load(tmp_path).begin("remove", ["kube-node03"])


@pytest.mark.parametrize("content", ["{", "[]", '{"kind": "add"}', "null"])
def test_a_damaged_journal_is_a_state_error_not_a_traceback(tmp_path: Path, content: str) -> None:
    from kubeforge import errors

    tmp_path.chmod(0o700)
    journal = tmp_path / membership.JOURNAL
    journal.write_text(content)
    journal.chmod(0o600)
    with pytest.raises(errors.StateError, match="delete the file"):
        membership.Journal.load(tmp_path)

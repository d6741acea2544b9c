"""etcd day-2 steps, planned from the default spec (no hosts): the stand-in phases, snapshot
and restore, as golden per-host step lists, on the lab and on a kubeadm cluster."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from kubeforge import errors
from kubeforge.bootstrap import certs_check, etcd_backup
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import all_phases, etcd_ops
from kubeforge.bootstrap.phases.etcd import EtcdStandin, EtcdStandinJoin
from tests.bootstrap import day2_steps


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return day2_steps.context(tmp_path_factory.mktemp("state"), lab=True)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return day2_steps.context(tmp_path_factory.mktemp("state"), lab=False)


def test_standin_runs_on_the_lab_only(lab: Context, real: Context) -> None:
    text = day2_steps.check([EtcdStandin(), EtcdStandinJoin()], lab, "etcd-standin-lab")
    assert "member add kube-mast02" in text and "member add kube-mast03" in text
    assert "kube-mast01" in text.split("etcd-standin-join")[0]
    assert EtcdStandin().hosts(real) == [] and EtcdStandinJoin().hosts(real) == []
    names = [p.name for p in all_phases()]
    assert names.index("etcd-standin") < names.index("etcd-standin-join") < names.index(
        "node-prereqs")


def test_standin_dropin_has_kubeadms_flags(lab: Context) -> None:
    second = EtcdStandinJoin().plan(lab, "kube-mast02").by_id()
    dropin = second["file:/etc/systemd/system/etcd.service.d/kubeforge-standin.conf"]
    text = (dropin.content or b"").decode()
    for flag in ("--client-cert-auth=true", "--peer-client-cert-auth=true",
                 "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
                 "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
                 "--initial-cluster-state=existing", "--data-dir=/var/lib/etcd"):
        assert flag in text
    assert "--initial-cluster=kube-mast01=https://192.168.1." in text
    assert text.count("=https://") >= 2 and "kube-mast03" not in text.split("--cert-file")[0]


def test_snapshot_steps(lab: Context) -> None:
    phase = etcd_ops.snapshot("kube-mast01", "etcd-kube-20261201T000000Z.db", keep=3)
    text = day2_steps.check([phase], lab, "etcd-snapshot")
    assert "healthcheck-client.crt" in text and "tail -n +4" in text


@pytest.mark.parametrize("where", ["lab", "real"])
def test_restore_steps(where: str, lab: Context, real: Context) -> None:
    ctx = lab if where == "lab" else real
    phases = etcd_ops.restore_phases(ctx, b"snapshot bytes", "0123456789ab")
    text = day2_steps.check(phases, ctx, f"etcd-restore-{where}")
    assert [p.name for p in phases] == ["etcd-restore-copy", "etcd-restore-stop",
                                        "etcd-restore-data", "etcd-restore-start"]
    assert all(p.hosts(ctx) == ["kube-mast01", "kube-mast02", "kube-mast03"] for p in phases)
    assert text.count("snapshot restore") == 3
    if where == "real":
        assert "kube-apiserver.yaml" in text and "systemctl" not in text
    else:
        assert "systemctl stop etcd" in text


def test_restore_is_resumable_by_markers(lab: Context) -> None:
    data = etcd_ops.restore_phases(lab, b"x", "abc")[2].plan(lab, "kube-mast02").ops[0]
    assert data.args["creates"] == "/var/lib/kubeforge/etcd-restore/abc.restored"
    assert "--name kube-mast02" in data.args["cmd"]
    assert "--initial-cluster-token kubeforge-restore-abc" in data.args["cmd"]


def test_expiry_parsing_and_status() -> None:
    found = certs_check.parse("m1", "/etc/kubernetes/pki/ca.crt\tDec  1 22:40:00 2027 GMT\n"
                                    "/etc/kubernetes/admin.conf\tJan 10 00:00:00 2027 GMT\n\n")
    now = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    assert [e.path for e in found] == ["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/admin.conf"]
    assert [e.status(now) for e in found] == ["ok", "warn"]
    assert found[1].status(dt.datetime(2027, 2, 1, tzinfo=dt.UTC)) == "EXPIRED"


def test_prune_keeps_newest_and_only_ours(tmp_path: Path) -> None:
    names = [f"etcd-kube-2026120{d}T000000Z.db" for d in range(1, 6)]
    for name in [*names, "etcd-kube-mine.db", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
        (tmp_path / f"{name}.sha256").write_text("x")
    gone = etcd_backup.prune(tmp_path, "kube", keep=2)
    assert [p.name for p in gone] == names[:3]
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".sha256"))
    assert left == sorted([*names[3:], "etcd-kube-mine.db", "notes.txt"])


def test_damaged_snapshot_refused_before_any_host(tmp_path: Path) -> None:
    snapshot = tmp_path / "s.db"
    snapshot.write_bytes(b"snapshot")
    (tmp_path / "s.db.sha256").write_text("0" * 64 + "  s.db\n")
    with pytest.raises(errors.ApplyError, match="damaged"):
        etcd_backup.checked_snapshot(snapshot)
    (tmp_path / "s.db.sha256").unlink()
    assert etcd_backup.checked_snapshot(snapshot)[1] == hashlib.sha256(b"snapshot").hexdigest()

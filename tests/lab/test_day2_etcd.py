"""The lab's real etcd (Debian's etcd-server with kubeadm's layout and flags, certificates
issued by kubeforge): a 3-member cluster that refuses clients without a certificate; backup
copied to the operator with its sha256 and kept N; a restore that brings back a key written
before the snapshot and loses one written after, on every member; `certs check` warns under 30
days and fails on an expired certificate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.lab import day2
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

PLANES = ("kube-mast01", "kube-mast02", "kube-mast03")


@pytest.fixture(scope="module")
def etcd_lab(lab: Lab) -> Lab:
    day2.etcd_up(lab)
    return lab


def test_three_members_with_kubeadms_layout(etcd_lab: Lab) -> None:
    lab = etcd_lab
    members = json.loads(day2.etcdctl(lab, "kube-mast01", "member list -w json"))["members"]
    assert sorted(m["name"] for m in members) == list(PLANES)
    for host in PLANES:
        address = lab.plan.machine(host).address
        verified = lab.out(host, f"cd {day2.CERTS} && openssl verify -CAfile ca.crt server.crt "
                                 "peer.crt healthcheck-client.crt")
        assert verified.count(": OK") == 3
        assert f"IP Address:{address}" in lab.out(host, f"openssl x509 -noout -ext "
                                                        f"subjectAltName -in {day2.CERTS}/server.crt")
        flags = lab.out(host, "tr '\\0' ' ' < /proc/$(pidof etcd)/cmdline")
        assert "--client-cert-auth=true" in flags and "--peer-client-cert-auth=true" in flags
        listening = lab.out(host, "ss -ltnH")
        assert f"{address}:2379" in listening and f"{address}:2380" in listening
        # No client certificate, no answer: the TLS handshake is refused.
        assert lab.exec(host, "curl -sfk https://127.0.0.1:2379/health").returncode != 0
        healthy = lab.out(host, f"curl -sf --cacert {day2.CERTS}/ca.crt --cert {day2.CERTS}/"
                                f"healthcheck-client.crt --key {day2.CERTS}/healthcheck-client.key "
                                "https://127.0.0.1:2379/health")
        assert json.loads(healthy)["health"] == "true"


def test_backup_then_restore_round_trip(etcd_lab: Lab, tmp_path: Path) -> None:
    lab = etcd_lab
    day2.etcdctl(lab, "kube-mast02", "put kubeforge/before written-before")
    out = day2.ok(day2.kubeforge(lab, "etcd", "backup"))
    snapshot = next((lab.workspace.state_dir / "etcd-backups").glob("*.db"))
    assert str(snapshot) in out.replace("\n", "")
    assert snapshot.stat().st_mode & 0o777 == 0o600
    recorded = Path(f"{snapshot}.sha256").read_text().split()[0]
    assert recorded == hashlib.sha256(snapshot.read_bytes()).hexdigest()
    day2.etcdctl(lab, "kube-mast03", "put kubeforge/after written-after")

    day2.ok(day2.kubeforge(lab, "etcd", "restore", str(snapshot)))
    for host in PLANES:
        assert day2.etcdctl(lab, host, "get kubeforge/before --print-value-only") == \
            "written-before"
        assert day2.etcdctl(lab, host, "get kubeforge/after --print-value-only") == ""
    health = json.loads(day2.etcdctl(lab, "kube-mast01", "endpoint health --cluster -w json"))
    assert len(health) == 3 and all(e["health"] for e in health)
    again = day2.ok(day2.kubeforge(lab, "etcd", "restore", str(snapshot)))
    assert "nothing changed" in again


def test_damaged_snapshot_is_refused(etcd_lab: Lab, tmp_path: Path) -> None:
    snapshot = next((etcd_lab.workspace.state_dir / "etcd-backups").glob("*.db"))
    damaged = tmp_path / snapshot.name
    damaged.write_bytes(snapshot.read_bytes()[:-10] + b"x" * 10)
    Path(f"{damaged}.sha256").write_text(Path(f"{snapshot}.sha256").read_text())
    done = day2.kubeforge(etcd_lab, "etcd", "restore", str(damaged))
    assert done.returncode == 1 and "damaged" in done.stderr


def test_backups_kept_n_on_both_sides(etcd_lab: Lab) -> None:
    lab = etcd_lab
    for _ in range(3):
        day2.ok(day2.kubeforge(lab, "etcd", "backup", "--keep", "2"))
    here = sorted((lab.workspace.state_dir / "etcd-backups").glob("*.db"))
    there = lab.out("kube-mast01", "ls /var/lib/kubeforge/etcd-backups/").split()
    assert len(here) == 2 and [p.name for p in here] == sorted(n for n in there
                                                               if n.endswith(".db"))


def test_certs_check_warns_and_fails_on_expired(etcd_lab: Lab) -> None:
    lab = etcd_lab
    table = day2.ok(day2.kubeforge(lab, "certs", "check"))
    assert table.count("/etc/kubernetes/pki/etcd/server.crt") == 3
    assert "warning:" not in table and "│ warn" not in table
    short = "/etc/kubernetes/pki/front-proxy-client.crt"
    lab.out("kube-mast02", f"openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj /CN=t "
                           f"-keyout /tmp/t.key -out {short} 2>/dev/null")
    try:
        warned = day2.ok(day2.kubeforge(lab, "certs", "check"))
        assert "front-proxy-client.crt expires in 10 days" in warned.replace("\n", " ")
        lab.out("kube-mast02", "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=t "
                               "-not_before 20200101000000Z -not_after 20200102000000Z "
                               f"-keyout /tmp/t.key -out {short} 2>/dev/null")
        expired = day2.kubeforge(lab, "certs", "check")
        assert expired.returncode == 1 and "EXPIRED" in expired.stdout
    finally:
        lab.exec("kube-mast02", f"rm -f {short} /tmp/t.key")

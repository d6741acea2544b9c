"""The etcd stand-in's certificates, checked with `openssl` as an operator would: kubeadm's
layout, chained to the etcd CA, the node's SANs on server and peer, client-only usages on the
clients, keys private; kept and reused across runs, reissued when an address changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest

from kubeforge.plan.build import build_plan
from kubeforge.render import etcd_pki
from kubeforge.render.artifact import Artifact
from kubeforge.spec import default
from tests.render.checkrun import need, run

NOW = dt.datetime.now(dt.UTC)  # `openssl x509 -checkend` counts from the real now


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Artifact]]:
    state = tmp_path_factory.mktemp("state")
    return state, etcd_pki.artifacts(state, build_plan(default.default_spec()), NOW)


def write_host(tmp: Path, artifacts: list[Artifact], host: str) -> Path:
    for a in artifacts:
        if a.host == host and a.target:
            path = tmp / a.target.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(a.content)
    return tmp / "etc/kubernetes/pki"


def x509_text(path: Path) -> str:
    done = run([need("openssl"), "x509", "-noout", "-text", "-in", str(path)])
    assert done.returncode == 0, done.stderr
    return done.stdout.replace(" = ", "=")  # OpenSSL 3 writes "CN = name"


def test_kubeadm_layout_on_every_control_plane(issued: tuple[Path, list[Artifact]]) -> None:
    _, artifacts = issued
    targets = {a.target for a in artifacts if a.host == "kube-mast02"}
    expected = {f"/etc/kubernetes/pki/etcd/{n}.{x}" for n in
                ("ca", "server", "peer", "healthcheck-client") for x in ("crt", "key")}
    expected |= {"/etc/kubernetes/pki/apiserver-etcd-client.crt",
                 "/etc/kubernetes/pki/apiserver-etcd-client.key"}
    assert targets == expected
    assert {a.host for a in artifacts} == {"kube-mast01", "kube-mast02", "kube-mast03"}
    assert all(a.secret and a.mode == 0o600 for a in artifacts if (a.target or "").endswith(".key"))


def test_openssl_verifies_chain_sans_and_usages(issued: tuple[Path, list[Artifact]],
                                                tmp_path: Path) -> None:
    _, artifacts = issued
    pki = write_host(tmp_path, artifacts, "kube-mast02")
    etcd = pki / "etcd"
    leaves = [etcd / "server.crt", etcd / "peer.crt", etcd / "healthcheck-client.crt",
              pki / "apiserver-etcd-client.crt"]
    done = run([need("openssl"), "verify", "-CAfile", str(etcd / "ca.crt"),
                *map(str, leaves)])
    assert done.returncode == 0, done.stdout + done.stderr
    server = x509_text(etcd / "server.crt")
    assert "Subject: CN=kube-mast02" in server and "Issuer: CN=etcd-ca" in server
    for san in ("DNS:kube-mast02", "DNS:localhost", "IP Address:192.168.1.",
                "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"):
        assert san in server
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in x509_text(
        etcd / "peer.crt")
    client = x509_text(etcd / "healthcheck-client.crt")
    assert "CN=kube-etcd-healthcheck-client" in client
    assert "TLS Web Client Authentication" in client and "Server Authentication" not in client
    assert "CA:TRUE" in x509_text(etcd / "ca.crt")


def test_validity_is_kubeadms(issued: tuple[Path, list[Artifact]], tmp_path: Path) -> None:
    _, artifacts = issued
    pki = write_host(tmp_path, artifacts, "kube-mast01")
    for name, days in (("etcd/ca.crt", 3650), ("etcd/server.crt", 365)):
        ok = run([need("openssl"), "x509", "-noout", "-checkend", str((days - 1) * 86400),
                  "-in", str(pki / name)])
        gone = run([need("openssl"), "x509", "-noout", "-checkend", str((days + 1) * 86400),
                    "-in", str(pki / name)])
        assert ok.returncode == 0 and gone.returncode == 1, name


def test_kept_private_and_reused(issued: tuple[Path, list[Artifact]]) -> None:
    state, artifacts = issued
    again = etcd_pki.artifacts(state, build_plan(default.default_spec()), NOW)
    assert again == artifacts
    for path in (state / "pki" / "etcd").rglob("*"):
        mode = os.stat(path).st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_moved_machine_gets_new_server_certificates(tmp_path: Path) -> None:
    plan = build_plan(default.default_spec())
    first = {a.dest: a.content for a in etcd_pki.artifacts(tmp_path, plan, NOW)}
    machine = plan.machine("kube-mast01")
    moved_nic = dataclasses.replace(machine.primary, address=machine.address + 100)
    moved = dataclasses.replace(machine, nics=(moved_nic,))
    plan2 = dataclasses.replace(plan, machines=tuple(
        moved if m.name == machine.name else m for m in plan.machines), _by_name={})
    second = {a.dest: a.content for a in etcd_pki.artifacts(tmp_path, plan2, NOW)}
    changed = {d for d in first if first[d] != second[d]}
    assert changed == {f"kube-mast01/etc/kubernetes/pki/etcd/{n}.{x}"
                       for n in ("server", "peer") for x in ("crt", "key")}

"""The apiserver stand-in on control-plane machines: TLS :6443, health endpoints, and a body
naming the host -- and plainly not Kubernetes."""

from __future__ import annotations

import json

import pytest

from kubeforge.lab import standin
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def test_standin_answers_over_tls_from_the_gateway(lab: Lab) -> None:
    gateway = lab.plan.gateway.name
    for master in lab.plan.by_role("control_plane"):
        url = f"https://{master.address}:6443"
        for path in ("/healthz", "/readyz"):
            done = lab.ssh(gateway, f"curl -sS --cacert /dev/null -k {url}{path}")
            assert done.returncode == 0, done.stderr
            assert done.stdout == "ok"
        body = json.loads(lab.ssh(gateway, f"curl -sS -k {url}/version").stdout)
        assert body["host"] == master.name
        assert body["standin"] == "kubeforge-apiserver-standin"
        assert "not Kubernetes" in body["note"]


def test_standin_certificate_names_the_host_and_the_vip(lab: Lab) -> None:
    master = lab.plan.by_role("control_plane")[0]
    text = lab.out(master.name, "openssl x509 -noout -text -in /etc/kubeforge/standin/tls.crt")
    assert f"DNS:{master.name}" in text
    assert f"IP Address:{lab.plan.network.api_vip}" in text
    assert "not Kubernetes" in text


def test_standin_runs_on_control_plane_machines_only(lab: Lab) -> None:
    for machine in lab.plan.machines:
        state = lab.exec(machine.name, f"systemctl is-active {standin.UNIT_NAME}").stdout.strip()
        assert state == ("active" if machine.role == "control_plane" else "inactive"), machine.name

"""The admin kubeconfig the operator gets: server rewritten, TLS still verified, 0600, and
never written over a file kubeforge did not write."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from kubeforge.bootstrap.ssh import Target
from kubeforge.errors import ApplyError, StateError
from kubeforge.plan.build import build_plan
from kubeforge.spec import default
from kubeforge.verify import kubeconfig as kc

ADMIN = b"""apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://192.168.4.20:6443
  name: kube
users:
- name: kubernetes-admin
  user: {client-certificate-data: Q0VSVAo=, client-key-data: S0VZCg==}
contexts:
- context: {cluster: kube, user: kubernetes-admin}
  name: kubernetes-admin@kube
current-context: kubernetes-admin@kube
"""


def test_vip_server_keeps_credentials_and_ca() -> None:
    plan = build_plan(default.default_spec())
    out = kc.rewrite(ADMIN, kc.vip_server(plan), "kube")
    config = yaml.safe_load(out)
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == f"https://{plan.network.api_vip}:6443"
    assert "tls-server-name" not in cluster and cluster["certificate-authority-data"] == "Q0EK"
    assert config["users"][0]["user"]["client-key-data"] == "S0VZCg=="
    assert out.startswith(kc.MARKER.format(name="kube").encode())


def test_forward_server_verifies_tls_by_the_name_kubeadm_always_signs() -> None:
    cluster = yaml.safe_load(kc.rewrite(ADMIN, kc.forward_server(16443), "kube"))
    entry = cluster["clusters"][0]["cluster"]
    assert entry["server"] == "https://127.0.0.1:16443"
    assert entry["tls-server-name"] == "kubernetes"


def test_not_a_kubeconfig_is_an_error_naming_the_fix() -> None:
    with pytest.raises(ApplyError, match="control-plane-init"):
        kc.rewrite(b"just text", kc.forward_server(1), "kube")


def test_written_0600_and_replaced_only_when_ours(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    content = kc.rewrite(ADMIN, kc.forward_server(6443), "kube")
    for path in (state / "kubeconfig", tmp_path / "mine.conf"):
        kc.write(path, content, "kube", state)
        kc.write(path, content, "kube", state)  # ours: replaced
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == content
    foreign = tmp_path / "config"
    foreign.write_text("someone else's kubeconfig\n")
    with pytest.raises(StateError, match="not a kubeconfig kubeforge wrote"):
        kc.write(foreign, content, "kube", state)
    assert foreign.read_text() == "someone else's kubeconfig\n"


def test_forward_command_goes_through_the_gateway_in_its_namespace(tmp_path: Path) -> None:
    gateway = Target("kube-gate01", "10.0.2.15", 22, "debian")
    argv = kc.forward_argv(gateway, tmp_path / "id", tmp_path / "kh", "kf-operator", 6443,
                           "192.168.4.20")
    assert argv[:4] == ["ip", "netns", "exec", "kf-operator"]
    assert argv[argv.index("-L") + 1] == "6443:192.168.4.20:6443"
    assert argv[-1] == "debian@10.0.2.15" and "-N" in argv

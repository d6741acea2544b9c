"""Node prerequisites on control-plane and worker machines, checked by containerd and apt."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import addon_versions, nodes
from kubeforge.spec.model import ClusterSpec

from . import checkrun, goldens

SECRETS = goldens.fixed_secrets()
CONTAINERD = "/etc/containerd/config.toml"


@pytest.fixture
def plan(raw: dict[str, Any]) -> Plan:
    return build_plan(ClusterSpec.model_validate(raw))


def files_of(plan: Plan, host: str) -> dict[str, str]:
    return {a.target or "": a.text for a in nodes.render(plan, SECRETS) if a.host == host}


def test_default_spec_matches_golden_files(plan: Plan) -> None:
    goldens.check(nodes.render(plan, SECRETS), "nodes")


def test_only_kubernetes_machines_get_node_files(plan: Plan) -> None:
    hosts = {a.host for a in nodes.render(plan, SECRETS)}
    expected = {m.name for m in plan.machines if m.role in ("control_plane", "worker")}
    assert hosts == expected


def test_containerd_uses_the_systemd_cgroup_driver(plan: Plan) -> None:
    config = tomllib.loads(files_of(plan, "kube-node01")[CONTAINERD])
    assert config["version"] == 2
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == addon_versions.PAUSE_IMAGE
    runc = cri["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True


@pytest.mark.checkers
def test_containerd_accepts_the_config(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(files_of(plan, "kube-mast01")[CONTAINERD])
    result = checkrun.run([checkrun.need("containerd"), "--config", str(path), "config", "dump"])
    assert result.returncode == 0, result.stderr
    # The dump is containerd's merged view: our values survived its parser.
    assert "SystemdCgroup = true" in result.stdout
    assert f'sandbox_image = "{addon_versions.PAUSE_IMAGE}"' in result.stdout


@pytest.mark.checkers
def test_apt_reads_the_kubernetes_source(plan: Plan, tmp_path: Path) -> None:
    parts, lists = tmp_path / "parts", tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    parts.mkdir()
    (parts / "kubernetes.sources").write_text(files_of(plan, "kube-node01")[nodes.APT_SOURCE])
    result = checkrun.run([
        checkrun.need("apt-get"), "-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={parts}",
        "-o", f"Dir::State::Lists={lists}", "--print-uris", "update",
    ])
    assert result.returncode == 0 and "E:" not in result.stderr, result.stderr
    assert "https://pkgs.k8s.io/core:/stable:/v1.37/deb/InRelease" in result.stdout


def test_apt_source_follows_the_kubernetes_minor(raw: dict[str, Any]) -> None:
    raw["kubernetes_version"] = "1.31.4"
    text = files_of(build_plan(ClusterSpec.model_validate(raw)), "kube-mast01")[nodes.APT_SOURCE]
    assert "URIs: https://pkgs.k8s.io/core:/stable:/v1.31/deb/" in text
    assert f"Signed-By: {nodes.APT_KEYRING}" in text
    assert nodes.apt_key_url("1.31.4") == "https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key"


def test_kernel_prerequisites(plan: Plan) -> None:
    files = files_of(plan, "kube-mast02")
    modules = [l for l in files["/etc/modules-load.d/kubernetes.conf"].splitlines() if l and l[0] != "#"]
    assert modules == ["overlay", "br_netfilter"]
    pairs = [
        line.split("=", 1) for line in files["/etc/sysctl.d/10-kubernetes.conf"].splitlines() if line and line[0] != "#"
    ]
    settings = {key.strip(): value.strip() for key, value in pairs}
    assert settings == {
        "net.ipv4.ip_forward": "1",
        "net.bridge.bridge-nf-call-iptables": "1",
        "net.bridge.bridge-nf-call-ip6tables": "1",
    }


def test_kubelet_is_pinned_to_the_machine_address(plan: Plan) -> None:
    for machine in plan.by_role("worker") + plan.by_role("control_plane"):
        text = files_of(plan, machine.name)["/etc/default/kubelet"]
        assert f"KUBELET_EXTRA_ARGS=--node-ip={machine.address}\n" in text


def test_rendering_twice_is_byte_identical(plan: Plan) -> None:
    assert nodes.render(plan, SECRETS) == nodes.render(plan, SECRETS)

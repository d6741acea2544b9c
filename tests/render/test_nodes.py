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


CONTAINERD_2 = "/opt/kubeforge/containerd-2/usr/bin/containerd"
V3_CRI = "io.containerd.cri.v1"


def plan_with(raw: dict[str, Any], **fields: str) -> Plan:
    raw.update(fields)
    return build_plan(ClusterSpec.model_validate(raw))


def containerd_2() -> str:
    """containerd 2.x, unpacked by scripts/install-containerd2.sh (this host's Debian ships 1.6)."""
    if not Path(CONTAINERD_2).exists():
        pytest.fail(f"{CONTAINERD_2} missing: run scripts/install-containerd2.sh (scripts/install.sh does)")
    return CONTAINERD_2


def test_containerd_2_gets_a_version_3_config_with_the_systemd_cgroup_driver(plan: Plan) -> None:
    config = tomllib.loads(files_of(plan, "kube-node01")[CONTAINERD])
    assert config["version"] == 3
    plugins = config["plugins"]
    assert plugins[f"{V3_CRI}.images"]["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10.2"
    runtime = plugins[f"{V3_CRI}.runtime"]
    assert runtime["containerd"]["default_runtime_name"] == "runc"
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True
    assert runtime["cni"] == {"bin_dirs": ["/opt/cni/bin"], "conf_dir": "/etc/cni/net.d"}


@pytest.mark.checkers
def test_containerd_2_accepts_the_version_3_config(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(files_of(plan, "kube-mast01")[CONTAINERD])
    result = checkrun.run([containerd_2(), "--config", str(path), "config", "dump"])
    assert result.returncode == 0, result.stderr
    # containerd warns, and carries on, for keys its plugins do not have: none may be ignored.
    assert "unknown key" not in result.stderr.lower(), result.stderr
    # The dump is containerd's merged view: our values survived its parser.
    assert "SystemdCgroup = true" in result.stdout
    assert "sandbox = 'registry.k8s.io/pause:3.10.2'" in result.stdout
    assert "bin_dirs = ['/opt/cni/bin']" in result.stdout


@pytest.mark.checkers
def test_containerd_2_check_can_fail(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(files_of(plan, "kube-mast01")[CONTAINERD].replace("bin_dirs", "bin_dirz"))
    result = checkrun.run([containerd_2(), "--config", str(path), "config", "dump"])
    assert "unknown key" in result.stderr.lower()


def test_debian_containerd_1_7_gets_a_version_2_config(raw: dict[str, Any]) -> None:
    plan = plan_with(raw, kubernetes_version="1.35", containerd_source="debian")
    files = files_of(plan, "kube-node01")
    config = tomllib.loads(files[CONTAINERD])
    assert config["version"] == 2
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == "registry.k8s.io/pause:3.10.1"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    assert nodes.DOCKER_APT_SOURCE not in files
    assert nodes.containerd_package(plan.spec) == "containerd"


@pytest.mark.checkers
def test_containerd_accepts_the_version_2_config(raw: dict[str, Any], tmp_path: Path) -> None:
    """Debian's containerd on this host (1.6) reads format version 2, as trixie's 1.7 does."""
    plan = plan_with(raw, kubernetes_version="1.35", containerd_source="debian")
    path = tmp_path / "config.toml"
    path.write_text(files_of(plan, "kube-mast01")[CONTAINERD])
    result = checkrun.run([checkrun.need("containerd"), "--config", str(path), "config", "dump"])
    assert result.returncode == 0, result.stderr
    assert "SystemdCgroup = true" in result.stdout
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.1"' in result.stdout


@pytest.mark.parametrize(("version", "pause"), [("1.35", "3.10.1"), ("1.36.3", "3.10.2"), ("1.37", "3.10.2")])
def test_sandbox_image_is_the_pause_kubeadm_pins_for_the_minor(raw: dict[str, Any], version: str, pause: str) -> None:
    plan = plan_with(raw, kubernetes_version=version)
    assert f"sandbox = 'registry.k8s.io/pause:{pause}'" in files_of(plan, "kube-node02")[CONTAINERD]
    assert addon_versions.pause_image(version) == f"registry.k8s.io/pause:{pause}"


def test_golden_containerd_2_path_for_1_36(raw: dict[str, Any]) -> None:
    """Kubernetes 1.36, the first minor that needs containerd 2: Docker's apt source, version 3."""
    goldens.check(nodes.render(plan_with(raw, kubernetes_version="1.36"), SECRETS), "nodes-1.36")


def test_golden_debian_containerd_path_for_1_35(raw: dict[str, Any]) -> None:
    plan = plan_with(raw, kubernetes_version="1.35", containerd_source="debian")
    goldens.check(nodes.render(plan, SECRETS), "nodes-1.35-debian")


def apt_print_uris(tmp_path: Path, name: str, text: str) -> Any:
    parts, lists = tmp_path / "parts", tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    parts.mkdir()
    (parts / name).write_text(text)
    return checkrun.run([
        checkrun.need("apt-get"), "-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={parts}",
        "-o", f"Dir::State::Lists={lists}", "--print-uris", "update",
    ])


@pytest.mark.checkers
def test_apt_reads_the_kubernetes_source(plan: Plan, tmp_path: Path) -> None:
    result = apt_print_uris(tmp_path, "kubernetes.sources", files_of(plan, "kube-node01")[nodes.APT_SOURCE])
    assert result.returncode == 0 and "E:" not in result.stderr, result.stderr
    assert "https://pkgs.k8s.io/core:/stable:/v1.37/deb/InRelease" in result.stdout


@pytest.mark.checkers
def test_apt_reads_the_docker_source(plan: Plan, tmp_path: Path) -> None:
    text = files_of(plan, "kube-node01")[nodes.DOCKER_APT_SOURCE]
    result = apt_print_uris(tmp_path, "docker.sources", text)
    assert result.returncode == 0 and "E:" not in result.stderr, result.stderr
    assert "https://download.docker.com/linux/debian/dists/trixie/InRelease" in result.stdout
    assert f"Signed-By: {nodes.DOCKER_KEYRING}" in text
    assert nodes.containerd_package(plan.spec) == "containerd.io"


def test_apt_source_follows_the_kubernetes_minor(raw: dict[str, Any]) -> None:
    raw["kubernetes_version"] = "1.36.4"
    text = files_of(build_plan(ClusterSpec.model_validate(raw)), "kube-mast01")[nodes.APT_SOURCE]
    assert "URIs: https://pkgs.k8s.io/core:/stable:/v1.36/deb/" in text
    assert f"Signed-By: {nodes.APT_KEYRING}" in text
    assert nodes.apt_key_url("1.36.4") == "https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key"


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

"""kubeadm configs: v1beta4 for every supported target, every key allowed by the upstream Go types
(tests/render/kubeadm_api.py), the HA values the reference needs, and secrets kept secret."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kubeforge.errors import RenderError
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import addons, kubeadm, nodes, storage
from kubeforge.render.artifact import Artifact
from kubeforge.spec.model import ClusterSpec

from . import goldens, kubeadm_api

SECRETS = goldens.fixed_secrets()
GOOD_HASH = "sha256:" + "ab" * 32


def plan_for(raw: dict[str, Any], version: str | None = None) -> Plan:
    if version:
        raw["kubernetes_version"] = version
    return build_plan(ClusterSpec.model_validate(raw))


def documents(artifact: Artifact) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(artifact.text)}


def host_files(plan: Plan) -> dict[str, Artifact]:
    return {a.host or "": a for a in kubeadm.render(plan, SECRETS) if a.host}


def test_default_spec_matches_golden_files(raw: dict[str, Any]) -> None:
    goldens.check(kubeadm.render(plan_for(raw), SECRETS), "kubeadm")


@pytest.mark.parametrize("version", ["1.35", "1.36.2", "1.37"])
def test_every_key_is_a_field_of_the_upstream_types(raw: dict[str, Any], version: str) -> None:
    for artifact in kubeadm.render(plan_for(raw, version), SECRETS):
        for document in yaml.safe_load_all(artifact.text):
            assert kubeadm_api.problems(document) == [], artifact.dest


@pytest.mark.parametrize("version", ["1.35", "1.36", "1.37.1"])
def test_config_api_is_v1beta4_for_every_supported_minor(raw: dict[str, Any], version: str) -> None:
    """kubeadm 1.37 removed v1beta3; every minor upstream still supports reads v1beta4."""
    for artifact in kubeadm.render(plan_for(raw, version), SECRETS):
        kinds = {d["apiVersion"] for d in yaml.safe_load_all(artifact.text) if d["kind"] != "KubeletConfiguration"}
        assert kinds == {"kubeadm.k8s.io/v1beta4"}


@pytest.mark.parametrize("version", ["1.29", "1.30"])
def test_minors_before_v1beta4_are_rejected(version: str) -> None:
    with pytest.raises(RenderError, match="kubernetes_version"):
        kubeadm.api_version(version)


def test_checker_rejects_what_kubeadm_would(raw: dict[str, Any]) -> None:
    """The field checker can fail: v1beta3-style maps in v1beta4, unknown keys, a missing token."""
    init = documents(host_files(plan_for(raw))["kube-mast01"])
    registration = init["InitConfiguration"]["nodeRegistration"]
    registration["kubeletExtraArgs"] = {"node-ip": "192.168.1.1"}
    init["ClusterConfiguration"]["apiServer"]["timeoutForControlPlane"] = "4m0s"  # gone in v1beta4
    del init["InitConfiguration"]["bootstrapTokens"][0]["token"]
    found = kubeadm_api.problems(init["InitConfiguration"]) + kubeadm_api.problems(init["ClusterConfiguration"])
    assert any("kubeletExtraArgs: expected a list" in p for p in found)
    assert any("timeoutForControlPlane: not a field" in p for p in found)
    assert any("bootstrapTokens[0].token: required" in p for p in found)
    kubelet = dict(init["KubeletConfiguration"], cgroupdriver="systemd")
    assert kubeadm_api.problems(kubelet) == ["KubeletConfiguration.cgroupdriver: not a field of KubeletConfiguration"]


def test_first_control_plane_initialises_the_ha_cluster(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    docs = documents(host_files(plan)["kube-mast01"])
    init, cluster = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert cluster["controlPlaneEndpoint"] == "192.168.4.20:6443"
    sans = cluster["apiServer"]["certSANs"]
    assert {"192.168.4.20", "api.kube.local"} <= set(sans)
    for machine in plan.by_role("control_plane"):
        assert {machine.name, machine.fqdn, str(machine.address)} <= set(sans)
    assert cluster["networking"] == {
        "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12", "dnsDomain": "cluster.local",
    }
    assert cluster["kubernetesVersion"] == "stable-1.37"
    assert init["bootstrapTokens"][0]["token"] == SECRETS.kubeadm_token
    assert init["certificateKey"] == SECRETS.kubeadm_certificate_key
    assert init["nodeRegistration"]["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert init["localAPIEndpoint"]["advertiseAddress"] == str(plan.machine("kube-mast01").address)
    assert docs["KubeletConfiguration"]["cgroupDriver"] == "systemd"


def test_a_patch_version_is_pinned_exactly(raw: dict[str, Any]) -> None:
    docs = documents(host_files(plan_for(raw, "1.36.2"))["kube-mast01"])
    assert docs["ClusterConfiguration"]["kubernetesVersion"] == "v1.36.2"


def test_joiners_get_their_own_address_and_role(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    files = host_files(plan)
    for machine in [*plan.by_role("control_plane")[1:], *plan.by_role("worker")]:
        join = documents(files[machine.name])["JoinConfiguration"]
        assert join["nodeRegistration"]["name"] == machine.name
        assert join["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": str(machine.address)}]
        token = join["discovery"]["bootstrapToken"]
        assert token["apiServerEndpoint"] == "192.168.4.20:6443"
        assert token["token"] == SECRETS.kubeadm_token
        assert token["unsafeSkipCAVerification"] is False
        assert token["caCertHashes"] == [kubeadm.CA_CERT_HASH_PLACEHOLDER]
        if machine.role == "control_plane":
            assert join["controlPlane"] == {
                "localAPIEndpoint": {"advertiseAddress": str(machine.address), "bindPort": 6443},
                "certificateKey": SECRETS.kubeadm_certificate_key,
            }
        else:
            assert "controlPlane" not in join


def test_ca_pin_is_filled_by_the_join_phase(raw: dict[str, Any]) -> None:
    join = host_files(plan_for(raw))["kube-node01"]
    filled = kubeadm.with_ca_cert_hash(join.content, GOOD_HASH)
    hashes = documents(Artifact(join.dest, filled))["JoinConfiguration"]["discovery"]["bootstrapToken"]["caCertHashes"]
    assert hashes == [GOOD_HASH]
    with pytest.raises(RenderError):
        kubeadm.with_ca_cert_hash(join.content, "sha256:not-hex")
    with pytest.raises(RenderError):
        kubeadm.with_ca_cert_hash(filled, GOOD_HASH)


def test_every_file_is_secret_and_private(raw: dict[str, Any]) -> None:
    artifacts = kubeadm.render(plan_for(raw), SECRETS)
    assert artifacts and all(a.secret and a.mode == 0o600 for a in artifacts)
    placed = {a.host: a.target for a in artifacts if a.host}
    assert placed["kube-mast01"] == kubeadm.INIT_TARGET
    assert {t for h, t in placed.items() if h != "kube-mast01"} == {kubeadm.JOIN_TARGET}
    cluster = {a.dest: a.content for a in artifacts if a.host is None}
    for artifact in artifacts:
        if artifact.host:
            kind = "init" if artifact.target == kubeadm.INIT_TARGET else "join"
            assert cluster[f"cluster/kubeadm/{kind}-{artifact.host}.yaml"] == artifact.content


def test_rendering_twice_is_byte_identical(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    assert kubeadm.render(plan, SECRETS) == kubeadm.render(plan, SECRETS)


def test_secrets_appear_only_in_secret_artifacts(raw: dict[str, Any]) -> None:
    """Across every renderer of the Kubernetes side: a secret value never lands in a file that
    is not marked secret (such files may be shown in diffs and logs)."""
    plan = plan_for(raw)
    artifacts = [a for r in (nodes, kubeadm, addons, storage) for a in r.render(plan, SECRETS)]
    values = [v.encode() for v in SECRETS.values()]
    leaks = [a.dest for a in artifacts if not a.secret and any(v in a.content for v in values)]
    assert leaks == []
    assert any(SECRETS.kubeadm_token.encode() in a.content for a in artifacts if a.secret)

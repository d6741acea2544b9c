"""Add-ons: every manifest valid for the target Kubernetes (kubernetes-validate, strict), MetalLB's
resources valid against MetalLB's own CRD schemas, and the behaviour the reference wanted with its
errata fixed (CoreDNS on the control plane by patch, least-privilege dashboard login)."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import addon_versions, addons, storage
from kubeforge.render.artifact import Artifact
from kubeforge.spec.model import ClusterSpec

from . import goldens, kube_manifests, metallb_crds

SECRETS = goldens.fixed_secrets()

# kubeadm's CoreDNS Deployment, as cmd/kubeadm/app/phases/addons/dns/manifests.go renders it
# (kubernetes/kubernetes @ 8444b373f0317e050c08d2e52f3714e5f60142c7; taint key and image filled in).
KUBEADM_COREDNS = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      tolerations:
      - {key: CriticalAddonsOnly, operator: Exists}
      - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
      nodeSelector: {kubernetes.io/os: linux}
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.12.0
        args: ["-conf", "/etc/coredns/Corefile"]
        ports: [{containerPort: 53, name: dns, protocol: UDP}]
      dnsPolicy: Default
""")


def plan_for(raw: dict[str, Any]) -> Plan:
    return build_plan(ClusterSpec.model_validate(raw))


def rendered(raw: dict[str, Any]) -> dict[str, Artifact]:
    return {a.dest: a for a in addons.render(plan_for(raw), SECRETS)}


def docs(files: dict[str, Artifact], name: str) -> list[dict[str, Any]]:
    return kube_manifests.objects(files[f"cluster/{name}"])


def by_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["kind"] == kind]


def strategic_merge(target: Any, patch: Any) -> Any:
    """Enough of a strategic merge for this patch: maps merge, lists without a merge key
    (tolerations, nodeSelectorTerms) are replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(target)
        for key, value in patch.items():
            merged[key] = strategic_merge(target.get(key), value)
        return merged
    return copy.deepcopy(patch)


def test_default_spec_matches_golden_files(raw: dict[str, Any]) -> None:
    goldens.check(addons.render(plan_for(raw), SECRETS), "addons")


@pytest.mark.parametrize("version", ["1.35", "1.36", "1.37"])
@pytest.mark.parametrize("dashboard", ["headlamp", "kubernetes-dashboard"])
def test_manifests_are_valid_kubernetes(raw: dict[str, Any], version: str, dashboard: str) -> None:
    raw["kubernetes_version"] = version
    raw["addons"]["dashboard"] = {"kind": dashboard, "namespace": "dashboards"}
    files = rendered(raw)
    for name in (addons.FLANNEL, addons.DASHBOARD):
        for document in docs(files, name):
            kube_manifests.validate(document, version)


def test_flannel_uses_the_pod_cidr_and_pinned_images(raw: dict[str, Any]) -> None:
    raw["network"]["pod_cidr"] = "10.32.0.0/16"
    documents = docs(rendered(raw), addons.FLANNEL)
    config = by_kind(documents, "ConfigMap")[0]["data"]
    assert json.loads(config["net-conf.json"])["Network"] == "10.32.0.0/16"
    json.loads(config["cni-conf.json"])
    pod = by_kind(documents, "DaemonSet")[0]["spec"]["template"]["spec"]
    images = {c["image"] for c in pod["initContainers"] + pod["containers"]}
    assert images == {addon_versions.FLANNEL_IMAGE, addon_versions.FLANNEL_CNI_PLUGIN_IMAGE}


def test_coredns_patch_pins_replicas_to_the_control_plane(raw: dict[str, Any]) -> None:
    patch = yaml.safe_load(rendered(raw)[f"cluster/{addons.COREDNS_PATCH}"].text)
    merged = strategic_merge(KUBEADM_COREDNS, patch)
    kube_manifests.validate(merged, "1.37")
    spec = merged["spec"]
    pod = spec["template"]["spec"]
    assert spec["replicas"] == 3
    assert pod["nodeSelector"]["node-role.kubernetes.io/control-plane"] == ""
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in pod["tolerations"]
    [term] = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term == {"labelSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "topologyKey": "kubernetes.io/hostname"}
    assert "node-role.kubernetes.io/master" not in rendered(raw)[f"cluster/{addons.COREDNS_PATCH}"].text.split(
        "spec:"
    )[1]


def test_coredns_patch_follows_the_spec(raw: dict[str, Any]) -> None:
    raw["addons"]["coredns"] = {"replicas": 5, "node_selector": {"dns": "yes"}}
    patch = yaml.safe_load(rendered(raw)[f"cluster/{addons.COREDNS_PATCH}"].text)
    assert patch["spec"]["replicas"] == 5
    assert patch["spec"]["template"]["spec"]["nodeSelector"] == {"dns": "yes"}


@pytest.mark.parametrize(("access", "role"), [("view", "view"), ("admin", "cluster-admin")])
@pytest.mark.parametrize("namespace", ["kube-system", "dashboards"])
def test_dashboard_login_is_least_privilege_and_in_its_namespace(
    raw: dict[str, Any], access: str, role: str, namespace: str
) -> None:
    raw["addons"]["dashboard"] = {"kind": "headlamp", "access": access, "namespace": namespace}
    documents = docs(rendered(raw), addons.DASHBOARD)
    [account] = by_kind(documents, "ServiceAccount")
    [binding] = by_kind(documents, "ClusterRoleBinding")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}
    # ERRATA 4: the subject is the ServiceAccount that exists, in its own namespace.
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": account["metadata"]["namespace"]}
    ]
    assert account["metadata"]["namespace"] == namespace
    assert by_kind(documents, "Secret") == []  # tokens come from `kubectl create token`
    [deployment] = by_kind(documents, "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == addon_versions.HEADLAMP_IMAGE
    assert len(by_kind(documents, "Namespace")) == (namespace != "kube-system")


def test_kubernetes_dashboard_only_adds_the_login_identity(raw: dict[str, Any]) -> None:
    raw["addons"]["dashboard"] = {"kind": "kubernetes-dashboard"}
    files = rendered(raw)
    kinds = {d["kind"] for d in docs(files, addons.DASHBOARD)}
    assert kinds == {"ServiceAccount", "ClusterRoleBinding"}
    step = next(s for s in yaml.safe_load(files[f"cluster/{addons.ORDER}"].text)["steps"] if s["name"] == "kubernetes-dashboard")
    assert step["apply_urls"] == [addon_versions.KUBERNETES_DASHBOARD_MANIFEST_URL]


def test_no_dashboard_renders_nothing_for_it(raw: dict[str, Any]) -> None:
    raw["addons"]["dashboard"] = {"kind": "none"}
    files = rendered(raw)
    assert f"cluster/{addons.DASHBOARD}" not in files
    names = [s["name"] for s in yaml.safe_load(files[f"cluster/{addons.ORDER}"].text)["steps"]]
    assert "headlamp" not in names and "kubernetes-dashboard" not in names


def test_metallb_resources_match_metallb_crds(raw: dict[str, Any]) -> None:
    documents = docs(rendered(raw), addons.METALLB_POOL)
    for document in documents:
        metallb_crds.validate(document)
    [pool] = by_kind(documents, "IPAddressPool")
    [l2] = by_kind(documents, "L2Advertisement")
    assert pool["spec"]["addresses"] == ["192.168.2.10-192.168.2.49"]
    assert l2["spec"]["ipAddressPools"] == [pool["metadata"]["name"]]
    # Announced only from worker machines' node-subnet NIC, where the pool's addresses live.
    assert l2["spec"]["interfaces"] == ["node0"]
    assert l2["spec"]["nodeSelectors"] == [
        {"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}]}
    ]
    assert {d["metadata"]["namespace"] for d in documents} == {"metallb-system"}


def test_metallb_schema_check_can_fail(raw: dict[str, Any]) -> None:
    [pool] = by_kind(docs(rendered(raw), addons.METALLB_POOL), "IPAddressPool")
    broken = copy.deepcopy(pool)
    broken["spec"]["adresses"] = broken["spec"].pop("addresses")
    with pytest.raises(jsonschema.ValidationError):
        metallb_crds.validate(broken)


def test_metallb_off_renders_no_pool(raw: dict[str, Any]) -> None:
    raw["addons"]["metallb"] = False
    files = rendered(raw)
    assert f"cluster/{addons.METALLB_POOL}" not in files
    assert "metallb" not in files[f"cluster/{addons.ORDER}"].text


def test_order_names_only_rendered_files_and_pinned_urls(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    cluster = {a.dest.removeprefix("cluster/") for a in addons.render(plan, SECRETS) + storage.render(plan, SECRETS)}
    steps = yaml.safe_load(rendered(raw)[f"cluster/{addons.ORDER}"].text)["steps"]
    assert [s["name"] for s in steps] == [
        "flannel", "coredns", "metallb", "metallb-pool", "headlamp", "csi-driver-nfs", "storage-class",
    ]
    for step in steps:
        assert set(step.get("apply", [])) <= cluster
        if "patch" in step:
            assert step["patch"]["file"] in cluster
        for url in step.get("apply_urls", []):
            assert url.startswith("https://raw.githubusercontent.com/") and "/v" in url


def test_rendering_twice_is_byte_identical(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    assert addons.render(plan, SECRETS) == addons.render(plan, SECRETS)

"""Cluster add-ons, applied with kubectl once the control plane is up: flannel, the CoreDNS patch,
the dashboard with a least-privilege login identity, and MetalLB's address pool. Versions live in
addon_versions; `addons/order.yaml` tells the add-ons phase what to apply, in which order."""

from __future__ import annotations

from typing import Any

import yaml

from kubeforge.errors import RenderError
from kubeforge.plan.model import Plan, PlannedSubnet
from kubeforge.render import addon_versions, storage, templating
from kubeforge.render.artifact import Artifact, cluster_file
from kubeforge.render.secrets import Secrets

COMPONENT = "addons"
CNI_COMPONENT = "cni"  # the pod network is applied first, on its own (the engine's cni phase)
FLANNEL = "cni/flannel.yaml"
COREDNS_PATCH = "addons/coredns-patch.yaml"
DASHBOARD = "addons/dashboard.yaml"
METALLB_POOL = "addons/metallb-pool.yaml"
ORDER = "addons/order.yaml"
DASHBOARD_ACCOUNT = "kubeforge-dashboard"
METALLB_POOL_NAME = "default"


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    files = {FLANNEL: _flannel(plan), COREDNS_PATCH: _coredns_patch(plan)}
    if plan.spec.addons.dashboard.kind != "none":
        files[DASHBOARD] = _dashboard(plan)
    if plan.spec.addons.metallb:
        files[METALLB_POOL] = _metallb_pool(plan)
    files[ORDER] = templating.render("addons/order.yaml.j2", steps_yaml=_order_yaml(plan))
    return [cluster_file(_component(name), name, text) for name, text in files.items()]


def _component(name: str) -> str:
    return CNI_COMPONENT if name == FLANNEL else COMPONENT


def _flannel(plan: Plan) -> str:
    return templating.render(
        "addons/flannel.yaml.j2",
        flannel_version=addon_versions.FLANNEL_VERSION,
        flannel_image=addon_versions.FLANNEL_IMAGE,
        cni_plugin_image=addon_versions.FLANNEL_CNI_PLUGIN_IMAGE,
        pod_network=str(plan.network.pod_cidr),
    )


def _coredns_patch(plan: Plan) -> str:
    coredns = plan.spec.addons.coredns
    return templating.render(
        "addons/coredns-patch.yaml.j2", replicas=coredns.replicas, node_selector=coredns.node_selector
    )


def _dashboard(plan: Plan) -> str:
    dashboard = plan.spec.addons.dashboard
    headlamp = dashboard.kind == "headlamp"
    return templating.render(
        "addons/dashboard.yaml.j2",
        kind=dashboard.kind,
        version=addon_versions.HEADLAMP_VERSION if headlamp else addon_versions.KUBERNETES_DASHBOARD_VERSION,
        image=addon_versions.HEADLAMP_IMAGE,
        manifest_url=addon_versions.KUBERNETES_DASHBOARD_MANIFEST_URL,
        namespace=dashboard.namespace,
        account=DASHBOARD_ACCOUNT,
        # Read-only unless the spec says `access: admin` (ERRATA 4: cluster-admin is far more
        # than a read-mostly UI needs).
        role="cluster-admin" if dashboard.access == "admin" else "view",
    )


def _metallb_pool(plan: Plan) -> str:
    subnet = _pool_subnet(plan)
    return templating.render(
        "addons/metallb-pool.yaml.j2",
        version=addon_versions.METALLB_VERSION,
        manifest_url=addon_versions.METALLB_MANIFEST_URL,
        pool_name=METALLB_POOL_NAME,
        addresses=str(plan.network.metallb_pool),
        subnet=subnet.name,
        interface=subnet.interface,
    )


def _pool_subnet(plan: Plan) -> PlannedSubnet:
    start = plan.network.metallb_pool.start
    for subnet in plan.subnets.values():
        if start in subnet.cidr:
            return subnet
    raise RenderError(
        f"network.metallb_pool: {plan.network.metallb_pool} lies in no subnet; put it in the node "
        "subnet, outside its DHCP pool"
    )


def _order_yaml(plan: Plan) -> str:
    return yaml.safe_dump({"steps": steps(plan)}, sort_keys=False, default_flow_style=False)


def steps(plan: Plan) -> list[dict[str, Any]]:
    """The add-ons phase's recipe, in order. Pure data: the phase owns kubectl."""
    result: list[dict[str, Any]] = [
        {"name": "flannel", "apply": [FLANNEL], "wait": _wait("daemonset", "kube-flannel", "kube-flannel-ds")},
        {
            "name": "coredns",
            "patch": {"namespace": "kube-system", "deployment": "coredns", "type": "strategic", "file": COREDNS_PATCH},
            "wait": _wait("deployment", "kube-system", "coredns"),
        },
    ]
    if plan.spec.addons.metallb:
        result += [
            {
                "name": "metallb",
                "apply_urls": [addon_versions.METALLB_MANIFEST_URL],
                "wait": _wait("deployment", "metallb-system", "controller"),
            },
            {"name": "metallb-pool", "apply": [METALLB_POOL]},
        ]
    result += _dashboard_steps(plan) + storage.steps(plan)
    return result


def _dashboard_steps(plan: Plan) -> list[dict[str, Any]]:
    dashboard = plan.spec.addons.dashboard
    if dashboard.kind == "none":
        return []
    if dashboard.kind == "headlamp":
        return [{"name": "headlamp", "apply": [DASHBOARD], "wait": _wait("deployment", dashboard.namespace, "headlamp")}]
    return [
        {
            "name": "kubernetes-dashboard",
            "apply_urls": [addon_versions.KUBERNETES_DASHBOARD_MANIFEST_URL],
            "apply": [DASHBOARD],
            "wait": _wait("deployment", "kubernetes-dashboard", "kubernetes-dashboard"),
        }
    ]


def _wait(kind: str, namespace: str, name: str) -> dict[str, str]:
    return {"kind": kind, "namespace": namespace, "name": name}

"""Pins kept consistent with each other: image tags match the pinned versions, the templates take
their images only from the pins, and every URL a machine fetches is built from a pin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.node_prereqs import NodePrereqs
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import addon_versions as pins
from kubeforge.render import addons, nodes, storage
from kubeforge.spec import versions
from kubeforge.spec.model import ClusterSpec

from . import goldens, kube_manifests

SECRETS = goldens.fixed_secrets()
TEMPLATES = Path(nodes.__file__).parent / "templates"
URL = re.compile(r"https?://[^\s\"'<>]+")


def plan_of(raw: dict[str, Any], **fields: Any) -> Plan:
    raw.update(fields)
    return build_plan(ClusterSpec.model_validate(raw))


def pinned_urls(spec: ClusterSpec) -> set[str]:
    """Every URL kubeforge may make a machine fetch, each built from a pin."""
    version = spec.kubernetes_version
    return {
        nodes.repo_url(version), nodes.apt_key_url(version), nodes.DOCKER_REPO_URL, nodes.DOCKER_KEY_URL,
        pins.METALLB_MANIFEST_URL, pins.KUBERNETES_DASHBOARD_MANIFEST_URL, *pins.CSI_DRIVER_NFS_MANIFEST_URLS,
    }


def fetched_urls(plan: Plan) -> set[str]:
    """What machines fetch: add-on manifests by URL, apt sources, keys fetched by node-prereqs."""
    steps = yaml.safe_load(next(a for a in addons.render(plan, SECRETS) if a.dest.endswith(addons.ORDER)).text)
    found = {url for step in steps["steps"] for url in step.get("apply_urls", [])}
    rendered = nodes.render(plan, SECRETS)
    for artifact in rendered:
        found |= {line.split(None, 1)[1] for line in artifact.text.splitlines() if line.startswith("URIs:")}
    context = Context(plan, tuple(rendered), SECRETS)
    manifest = NodePrereqs().plan(context, plan.by_role("worker")[0].name)
    found |= {url for op in manifest.ops if op.kind == "command" for url in URL.findall(op.args["cmd"])}
    return found


@pytest.mark.parametrize("fields", [{}, {"kubernetes_version": "1.35", "containerd_source": "debian"},
                                    {"addons": {"dashboard": {"kind": "kubernetes-dashboard"}}}])
def test_every_url_a_machine_fetches_is_built_from_a_pin(raw: dict[str, Any], fields: dict[str, Any]) -> None:
    plan = plan_of(raw, **fields)
    fetched = fetched_urls(plan)
    assert fetched and fetched <= pinned_urls(plan.spec)
    assert nodes.repo_url(plan.spec.kubernetes_version) in fetched


def test_docker_repository_only_with_containerd_io(raw: dict[str, Any]) -> None:
    assert nodes.DOCKER_KEY_URL in fetched_urls(plan_of(raw))
    debian = fetched_urls(plan_of(raw, kubernetes_version="1.35", containerd_source="debian"))
    assert not any(url.startswith(nodes.DOCKER_REPO_URL) for url in debian)


def test_containerd_io_comes_after_its_source_and_before_its_config(raw: dict[str, Any]) -> None:
    plan = plan_of(raw)
    rendered = nodes.render(plan, SECRETS)
    ops = NodePrereqs().plan(Context(plan, tuple(rendered), SECRETS), "kube-node01").ops
    index = {op.id: i for i, op in enumerate(ops)}
    package = f"packages:{nodes.containerd_package(plan.spec)}"
    assert index["cmd:docker-apt-key"] < index[f"file:{nodes.DOCKER_APT_SOURCE}"] < index["cmd:docker-apt-update"]
    assert index["cmd:docker-apt-update"] < index[package] < index[f"file:{nodes.CONTAINERD_CONFIG}"]
    first = next(op for op in ops if op.kind == "package")
    assert "containerd" not in first.args["names"]  # containerd.io conflicts with Debian's
    assert len(index) == len(ops)


def test_image_tags_match_the_pinned_versions() -> None:
    assert pins.FLANNEL_IMAGE.endswith(f":{pins.FLANNEL_VERSION}")
    assert pins.FLANNEL_CNI_PLUGIN_IMAGE.endswith(f":{pins.FLANNEL_CNI_PLUGIN_VERSION}")
    assert pins.HEADLAMP_IMAGE.endswith(f":{pins.HEADLAMP_VERSION}")
    assert all(image.endswith(f":{pins.METALLB_VERSION}") for image in pins.METALLB_IMAGES)
    assert f"/{pins.METALLB_VERSION}/" in pins.METALLB_MANIFEST_URL
    assert f"/{pins.KUBERNETES_DASHBOARD_VERSION}/" in pins.KUBERNETES_DASHBOARD_MANIFEST_URL
    assert all(url.count(f"/{pins.CSI_DRIVER_NFS_VERSION}/") == 2 for url in pins.CSI_DRIVER_NFS_MANIFEST_URLS)


def test_rendered_images_are_exactly_the_pinned_ones(raw: dict[str, Any]) -> None:
    plan = plan_of(raw)
    images = set()
    for artifact in addons.render(plan, SECRETS) + storage.render(plan, SECRETS):
        if artifact.dest.endswith(".yaml") and not artifact.dest.endswith(addons.ORDER):
            images |= {value for doc in kube_manifests.objects(artifact) for value in _images(doc)}
    assert images == {pins.FLANNEL_IMAGE, pins.FLANNEL_CNI_PLUGIN_IMAGE, pins.HEADLAMP_IMAGE}


def _images(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["image"]] if isinstance(node.get("image"), str) else []
        return own + [i for value in node.values() for i in _images(value)]
    if isinstance(node, list):
        return [i for value in node for i in _images(value)]
    return []


def test_templates_take_images_and_urls_only_from_pins() -> None:
    """A version written into a template would silently outlive a bump of its pin (the templates
    of what kubeforge deploys on Kubernetes machines)."""
    for template in (t for d in ("addons", "nodes", "kubeadm", "storage") for t in (TEMPLATES / d).glob("*.j2")):
        text = "\n".join(line for line in template.read_text().splitlines() if not line.lstrip().startswith("#"))
        assert not re.search(r"^\s*-?\s*image:\s*[a-z]", text, re.MULTILINE), template
        assert not re.search(r"https?://", text), template


@pytest.mark.parametrize("minor", range(35, 40))
def test_every_supported_minor_has_a_pause_image(minor: int) -> None:
    assert pins.pause_image(f"1.{minor}").startswith(f"{pins.PAUSE_REPOSITORY}:3.")
    known = [m for m in versions.KUBERNETES_EOL if m >= min(pins.PAUSE_VERSIONS)]
    assert set(known) <= set(pins.PAUSE_VERSIONS)


def test_manifest_ops_are_unique(raw: dict[str, Any]) -> None:
    plan = plan_of(raw)
    ops = NodePrereqs().plan(Context(plan, tuple(nodes.render(plan, SECRETS)), SECRETS), "kube-mast01").ops
    assert len({op.id for op in ops}) == len(ops)
    assert isinstance(ops[0], m.Op)

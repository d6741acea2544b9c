"""`kubeforge upgrade --to 1.N`: the version-skew rules, and the ordered phases
(`phases.upgrade`) for the spec's machines.

Rules (upstream's version skew policy and kubeadm's upgrade guide): one minor at a time, never
down; a minor kubeforge knows (schemas to validate against); the containerd major the target
needs (containerd 2 from 1.36 on). The order enforces the rest: kubeadm before the kubelet on
every node, every control plane before any worker (no kubelet newer than an API server).
"""

from __future__ import annotations

import re

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import upgrade as steps
from kubeforge.bootstrap.phases.kube import first_control_plane
from kubeforge.bootstrap.phases.steps import Steps
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import nodes
from kubeforge.spec import versions
from kubeforge.spec.model import ClusterSpec

MINOR = re.compile(r"^1\.(0|[1-9][0-9]*)$")


def skew_problems(spec: ClusterSpec, to: str, newest: int | None = None) -> list[str]:
    """Every reason the upgrade from the spec's version to `to` is refused ([] if none)."""
    if not MINOR.match(to):
        return [f"--to {to!r}: write the target minor as 1.N, e.g. --to 1.{_minor(spec) + 1}"]
    current, target = _minor(spec), versions.kubernetes_minor(to)
    newest = versions.newest_minor() if newest is None else newest
    problems = []
    if target <= current:
        problems.append(f"--to {to}: the spec's kubernetes_version is 1.{current}; "
                        + ("already there" if target == current else "downgrades are not "
                           "supported (kubeadm cannot go back a minor)"))
    elif target > current + 1:
        problems.append(f"--to {to}: one minor at a time (version skew policy); upgrade to "
                        f"1.{current + 1} first, then to {to}")
    if target > newest:
        problems.append(f"--to {to}: kubeforge knows Kubernetes up to 1.{newest} (the schemas "
                        "it validates against); update kubeforge first")
    problems += _containerd_problems(spec, target)
    return problems


def _minor(spec: ClusterSpec) -> int:
    return versions.kubernetes_minor(spec.kubernetes_version)


def _containerd_problems(spec: ClusterSpec, target: int) -> list[str]:
    if target < versions.CONTAINERD_2_FROM_MINOR:
        return []
    found = versions.containerd_version(spec.containerd_source, spec.debian_release)
    if found.startswith("2"):
        return []
    return [(f"containerd_source: 1.{target} needs containerd 2 and the nodes run {found} "
             f"(`{spec.containerd_source}` on {spec.debian_release}); set containerd_source: "
             "docker and `kubeforge apply --phase node-prereqs` first")]


def target_plan(spec: ClusterSpec, to: str) -> Plan:
    return build_plan(spec.model_copy(update={"kubernetes_version": to}))


def target_context(ctx: Context, to: str) -> Context:
    """The machines as the target version renders them (only the nodes' files are needed)."""
    plan = target_plan(ctx.plan.spec, to)
    rendered = nodes.render(plan, ctx.secrets) if ctx.secrets is not None else []
    return Context(plan, tuple(rendered), ctx.secrets,
                   kubernetes_binaries=ctx.kubernetes_binaries)


def phases(ctx: Context, to: str, parallel: int) -> list[Steps]:
    """Control planes first (the first with `upgrade apply`, then one at a time), then the
    workers in batches of `parallel`."""
    planes = ctx.hosts_with_role("control_plane")
    workers = ctx.hosts_with_role("worker")
    first = first_control_plane(ctx)[0]
    found = [steps.apt_source(planes + workers), steps.first_control_plane(to, first)]
    if planes[1:]:
        found.append(steps.other_control_planes(to, planes[1:]))
    for number, start in enumerate(range(0, len(workers), parallel), 1):
        found += steps.worker_batch(to, first, workers[start:start + parallel], number)
    return found

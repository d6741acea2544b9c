"""Shared by the Kubernetes phases: the admin kubeconfig, and turning the add-ons recipe
(`render.addons.steps`: apply files, apply URLs, patch, wait) into guarded ops."""

from __future__ import annotations

import shlex
from typing import Any

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context

ADMIN_CONF = "/etc/kubernetes/admin.conf"
KUBECTL = f"kubectl --kubeconfig {ADMIN_CONF}"
MANIFESTS = "/etc/kubeforge/manifests"
APPLY = f"{KUBECTL} apply --server-side --force-conflicts --field-manager=kubeforge -f"


def first_control_plane(ctx: Context) -> list[str]:
    return ctx.hosts_with_role("control_plane")[:1]


def step_ops(ctx: Context, step: dict[str, Any]) -> list[m.Op]:
    """One recipe step. Server-side apply with one field manager is idempotent and merges,
    so a re-run patches instead of failing on existing objects (ERRATA 8: no edit-and-replace).
    Every op is guarded: a converged cluster reports nothing to do."""
    name, wait = step["name"], step.get("wait")
    exists = _exists(wait) if wait else None
    ops = [m.command(f"{name}:url:{url}", f"{APPLY} {shlex.quote(url)}", unless=exists)
           for url in step.get("apply_urls", [])]
    for file_name in step.get("apply", []):
        placed = _placed(ctx, file_name)
        ops += [placed, m.command(f"{name}:apply:{file_name}",
                                  f"{APPLY} {placed.args['path']}", on_change=[placed])]
    if "patch" in step:
        patch = step["patch"]
        placed = _placed(ctx, patch["file"])
        ops += [placed, m.command(
            f"{name}:patch", f"{KUBECTL} -n {patch['namespace']} patch deployment "
            f"{patch['deployment']} --type {patch['type']} --patch-file {placed.args['path']}",
            on_change=[placed])]
    if wait:
        ops.append(m.command(f"{name}:wait", _rollout(wait, "300s"),
                             unless=_rollout(wait, "1s")))
    return ops


def _placed(ctx: Context, file_name: str) -> m.Op:
    artifact = ctx.cluster_file(file_name)
    if artifact is None:
        raise KeyError(f"cluster/{file_name} was not rendered")
    return m.file(f"{MANIFESTS}/{file_name}", artifact.content, mode=0o600,
                  secret=artifact.secret)


def _exists(wait: dict[str, str]) -> str:
    return f"{KUBECTL} -n {wait['namespace']} get {wait['kind']} {wait['name']} >/dev/null 2>&1"


def _rollout(wait: dict[str, str], timeout: str) -> str:
    return (f"{KUBECTL} -n {wait['namespace']} rollout status {wait['kind']}/{wait['name']} "
            f"--timeout={timeout}")

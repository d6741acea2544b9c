"""The engine's inputs for a workspace and a route, built one way for `apply` and every
day-2 command: the plan, every rendered file and the secrets; where no Kubernetes binaries
exist (the lab), also the certificates of the etcd stand-in (kubeadm makes them elsewhere)."""

from __future__ import annotations

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.plan.model import Plan
from kubeforge.render import bundle, etcd_pki
from kubeforge.workspace import Workspace


def context(ws: Workspace, plan: Plan, reach: Reach) -> Context:
    secrets = ws.secrets()
    artifacts = bundle.render_all(plan, secrets)
    if not reach.kubernetes_binaries:
        artifacts += etcd_pki.artifacts(ws.state_dir, plan)
    return Context(plan, tuple(artifacts), secrets,
                   kubernetes_binaries=reach.kubernetes_binaries)

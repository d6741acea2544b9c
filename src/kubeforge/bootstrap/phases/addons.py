"""addons: CoreDNS patch, MetalLB and its pool, the dashboard — the add-ons recipe in order,
from the first master (the pod network and storage steps have their own phases)."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.cni import CNI_STEPS
from kubeforge.bootstrap.phases.kube import first_control_plane, step_ops
from kubeforge.render import addons, storage


class Addons(Phase):
    name = "addons"
    title = "CoreDNS placement, MetalLB, dashboard"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return first_control_plane(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        elsewhere = set(CNI_STEPS) | {s["name"] for s in storage.steps(ctx.plan)}
        steps = [s for s in addons.steps(ctx.plan) if s["name"] not in elsewhere]
        return m.Manifest([op for step in steps for op in step_ops(ctx, step)])

"""cni: the pod network (flannel) from the first control-plane machine, before any join."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.kube import first_control_plane, step_ops
from kubeforge.render import addons

CNI_STEPS = ("flannel",)


def cni_steps(ctx: Context) -> list[dict[str, object]]:
    return [s for s in addons.steps(ctx.plan) if s["name"] in CNI_STEPS]


class Cni(Phase):
    name = "cni"
    title = "pod network"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return first_control_plane(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest([op for step in cni_steps(ctx) for op in step_ops(ctx, step)])

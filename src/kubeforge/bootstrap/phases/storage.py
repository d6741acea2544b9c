"""storage: the cluster side of storage (csi-driver-nfs, the StorageClass), from the first
master, once the gluster volume and its NFS export exist."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.kube import first_control_plane, step_ops
from kubeforge.render import storage


class Storage(Phase):
    name = "storage"
    title = "CSI NFS driver and StorageClass"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return first_control_plane(ctx) if storage.steps(ctx.plan) else []

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        steps = storage.steps(ctx.plan)
        return m.Manifest([op for step in steps for op in step_ops(ctx, step)])

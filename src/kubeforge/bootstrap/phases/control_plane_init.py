"""control-plane-init: `kubeadm init --upload-certs` on the first control-plane machine."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files
from kubeforge.bootstrap.phases.kube import ADMIN_CONF, first_control_plane
from kubeforge.render import kubeadm


class ControlPlaneInit(Phase):
    name = "control-plane-init"
    title = "kubeadm init on the first control-plane machine"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return first_control_plane(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        config = [op for op in files(ctx.host_files(host, "kubeadm"))
                  if op.args["path"] == kubeadm.INIT_TARGET]
        # The certificate key travels in the config file, never on the command line.
        init = m.command("kubeadm-init", f"kubeadm init --config {kubeadm.INIT_TARGET} "
                         "--upload-certs", creates=ADMIN_CONF)
        return m.Manifest([*config, init])

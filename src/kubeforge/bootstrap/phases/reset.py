"""`kubeforge reset`: Kubernetes off the machines, the machines kept (the inverse of apply's
Kubernetes phases; `destroy` is the inverse of `up`). Workers first, then the control planes:
`kubeadm reset`, the CNI config, the kubeconfigs and manifests kubeforge placed, the held
Kubernetes packages and their apt source. containerd, kernel modules and sysctl settings stay
(the node-prereqs baseline; a later apply finds them converged). On the lab, the etcd
stand-in is reset too (as `kubeadm reset` clears a stacked member), for real."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.kube import MANIFESTS
from kubeforge.bootstrap.phases.node_ops import reset_ops
from kubeforge.bootstrap.phases.node_prereqs import KUBE_PACKAGES
from kubeforge.bootstrap.phases.steps import Steps
from kubeforge.render import etcd, nodes

PACKAGES = " ".join(KUBE_PACKAGES)


def cleanup_ops(ctx: Context, host: str) -> list[m.Op]:
    return [*reset_ops(ctx, host),
            m.command("kubeforge-manifests-clear", f"rm -rf {MANIFESTS}",
                      unless=f"[ ! -e {MANIFESTS} ]"),
            m.command("kube-packages-purge", f"apt-mark unhold {PACKAGES} && "
                      f"apt-get purge -y -q {PACKAGES}",
                      unless="! dpkg-query -W -f='${Status}\\n' " + PACKAGES +
                      " 2>/dev/null | grep -q 'ok installed'"),
            m.command("kubernetes-apt-source-remove",
                      f"rm -f {nodes.APT_SOURCE} {nodes.APT_KEYRING} && apt-get update -q",
                      unless=f"[ ! -e {nodes.APT_SOURCE} ]")]


def etcd_standin_ops(ctx: Context, host: str) -> list[m.Op]:
    return [m.service("etcd", enabled=False, active=False),
            m.command("etcd-data-clear", f"rm -rf {etcd.DATA_DIR}/member",
                      unless=f"[ ! -e {etcd.DATA_DIR}/member ]"),
            m.command("etcd-standin-clear", f"rm -f {etcd.DROPIN} && rm -rf /etc/kubernetes/pki "
                      "&& systemctl daemon-reload",
                      unless=f"[ ! -e {etcd.DROPIN} ] && [ ! -e /etc/kubernetes/pki ]")]


def phases(ctx: Context) -> list[Steps]:
    workers, planes = ctx.hosts_with_role("worker"), ctx.hosts_with_role("control_plane")
    found = [Steps("reset-workers", "kubeadm reset and Kubernetes packages off the workers",
                   workers, cleanup_ops, needs_kubernetes=True),
             Steps("reset-control-planes", "kubeadm reset and Kubernetes packages off the "
                   "control planes", planes, cleanup_ops, needs_kubernetes=True)]
    if not ctx.kubernetes_binaries:
        found.append(Steps("reset-etcd-standin", "the lab's etcd stand-in stopped and cleared",
                           planes, etcd_standin_ops))
    return found

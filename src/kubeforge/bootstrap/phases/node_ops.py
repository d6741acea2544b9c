"""The Kubernetes steps of removing a node (after the upstream procedure): drain it from a
control plane that stays, `kubeadm reset` on it, delete the Node object. Every step is guarded
by what the cluster reports, so a re-run after an interruption skips what is done. These need
kubeadm/kubectl: dry-run only on the lab."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.kube import KUBECTL
from kubeforge.bootstrap.phases.steps import Steps

KUBELET_CONF = "/etc/kubernetes/kubelet.conf"
APISERVER_POD = "/etc/kubernetes/manifests/kube-apiserver.yaml"


def absent(node: str) -> str:
    """True only when the API server says the Node does not exist (unreachable: not absent)."""
    return f"{KUBECTL} get node {node} 2>&1 | grep -q NotFound"


def drain(via: str, node: str) -> Steps:
    def ops(ctx: Context, host: str) -> list[m.Op]:
        return [m.command(f"drain:{node}", f"{KUBECTL} drain {node} --ignore-daemonsets "
                          "--delete-emptydir-data --timeout=300s", unless=absent(node))]

    return Steps("drain", f"drain {node} (its pods move to the other nodes)", [via], ops,
                 needs_kubernetes=True)


def reset_ops(ctx: Context, host: str) -> list[m.Op]:
    """`kubeadm reset` and what it leaves for the operator to remove (its own closing note)."""
    return [m.command("kubeadm-reset", "kubeadm reset --force",
                      unless=f"[ ! -e {KUBELET_CONF} ] && [ ! -e {APISERVER_POD} ]"),
            m.command("cni-config-clear", "rm -rf /etc/cni/net.d",
                      unless="[ ! -e /etc/cni/net.d ]")]


def kubeadm_reset(node: str) -> Steps:
    return Steps("kubeadm-reset", f"kubeadm reset on {node}", [node], reset_ops,
                 needs_kubernetes=True)


def delete_node(via: str, node: str) -> Steps:
    def ops(ctx: Context, host: str) -> list[m.Op]:
        return [m.command(f"delete-node:{node}", f"{KUBECTL} delete node {node}",
                          unless=absent(node))]

    return Steps("delete-node", f"delete the Node object {node}", [via], ops,
                 needs_kubernetes=True)

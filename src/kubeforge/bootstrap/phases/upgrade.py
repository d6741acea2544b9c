"""The steps of a Kubernetes minor upgrade, after the upstream kubeadm procedure: the apt source
moved to the new minor; on the first control plane kubeadm, `kubeadm upgrade plan` and
`apply`, then its kubelet; the other control planes one at a time with `kubeadm upgrade node`;
the workers in batches (drained from the first control plane, upgraded, uncordoned once their
kubelet is Ready). On every node kubeadm comes first and the kubelet last, so no kubelet is ever
newer than the API servers. Each step leaves a marker (/var/lib/kubeforge/upgrade/v1.N/), so an
interrupted upgrade resumes where it stopped."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import files, under
from kubeforge.bootstrap.phases.kube import KUBECTL
from kubeforge.bootstrap.phases.node_prereqs import FETCH
from kubeforge.bootstrap.phases.steps import Steps
from kubeforge.render import nodes

MARKERS = "/var/lib/kubeforge/upgrade"
NEW_KUBEADM = "\"$(kubeadm version -o short)\""


def once(to: str, step: str, cmd: str) -> m.Op:
    """A step that runs once per upgrade on its host: a marker records that it succeeded."""
    marker = f"{MARKERS}/v{to}/{step}.done"
    return m.command(f"upgrade-{to}:{step}",
                     f"{cmd} && mkdir -p {MARKERS}/v{to} && touch {marker}", creates=marker)


def install(to: str, *packages: str) -> str:
    """Unhold, install the newest patch of the new minor, hold again (upstream's sequence)."""
    names = " ".join(packages)
    pinned = " ".join(f"'{p}={to}.*'" for p in packages)
    return (f"apt-mark unhold {names} && apt-get install -y -q {pinned} && "
            f"apt-mark hold {names}")


def source_ops(ctx: Context, host: str) -> list[m.Op]:
    """The pkgs.k8s.io source of the new minor (rendered as apply renders it), its key."""
    rendered = under(files(ctx.host_files(host, nodes.COMPONENT)), nodes.APT_SOURCE)
    version = ctx.plan.spec.kubernetes_version
    return [*rendered,
            m.command(f"kubernetes-apt-key-{version}", FETCH.format(
                url=nodes.apt_key_url(version), dest=nodes.APT_KEYRING), on_change=rendered),
            m.command("apt-update", "apt-get update -q", on_change=rendered)]


def kubelet_ops(to: str, node: str) -> list[m.Op]:
    return [once(to, "kubelet", install(to, "kubelet", "kubectl")),
            once(to, "kubelet-restart", "systemctl daemon-reload && systemctl restart kubelet")]


def drain_op(to: str, node: str) -> m.Op:
    return once(to, f"drain-{node}", f"{KUBECTL} drain {node} --ignore-daemonsets "
                "--delete-emptydir-data --timeout=300s")


def uncordon_op(to: str, node: str) -> m.Op:
    return once(to, f"uncordon-{node}", f"{KUBECTL} wait --for=condition=Ready node/{node} "
                f"--timeout=300s && {KUBECTL} uncordon {node}")


def apt_source(hosts: list[str]) -> Steps:
    return Steps("upgrade-apt-source", "pkgs.k8s.io source moved to the new minor (packages "
                 "stay held)", hosts, source_ops, needs_kubernetes=True)


def first_control_plane(to: str, host: str) -> Steps:
    def ops(ctx: Context, node: str) -> list[m.Op]:
        return [once(to, "kubeadm", install(to, "kubeadm")),
                once(to, "upgrade-plan", "kubeadm upgrade plan"),
                once(to, "upgrade-apply", f"kubeadm upgrade apply -y {NEW_KUBEADM}"),
                drain_op(to, node), *kubelet_ops(to, node), uncordon_op(to, node)]

    return Steps("upgrade-first-control-plane", "kubeadm upgrade plan/apply on the first "
                 "control plane, then its kubelet", [host], ops, needs_kubernetes=True)


def other_control_planes(to: str, hosts: list[str]) -> Steps:
    def ops(ctx: Context, node: str) -> list[m.Op]:
        return [once(to, "kubeadm", install(to, "kubeadm")),
                once(to, "upgrade-node", "kubeadm upgrade node"),
                drain_op(to, node), *kubelet_ops(to, node), uncordon_op(to, node)]

    return Steps("upgrade-control-planes", "kubeadm upgrade node on the other control "
                 "planes, then their kubelets", hosts, ops, serial=True, needs_kubernetes=True)


def worker_batch(to: str, via: str, batch: list[str], number: int) -> list[Steps]:
    """Drain the batch (from a control plane), upgrade it, uncordon each once Ready."""
    def drain(ctx: Context, host: str) -> list[m.Op]:
        return [drain_op(to, node) for node in batch]

    def upgrade(ctx: Context, node: str) -> list[m.Op]:
        return [once(to, "kubeadm", install(to, "kubeadm")),
                once(to, "upgrade-node", "kubeadm upgrade node"), *kubelet_ops(to, node)]

    def uncordon(ctx: Context, host: str) -> list[m.Op]:
        return [uncordon_op(to, node) for node in batch]

    return [Steps(f"upgrade-workers-{number}-drain", f"drain workers batch {number}", [via],
                  drain, needs_kubernetes=True),
            Steps(f"upgrade-workers-{number}", f"kubeadm upgrade node and kubelet, batch "
                  f"{number}", batch, upgrade, needs_kubernetes=True),
            Steps(f"upgrade-workers-{number}-uncordon", f"uncordon batch {number} once "
                  "Ready", [via], uncordon, needs_kubernetes=True)]

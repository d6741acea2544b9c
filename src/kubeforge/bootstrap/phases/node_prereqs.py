"""node-prereqs: kernel modules, sysctl, containerd and the Kubernetes packages.

containerd.io (containerd 2) comes from Docker's apt repository: its key, source and package come
before containerd's config, which replaces the package's own (CRI disabled) before the restart.

Kubernetes packages come from pkgs.k8s.io: the signing key is fetched once (`creates`),
the index refreshed only when the apt source changed, and the packages held so an
unattended upgrade never moves the cluster's version.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files, sysctl_loads, under
from kubeforge.render import nodes

KUBE_PACKAGES = ("kubelet", "kubeadm", "kubectl")
FETCH = ("python3 -c 'import sys,urllib.request; "
         "open(sys.argv[2],\"wb\").write(urllib.request.urlopen(sys.argv[1]).read())' {url} {dest}")


class NodePrereqs(Phase):
    name = "node-prereqs"
    title = "kernel modules, sysctl, containerd and Kubernetes packages"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return [machine.name for machine in nodes.kubernetes_machines(ctx.plan)]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        rendered = files(ctx.host_files(host, "nodes"))
        machine = ctx.plan.machine(host)
        version = ctx.plan.spec.kubernetes_version
        source = under(rendered, nodes.APT_SOURCE)
        runtime = _containerd_source(ctx, rendered)
        ops = [m.packages(*machine.packages), m.directory("/etc/apt/keyrings"), *runtime,
               *[op for op in rendered if op not in runtime],
               m.command("modules", "modprobe overlay && modprobe br_netfilter",
                         unless="test -d /sys/module/overlay && test -d /sys/module/br_netfilter"),
               *sysctl_loads(rendered),
               m.service("containerd", restart_on=under(rendered, "/etc/containerd")),
               m.command("kubernetes-apt-key", FETCH.format(url=nodes.apt_key_url(version),
                                                            dest=nodes.APT_KEYRING),
                         creates=nodes.APT_KEYRING),
               m.command("apt-update", "apt-get update -q", on_change=source),
               m.packages(*KUBE_PACKAGES),
               m.command("hold", "apt-mark hold " + " ".join(KUBE_PACKAGES),
                         unless="test $(apt-mark showhold | grep -cxE 'kubelet|kubeadm|kubectl') -eq 3"),
               m.service("kubelet", active=None,
                         restart_on=under(rendered, "/etc/default/kubelet"))]
        return m.Manifest(ops)


def _containerd_source(ctx: Context, rendered: list[m.Op]) -> list[m.Op]:
    """Docker's key and apt source, then containerd.io, before containerd's config; nothing when
    Debian's containerd is used (a role package, installed with the machine's packages)."""
    if not nodes.uses_docker_repository(ctx.plan.spec):
        return []
    source = under(rendered, nodes.DOCKER_APT_SOURCE)
    return [m.command("docker-apt-key", FETCH.format(url=nodes.DOCKER_KEY_URL, dest=nodes.DOCKER_KEYRING),
                      creates=nodes.DOCKER_KEYRING),
            *source,
            m.command("docker-apt-update", "apt-get update -q", on_change=source),
            m.packages(nodes.containerd_package(ctx.plan.spec))]


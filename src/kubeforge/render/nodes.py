"""Control-plane and worker machines: kernel modules, sysctl, containerd, the Kubernetes apt
source and the kubelet's node address. Everything kubeadm's preflight checks expect."""

from __future__ import annotations

from kubeforge.plan.model import Machine, Plan
from kubeforge.render import addon_versions, templating
from kubeforge.render.artifact import Artifact, host_file
from kubeforge.render.secrets import Secrets
from kubeforge.spec import versions
from kubeforge.spec.model import Role

COMPONENT = "nodes"
KUBERNETES_ROLES: tuple[Role, ...] = ("control_plane", "worker")
# Debian trixie ships containerd 1.7.x, which reads config format version 2.
CONTAINERD_SERIES = "1.7"
# apt reads ASCII-armoured keys when the file ends in .asc: no gpg --dearmor step needed.
APT_KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.asc"
APT_SOURCE = "/etc/apt/sources.list.d/kubernetes.sources"


def repo_url(kubernetes_version: str) -> str:
    """pkgs.k8s.io has one repository per minor version."""
    return f"https://pkgs.k8s.io/core:/stable:/v1.{versions.kubernetes_minor(kubernetes_version)}/deb/"


def apt_key_url(kubernetes_version: str) -> str:
    """The signing key the node-prereqs phase downloads to APT_KEYRING before `apt-get update`."""
    return repo_url(kubernetes_version) + "Release.key"


def kubernetes_machines(plan: Plan) -> list[Machine]:
    return [m for role in KUBERNETES_ROLES for m in plan.by_role(role)]


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    shared = _shared_files(plan)
    return [
        host_file(COMPONENT, machine.name, target, content)
        for machine in kubernetes_machines(plan)
        for target, content in (*shared, ("/etc/default/kubelet", _kubelet_default(machine)))
    ]


def _shared_files(plan: Plan) -> tuple[tuple[str, str], ...]:
    """Files identical on every Kubernetes machine: rendered once, placed on each."""
    version = plan.spec.kubernetes_version
    minor = f"1.{versions.kubernetes_minor(version)}"
    source = templating.render(
        "nodes/kubernetes.sources.j2",
        minor_version=minor,
        repo_url=repo_url(version),
        key_url=apt_key_url(version),
        keyring=APT_KEYRING,
    )
    containerd = templating.render(
        "nodes/containerd-config.toml.j2",
        containerd_series=CONTAINERD_SERIES,
        sandbox_image=addon_versions.PAUSE_IMAGE,
    )
    return (
        ("/etc/modules-load.d/kubernetes.conf", templating.render("nodes/modules-load.conf.j2")),
        ("/etc/sysctl.d/10-kubernetes.conf", templating.render("nodes/sysctl.conf.j2")),
        ("/etc/containerd/config.toml", containerd),
        (APT_SOURCE, source),
    )


def _kubelet_default(machine: Machine) -> str:
    return templating.render(
        "nodes/kubelet-default.j2", node_ip=machine.address, interface=machine.primary.name
    )

"""Control-plane and worker machines: kernel modules, sysctl, containerd, the Kubernetes apt
source and the kubelet's node address. Everything kubeadm's preflight checks expect.

containerd comes from Docker's apt repository as `containerd.io` (2.x, config format version 3),
as the reference deck installs it: Kubernetes 1.36 and later need containerd 2, and Debian trixie
ships 1.7. A spec may take Debian's own package instead (`containerd_source: debian`) where that
pair is supported (validation refuses the others); 1.7 reads config format version 2.
"""

from __future__ import annotations

from kubeforge.plan.model import Machine, Plan
from kubeforge.render import addon_versions, templating
from kubeforge.render.artifact import Artifact, host_file
from kubeforge.render.secrets import Secrets
from kubeforge.spec import versions
from kubeforge.spec.model import ClusterSpec, Role

COMPONENT = "nodes"
KUBERNETES_ROLES: tuple[Role, ...] = ("control_plane", "worker")
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
# apt reads ASCII-armoured keys when the file ends in .asc: no gpg --dearmor step needed.
APT_KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.asc"
APT_SOURCE = "/etc/apt/sources.list.d/kubernetes.sources"
DOCKER_REPO_URL = "https://download.docker.com/linux/debian"
DOCKER_KEY_URL = f"{DOCKER_REPO_URL}/gpg"
DOCKER_KEYRING = "/etc/apt/keyrings/docker.asc"
DOCKER_APT_SOURCE = "/etc/apt/sources.list.d/docker.sources"


def repo_url(kubernetes_version: str) -> str:
    """pkgs.k8s.io has one repository per minor version."""
    return f"https://pkgs.k8s.io/core:/stable:/v1.{versions.kubernetes_minor(kubernetes_version)}/deb/"


def apt_key_url(kubernetes_version: str) -> str:
    """The signing key the node-prereqs phase downloads to APT_KEYRING before `apt-get update`."""
    return repo_url(kubernetes_version) + "Release.key"


def containerd_package(spec: ClusterSpec) -> str:
    return versions.containerd_package(spec.containerd_source)


def uses_docker_repository(spec: ClusterSpec) -> bool:
    """containerd.io comes from Docker's repository: its key and source precede the install."""
    return spec.containerd_source == "docker"


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
    files = [
        ("/etc/modules-load.d/kubernetes.conf", templating.render("nodes/modules-load.conf.j2")),
        ("/etc/sysctl.d/10-kubernetes.conf", templating.render("nodes/sysctl.conf.j2")),
        (CONTAINERD_CONFIG, containerd_config(plan.spec)),
        (APT_SOURCE, _kubernetes_source(plan.spec.kubernetes_version)),
    ]
    if uses_docker_repository(plan.spec):
        files.append((DOCKER_APT_SOURCE, _docker_source(plan.spec.debian_release)))
    return tuple(files)


def containerd_config(spec: ClusterSpec) -> str:
    config_version = versions.containerd_config_version(spec.containerd_source, spec.debian_release)
    return templating.render(
        f"nodes/containerd-config-v{config_version}.toml.j2",
        package=containerd_package(spec),
        containerd_version=versions.containerd_version(spec.containerd_source, spec.debian_release),
        sandbox_image=addon_versions.pause_image(spec.kubernetes_version),
    )


def _kubernetes_source(version: str) -> str:
    return templating.render(
        "nodes/kubernetes.sources.j2",
        minor_version=f"1.{versions.kubernetes_minor(version)}",
        repo_url=repo_url(version),
        key_url=apt_key_url(version),
        keyring=APT_KEYRING,
    )


def _docker_source(debian_release: str) -> str:
    return templating.render(
        "nodes/docker.sources.j2",
        repo_url=DOCKER_REPO_URL,
        suite=debian_release,
        key_url=DOCKER_KEY_URL,
        keyring=DOCKER_KEYRING,
    )


def _kubelet_default(machine: Machine) -> str:
    return templating.render(
        "nodes/kubelet-default.j2", node_ip=machine.address, interface=machine.primary.name
    )

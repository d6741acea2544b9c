"""Everything kubeforge deploys, with the version it pins and where that comes from: one table
for `kubeforge versions`, the HTML report and docs/versions.md (tests keep the three equal)."""

from __future__ import annotations

from datetime import date

from kubeforge.plan import packages
from kubeforge.render import addon_versions as pins
from kubeforge.render import kubeadm, nodes
from kubeforge.spec import versions
from kubeforge.spec.model import ClusterSpec, Role

COLUMNS = ("Component", "Version", "Source")
WINDOW_COLUMNS = ("Kubernetes", "End of life", "kubeforge")
Row = tuple[str, str, str]
_ROLE_NAMES: dict[Role, str] = {
    "gateway": "gateway", "loadbalancer": "load balancers", "control_plane": "control planes",
    "worker": "workers", "gluster": "gluster",
}


def rows(spec: ClusterSpec) -> list[Row]:
    return [*_kubernetes(spec), *_addons(spec), *_debian(spec)]


def _kubernetes(spec: ClusterSpec) -> list[Row]:
    version = spec.kubernetes_version
    minor = versions.kubernetes_minor(version)
    pause = pins.pause_image(version)
    return [
        ("Kubernetes (kubeadm, kubelet, kubectl)", _kubernetes_pin(version), nodes.repo_url(version)),
        ("kubeadm config API", kubeadm.API_VERSION, "kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta4"),
        ("containerd", _containerd(spec), _containerd_source(spec)),
        ("pause image", pause, f"kubeadm's PauseVersion for 1.{minor} (cmd/kubeadm/app/constants)"),
        ("CoreDNS, etcd, kube-proxy", f"kubeadm's own for 1.{minor}", "registry.k8s.io, pulled by kubeadm"),
    ]


def _kubernetes_pin(version: str) -> str:
    return version if version.count(".") == 2 else f"{version} (newest patch)"


def _containerd(spec: ClusterSpec) -> str:
    found = versions.containerd_version(spec.containerd_source, spec.debian_release)
    config = versions.containerd_config_version(spec.containerd_source, spec.debian_release)
    series = f"{found}.x" if spec.containerd_source == "docker" else found
    return f"{nodes.containerd_package(spec)} {series} (config version {config})"


def _containerd_source(spec: ClusterSpec) -> str:
    if nodes.uses_docker_repository(spec):
        return f"{nodes.DOCKER_REPO_URL} {spec.debian_release} stable"
    return f"Debian {spec.debian_release}"


def _addons(spec: ClusterSpec) -> list[Row]:
    result: list[Row] = [
        ("flannel", pins.FLANNEL_VERSION, pins.FLANNEL_IMAGE),
        ("flannel CNI plugin", pins.FLANNEL_CNI_PLUGIN_VERSION, pins.FLANNEL_CNI_PLUGIN_IMAGE),
    ]
    if spec.addons.metallb:
        result.append(("MetalLB", pins.METALLB_VERSION, pins.METALLB_MANIFEST_URL))
    result += _dashboard(spec)
    if spec.storage.backend != "none":
        result.append(("csi-driver-nfs", pins.CSI_DRIVER_NFS_VERSION, _common_prefix(pins.CSI_DRIVER_NFS_MANIFEST_URLS)))
    return result


def _dashboard(spec: ClusterSpec) -> list[Row]:
    kind = spec.addons.dashboard.kind
    if kind == "headlamp":
        return [("Headlamp", pins.HEADLAMP_VERSION, pins.HEADLAMP_IMAGE)]
    if kind == "kubernetes-dashboard":
        return [("Kubernetes Dashboard", pins.KUBERNETES_DASHBOARD_VERSION, pins.KUBERNETES_DASHBOARD_MANIFEST_URL)]
    return []


def _common_prefix(urls: tuple[str, ...]) -> str:
    return urls[0].rsplit("/", 1)[0] + "/"


def _debian(spec: ClusterSpec) -> list[Row]:
    release = spec.debian_release
    number = versions.DEBIAN_SUPPORTED.get(release, "?")
    result: list[Row] = [("Debian", f"{release} ({number})", "Debian's cloud images or installer")]
    for role, label in _ROLE_NAMES.items():
        names = [n for n in packages.for_role(spec, role, []) if n not in packages.BASE]
        result.append((f"Debian packages: {label}", ", ".join(names), f"Debian {release} (the release's own)"))
    return result


def window_rows(today: date) -> list[Row]:
    """Each Kubernetes minor kubeforge knows: its end of life and what kubeforge does with it."""
    oldest, newest = versions.oldest_supported(today), versions.newest_minor()
    return [(f"1.{minor}", _eol_text(minor), _status(minor, today, oldest, newest))
            for minor in range(min(versions.KUBERNETES_EOL), newest + 1)]


def _eol_text(minor: int) -> str:
    eol = versions.end_of_life(minor)
    return eol.isoformat() if eol else "not yet announced"


def _status(minor: int, today: date, oldest: int, newest: int) -> str:
    if versions.is_end_of_life(minor, today):
        return "refused (end of life)"
    notes = ["default"] if f"1.{minor}" == versions.KUBERNETES_DEFAULT else []
    notes += ["oldest supported: warned"] if minor == oldest else []
    notes += ["newest kubernetes-validate knows"] if minor == newest else []
    return "supported" + (f" ({', '.join(notes)})" if notes else "")


def markdown(table: list[Row], columns: tuple[str, ...] = COLUMNS) -> str:
    """The table as GitHub markdown (docs/versions.md embeds the default spec's)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table]
    return "\n".join(lines) + "\n"

"""Rules on versions: the Kubernetes minor against upstream's support window, and the container
runtime against what that minor supports. The window moves with the calendar (`today`), so a
spec that was fine last year is told when its minor reaches end of life."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from kubeforge.plan.findings import Finding, error, warning
from kubeforge.spec import versions
from kubeforge.spec.model import ClusterSpec

FIELD = "kubernetes_version"


def kubernetes_window(spec: ClusterSpec, today: date) -> Iterator[Finding]:
    minor = versions.kubernetes_minor(spec.kubernetes_version)
    oldest = versions.oldest_supported(today)
    newest = versions.newest_minor()
    if versions.is_end_of_life(minor, today):
        yield error(FIELD, f"Kubernetes 1.{minor} {_eol_phrase(minor)}; the oldest minor upstream "
                    f"still supports is 1.{oldest}: set kubernetes_version: \"1.{oldest}\" or newer "
                    f"(default \"{versions.KUBERNETES_DEFAULT}\")")
    elif minor > newest:
        yield error(FIELD, f"Kubernetes 1.{minor} is newer than any the installed kubernetes-validate "
                    f"ships schemas for (newest 1.{newest}), so kubeforge cannot check its manifests; "
                    f"use \"1.{newest}\", or upgrade kubernetes-validate once it knows 1.{minor}")
    elif minor == oldest:
        yield warning(FIELD, f"Kubernetes 1.{minor} is the oldest minor upstream still supports "
                      f"{_until(minor)}; plan the upgrade to \"{versions.KUBERNETES_DEFAULT}\"")


def _eol_phrase(minor: int) -> str:
    eol = versions.end_of_life(minor)
    if eol is None or eol == date.min:
        return "is past its end of life"
    return f"reached its end of life on {eol.isoformat()}"


def _until(minor: int) -> str:
    eol = versions.end_of_life(minor)
    return f"(until {eol.isoformat()})" if eol and eol != date.min else ""


def containerd(spec: ClusterSpec) -> Iterator[Finding]:
    """Debian's own containerd only where upstream supports the pair (containerd.io is 2.x)."""
    if spec.containerd_source != "debian" or spec.debian_release not in versions.DEBIAN_CONTAINERD:
        return
    shipped = versions.DEBIAN_CONTAINERD[spec.debian_release]
    series = versions.containerd_series(shipped)
    minor = versions.kubernetes_minor(spec.kubernetes_version)
    fix = ("set containerd_source: docker (containerd.io 2.x from Docker's apt repository, the "
           "default)")
    if series in versions.CONTAINERD_REFUSED_SERIES:
        yield error("containerd_source", f"Debian {spec.debian_release} ships containerd {shipped}, "
                    f"whose {series} series reached its end of life on "
                    f"{versions.CONTAINERD_EOL_SERIES[series]}; {fix}")
    elif series.startswith("1.") and minor >= versions.CONTAINERD_2_FROM_MINOR:
        yield error("containerd_source", f"Debian {spec.debian_release} ships containerd {shipped}, "
                    f"but Kubernetes 1.{minor} needs containerd 2 (1.35 was the last to support "
                    f"1.x); {fix}, or use Debian forky's containerd 2, or Kubernetes 1.35")
    elif series in versions.CONTAINERD_EOL_SERIES:
        yield warning("containerd_source", f"containerd {series} reached its end of life upstream in "
                      f"{versions.CONTAINERD_EOL_SERIES[series]} (Debian {spec.debian_release} still "
                      f"patches its {shipped}); prefer containerd_source: docker")


def kubernetes_version(spec: ClusterSpec) -> Iterator[Finding]:
    return kubernetes_window(spec, date.today())


def containerd_packages(spec: ClusterSpec) -> Iterator[Finding]:
    """Extra packages must not ask for the other containerd: the two packages conflict, and each
    apply would swap one for the other."""
    other = versions.containerd_package("debian" if spec.containerd_source == "docker" else "docker")
    for role in ("control_plane", "worker"):
        if other in getattr(spec.hosts, role).packages:
            yield error(f"hosts.{role}.packages", f"{other!r} conflicts with the containerd kubeforge "
                        f"installs ({versions.containerd_package(spec.containerd_source)}, "
                        f"containerd_source: {spec.containerd_source}); remove it, or change "
                        "containerd_source")


VERSION_RULES: tuple[Callable[[ClusterSpec], Iterator[Finding]], ...] = (
    kubernetes_version, containerd, containerd_packages,
)

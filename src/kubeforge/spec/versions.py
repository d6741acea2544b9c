"""Versions kubeforge targets, and the Kubernetes releases it supports, in one place.

The window follows upstream (kubernetes/website data/releases/eol.yaml and the
kubernetes.io/releases/1.N pages): a minor past its end-of-life date is refused, the oldest one
still supported is warned about, and the newest one accepted is the newest whose API schemas the
installed `kubernetes-validate` ships, so a new minor is known as soon as that package knows it.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

# The default for new specs: pinned, so that the same spec renders the same files until someone
# bumps it here (docs/versions.md says what to re-check). Never newer than newest_minor().
KUBERNETES_DEFAULT = "1.37"

# End of life of each Kubernetes minor. Past dates from kubernetes/website data/releases/eol.yaml
# (the real last day); future ones from kubernetes.io/releases/1.N (the planned day).
KUBERNETES_EOL: dict[int, date] = {
    30: date(2025, 7, 15),
    31: date(2025, 11, 11),
    32: date(2026, 2, 28),
    33: date(2026, 6, 28),
    34: date(2026, 10, 27),
    35: date(2027, 2, 28),
    36: date(2027, 6, 28),
    37: date(2027, 10, 28),
}
# 1.38 is due in mid-December 2026: it is accepted as soon as kubernetes-validate ships its schemas
# (newest_minor); add its end-of-life date here when kubernetes.io/releases/1.38 gives it.

# Debian stable in 2026 (13, trixie). The reference used Debian 9 (stretch).
DEBIAN_DEFAULT = "trixie"
DEBIAN_SUPPORTED = {"bookworm": 12, "trixie": 13, "forky": 14}
DEBIAN_OBSOLETE = {"stretch": 9, "buster": 10, "bullseye": 11}

# containerd as each Debian release ships it (`apt-cache policy containerd`, December 2026), for
# specs that take Debian's package (containerd_source: debian).
DEBIAN_CONTAINERD = {"bookworm": "1.6.20", "trixie": "1.7.24", "forky": "2.1.9"}
# Docker's apt repository (the reference deck's source) ships containerd 2.x as `containerd.io`.
DOCKER_CONTAINERD_SERIES = "2"
# Kubernetes 1.35 is the last release to support containerd 1.x (its release notes; e.g. the EKS
# 1.35 notes: "switch to containerd 2.0 or later before upgrading"): from 1.36 on, containerd 2.
CONTAINERD_2_FROM_MINOR = 36
# End of life of containerd series upstream (containerd/containerd RELEASES.md): 1.6 on
# 2025-08-23 (refused: bookworm's 1.6.20 is also older than any Kubernetes 1.35 supports);
# 1.7 in September 2026 (warned: Debian trixie still carries security fixes for its 1.7.24).
CONTAINERD_EOL_SERIES = {"1.6": "2025-08-23", "1.7": "September 2026"}
CONTAINERD_REFUSED_SERIES = ("1.6",)

_VERSION = re.compile(r"^1\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$")
_LEADING_ZERO = re.compile(r"^1\.0([0-9]+)(\.[0-9]+)?$")


def kubernetes_minor(version: str) -> int:
    """'1.37' or '1.37.2' -> 37."""
    return int(version.split(".")[1])


def normalise_kubernetes_version(value: object) -> str:
    """The spec's kubernetes_version as kubeforge stores it: '1.N' or '1.N.P', no leading 'v'.

    Refuses what would silently mean something else: a YAML number (1.30 reads as 1.3), a
    leading zero (1.031), a moving target (latest, stable)."""
    if isinstance(value, (int, float)):
        raise _invalid(_number_message(value))
    if not isinstance(value, str):
        raise _invalid(f'must be a quoted version string such as "{KUBERNETES_DEFAULT}"')
    text = value.strip()
    if text[:1] in ("v", "V") and _VERSION.match(text[1:]):
        return text[1:]
    if _VERSION.match(text):
        return text
    raise _invalid(_text_message(text))


def _invalid(message: str) -> PydanticCustomError:
    # A custom error type: pydantic prints the message as is (no "Value error, " prefix).
    return PydanticCustomError("kubernetes_version", message)


def _number_message(value: object) -> str:
    written = str(value)
    hint = f'"{written}0" or "{written}"' if re.fullmatch(r"1\.[0-9]", written) else f'"{written}"'
    return (f"YAML read {written} as a number, not a version (1.30 becomes 1.3); quote it: "
            f"kubernetes_version: {hint}")


def _text_message(text: str) -> str:
    leading = _LEADING_ZERO.match(text)
    if leading:
        return (f"{text!r} has a leading zero in the minor; write "
                f'"1.{int(leading.group(1))}{leading.group(2) or ""}"')
    if text.lower() in ("latest", "stable", "current", "newest"):
        return (f"{text!r} moves under you: kubeforge pins a minor so the same spec always builds "
                f'the same cluster; write e.g. "{KUBERNETES_DEFAULT}" (`kubeforge versions` lists them)')
    return f'{text!r} is not a Kubernetes version; write "1.N" or "1.N.P", e.g. "{KUBERNETES_DEFAULT}"'


KubernetesVersion = Annotated[str, BeforeValidator(normalise_kubernetes_version)]


@cache
def schema_minors() -> tuple[int, ...]:
    """The Kubernetes minors whose API schemas the installed kubernetes-validate ships."""
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    found = {m.group(1) for entry in root.iterdir() if (m := re.match(r"^v1\.([0-9]+)\.", entry.name))}
    return tuple(sorted(int(minor) for minor in found))


def newest_minor() -> int:
    """The newest minor kubeforge accepts: the newest kubernetes-validate can check manifests for."""
    return schema_minors()[-1]


def end_of_life(minor: int) -> date | None:
    """None: newer than the table (a minor kubernetes-validate knows before this table does)."""
    if minor < min(KUBERNETES_EOL):
        return date.min
    return KUBERNETES_EOL.get(minor)


def is_end_of_life(minor: int, today: date) -> bool:
    eol = end_of_life(minor)
    return eol is not None and eol <= today


def supported_minors(today: date) -> list[int]:
    """Minors upstream still supports that kubeforge can validate, oldest first."""
    return [m for m in range(min(KUBERNETES_EOL), newest_minor() + 1) if not is_end_of_life(m, today)]


def oldest_supported(today: date) -> int:
    supported = supported_minors(today)
    return supported[0] if supported else newest_minor()


def containerd_series(version: str) -> str:
    """'1.7.24' -> '1.7'."""
    return ".".join(version.split(".")[:2])


def containerd_package(source: str) -> str:
    """The Debian package that brings containerd: Docker's `containerd.io` or Debian's own."""
    return "containerd.io" if source == "docker" else "containerd"


def containerd_version(source: str, debian_release: str) -> str:
    """'2' (Docker's repository: the newest 2.x at install time) or Debian's exact version."""
    if source == "docker":
        return DOCKER_CONTAINERD_SERIES
    return DEBIAN_CONTAINERD.get(debian_release, DEBIAN_CONTAINERD[DEBIAN_DEFAULT])


def containerd_config_version(source: str, debian_release: str) -> int:
    """containerd 2.x reads config format version 3; 1.x reads version 2."""
    return 3 if containerd_version(source, debian_release).startswith("2") else 2

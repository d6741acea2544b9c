"""Versions kubeforge targets by default, in one place."""

from __future__ import annotations

# The newest Kubernetes minor whose schemas kubernetes-validate ships (checked by a test).
KUBERNETES_DEFAULT = "1.37"
# Oldest minor we render for: kubeadm v1beta3 (< 1.31) / v1beta4 (>= 1.31); older is rejected.
KUBERNETES_MIN_MINOR = 30
# Debian stable in 2026 (13, trixie). The reference used Debian 9 (stretch).
DEBIAN_DEFAULT = "trixie"
DEBIAN_SUPPORTED = {"bookworm": 12, "trixie": 13, "forky": 14}
DEBIAN_OBSOLETE = {"stretch": 9, "buster": 10, "bullseye": 11}


def kubernetes_minor(version: str) -> int:
    """'1.37' or '1.37.2' -> 37."""
    return int(version.split(".")[1])

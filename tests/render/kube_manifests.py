"""Validation of rendered Kubernetes manifests with kubernetes-validate (strict: unknown fields
fail) at the spec's Kubernetes version."""

from __future__ import annotations

from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import yaml

from kubeforge.render.artifact import Artifact
from kubeforge.spec import versions


def objects(artifact: Artifact) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(artifact.text) if doc]


def validate(document: dict[str, Any], kubernetes_version: str) -> None:
    minor = versions.kubernetes_minor(kubernetes_version)
    kubernetes_validate.validate(document, f"1.{minor}.0", strict=True)

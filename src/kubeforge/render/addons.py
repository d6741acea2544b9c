"""Placeholder until the addons renderer lands (being written now)."""

from __future__ import annotations

from kubeforge.plan.model import Plan
from kubeforge.render.artifact import Artifact
from kubeforge.render.secrets import Secrets


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    return []

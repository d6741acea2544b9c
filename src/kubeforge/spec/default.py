"""The built-in default spec: the reference topology with its errata fixed."""

from __future__ import annotations

from importlib import resources

from kubeforge.spec import load, model


def default_text() -> str:
    """The commented YAML that `kubeforge init` writes."""
    return resources.files("kubeforge.spec").joinpath("default.yaml").read_text()


def default_spec() -> model.ClusterSpec:
    return load.parse(default_text(), source="<built-in default>")

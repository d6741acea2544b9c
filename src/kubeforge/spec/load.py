"""Read cluster.yaml into a ClusterSpec; every shape problem reported at once, with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import yaml

from kubeforge.errors import SpecError
from kubeforge.spec import errata, model


def load(path: Path) -> model.ClusterSpec:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError([f"{path}: cannot read the spec ({exc.strerror}); check the path given to -f"])
    return parse(text, source=str(path))


def parse(text: str, source: str) -> model.ClusterSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError([f"{source}: not valid YAML: {exc}"])
    if not isinstance(data, dict):
        raise SpecError([f"{source}: the spec must be a mapping (name:, network:, hosts:...)"])
    problems = errata.scan_raw(data)
    if problems:
        raise SpecError([f"{source}: {p}" for p in problems])
    try:
        return model.ClusterSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise SpecError([f"{source}: {describe(err)}" for err in exc.errors()])


def describe(err: Any) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{field}: unknown key; remove it or fix its spelling (`kubeforge schema` lists keys)"
    if kind == "missing":
        return f"{field}: required; add it (see `kubeforge init` for an example)"
    if kind == "ip_v4_network":
        return (f"{field}: {err.get('input')!r} is not an IPv4 network; write its network address "
                "with the prefix, host bits zero (e.g. 192.168.2.0/24)")
    return f"{field}: {err['msg']} (got {err.get('input')!r})"

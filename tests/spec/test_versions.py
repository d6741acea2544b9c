"""The kubernetes_version field as a user writes it, and the minors kubeforge knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils  # type: ignore[import-untyped]

from kubeforge.errors import SpecError
from kubeforge.spec import load, versions


def parse_version(raw: dict[str, Any], value: Any) -> str:
    raw["kubernetes_version"] = value
    return load.parse(yaml.safe_dump(raw), source="t.yaml").kubernetes_version


def refusal(raw: dict[str, Any], value: Any) -> str:
    with pytest.raises(SpecError) as info:
        parse_version(raw, value)
    return str(info.value)


@pytest.mark.parametrize(("written", "stored"), [("1.36", "1.36"), ("v1.31.0", "1.31.0"), (" 1.37.2 ", "1.37.2")])
def test_versions_are_normalised(raw: dict[str, Any], written: str, stored: str) -> None:
    assert parse_version(raw, written) == stored


def test_an_unquoted_version_is_refused_with_the_quoted_form(raw: dict[str, Any]) -> None:
    text = "kubernetes_version: 1.30\n" + yaml.safe_dump({k: v for k, v in raw.items() if k != "kubernetes_version"})
    with pytest.raises(SpecError) as info:
        load.parse(text, source="t.yaml")
    assert 'kubernetes_version: YAML read 1.3 as a number' in str(info.value)
    assert 'quote it: kubernetes_version: "1.30"' in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("1.031", 'leading zero in the minor; write "1.31"'),
    ("latest", "kubeforge pins a minor"),
    ("stable", "kubeforge pins a minor"),
    ("2.0", "not a Kubernetes version"),
    (137, "as a number"),
])
def test_ambiguous_versions_are_refused_with_their_fix(raw: dict[str, Any], value: Any, expected: str) -> None:
    message = refusal(raw, value)
    assert "kubernetes_version:" in message and expected in message
    assert "Value error" not in message


def test_the_newest_minor_comes_from_the_installed_schemas() -> None:
    """A new Kubernetes minor is known as soon as kubernetes-validate ships its schemas."""
    shipped = {int(v.split(".")[1]) for v in utils.all_versions()}
    assert versions.schema_minors() == tuple(sorted(shipped))
    assert versions.newest_minor() == max(shipped)


def test_the_default_is_supported_and_has_schemas() -> None:
    minor = versions.kubernetes_minor(versions.KUBERNETES_DEFAULT)
    assert minor in versions.schema_minors() and minor in versions.KUBERNETES_EOL


def test_the_schema_list_is_read_from_the_package_directory(tmp_path: Path) -> None:
    names = sorted(p.name for p in Path(utils.__file__).parent.joinpath("kubernetes-json-schema").iterdir())
    assert any(name.startswith(f"v1.{versions.newest_minor()}.") for name in names)

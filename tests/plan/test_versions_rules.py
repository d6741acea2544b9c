"""The Kubernetes support window and the container runtime, as a user meets them in `validate`."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml

from kubeforge.plan import versions_rules
from kubeforge.plan.findings import Finding
from kubeforge.plan.validate import validate
from kubeforge.spec import load, versions
from kubeforge.spec.model import ClusterSpec

DECEMBER_2026 = date(2026, 12, 1)


def spec(raw: dict[str, Any], **fields: str) -> ClusterSpec:
    raw.update(fields)
    return load.parse(yaml.safe_dump(raw), source="t.yaml")


def window(raw: dict[str, Any], version: str, today: date = DECEMBER_2026) -> list[Finding]:
    return list(versions_rules.kubernetes_window(spec(raw, kubernetes_version=version), today))


@pytest.mark.parametrize(("version", "eol"), [("1.30", "2025-07-15"), ("1.32.4", "2026-02-28"), ("1.34", "2026-10-27")])
def test_end_of_life_minors_are_refused_with_the_date_and_the_oldest_supported(
    raw: dict[str, Any], version: str, eol: str
) -> None:
    [finding] = window(raw, version)
    assert finding.severity == "error" and finding.field == "kubernetes_version"
    assert f"reached its end of life on {eol}" in finding.message
    assert 'the oldest minor upstream still supports is 1.35: set kubernetes_version: "1.35"' in finding.message


def test_validate_refuses_1_34_today(raw: dict[str, Any]) -> None:
    """The Done-when of issue 13, through the public rule list (the calendar is today's)."""
    errors = [f for f in validate(spec(raw, kubernetes_version="1.34")) if f.severity == "error"]
    assert [f.field for f in errors] == ["kubernetes_version"]
    assert "oldest minor upstream still supports is 1." in errors[0].message


def test_the_oldest_supported_minor_is_a_warning(raw: dict[str, Any]) -> None:
    [finding] = window(raw, "1.35")
    assert finding.severity == "warning"
    assert "oldest minor upstream still supports (until 2027-02-28)" in finding.message


def test_supported_minors_pass(raw: dict[str, Any]) -> None:
    assert window(raw, "1.36") == [] and window(raw, "1.37.1") == []


def test_the_window_moves_with_the_calendar(raw: dict[str, Any]) -> None:
    assert window(raw, "1.34", today=date(2026, 10, 26))[0].severity == "warning"
    [refused] = window(raw, "1.35", today=date(2027, 3, 1))
    assert refused.severity == "error" and "2027-02-28" in refused.message and "1.36" in refused.message


def test_a_minor_newer_than_the_installed_schemas_is_refused(raw: dict[str, Any]) -> None:
    newer = versions.newest_minor() + 1
    [finding] = window(raw, f"1.{newer}")
    assert finding.severity == "error"
    assert f"newest 1.{versions.newest_minor()}" in finding.message and "kubernetes-validate" in finding.message


def test_docker_containerd_is_the_default_and_fits_every_supported_minor(raw: dict[str, Any]) -> None:
    for version in ("1.35", "1.36", "1.37"):
        assert list(versions_rules.containerd(spec(raw, kubernetes_version=version))) == []


def test_debian_containerd_1_7_is_refused_from_1_36(raw: dict[str, Any]) -> None:
    [finding] = versions_rules.containerd(spec(raw, kubernetes_version="1.36", containerd_source="debian"))
    assert finding.field == "containerd_source" and finding.severity == "error"
    assert "containerd 1.7.24" in finding.message and "needs containerd 2" in finding.message
    assert "containerd_source: docker" in finding.message


def test_debian_containerd_fits_where_upstream_supports_it(raw: dict[str, Any]) -> None:
    [eol] = versions_rules.containerd(spec(raw, kubernetes_version="1.35", containerd_source="debian"))
    assert eol.severity == "warning" and "containerd 1.7 reached its end of life upstream" in eol.message
    forky = spec(raw, kubernetes_version="1.37", containerd_source="debian", debian_release="forky")
    assert list(versions_rules.containerd(forky)) == []


def test_bookworm_containerd_is_past_its_end_of_life(raw: dict[str, Any]) -> None:
    bookworm = spec(raw, kubernetes_version="1.35", containerd_source="debian", debian_release="bookworm")
    [finding] = versions_rules.containerd(bookworm)
    assert "1.6 series reached its end of life on 2025-08-23" in finding.message


def test_extra_packages_may_not_ask_for_the_other_containerd(raw: dict[str, Any]) -> None:
    raw["hosts"]["worker"]["packages"] = ["containerd", "htop"]
    [finding] = versions_rules.containerd_packages(spec(raw))
    assert finding.field == "hosts.worker.packages" and "'containerd' conflicts" in finding.message
    raw["hosts"]["worker"]["packages"] = ["containerd.io"]
    [finding] = versions_rules.containerd_packages(spec(raw, kubernetes_version="1.35", containerd_source="debian"))
    assert "'containerd.io' conflicts" in finding.message


def test_machines_ask_for_one_containerd(raw: dict[str, Any]) -> None:
    from kubeforge.plan.build import build_plan

    docker = build_plan(spec(raw)).machine("kube-node01").packages
    assert "containerd" not in docker  # containerd.io comes from node-prereqs, after its source
    debian = build_plan(spec(raw, kubernetes_version="1.35", containerd_source="debian")).machine("kube-node01")
    assert "containerd" in debian.packages

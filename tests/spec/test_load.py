from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeforge.errors import SpecError
from kubeforge.spec import default, load, versions


def parse(data: dict[str, Any]) -> Any:
    return load.parse(yaml.safe_dump(data), source="t.yaml")


def test_default_spec_is_the_reference_with_errata_fixed() -> None:
    spec = default.default_spec()
    assert str(spec.network.subnets["glus"].dhcp_pool) == "192.168.3.50-192.168.3.200"
    assert str(spec.network.api_vip) == "192.168.4.20"
    assert spec.kubernetes_version == versions.KUBERNETES_DEFAULT
    assert spec.container_runtime == "containerd"
    assert spec.loadbalancer.stats_password is None


def test_default_kubernetes_has_schemas_in_kubernetes_validate() -> None:
    """The default is pinned (same spec, same files); a newer kubernetes-validate may know more."""
    from kubernetes_validate import utils

    shipped = {".".join(v.split(".")[:2]) for v in utils.all_versions()}
    assert versions.KUBERNETES_DEFAULT in shipped


def test_unknown_key_is_rejected_with_its_path(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["mast"]["gatway"] = "192.168.1.254"
    with pytest.raises(SpecError) as info:
        parse(raw)
    assert "network.subnets.mast.gatway: unknown key" in str(info.value)


def test_every_shape_problem_is_reported_at_once(raw: dict[str, Any]) -> None:
    raw["hosts"]["worker"]["count"] = -1
    raw["network"]["api_vip"] = "not-an-ip"
    del raw["name"]
    with pytest.raises(SpecError) as info:
        parse(raw)
    text = str(info.value)
    assert "hosts.worker.count" in text and "network.api_vip" in text and "name: required" in text


def test_bad_yaml_and_missing_file_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not valid YAML"):
        load.parse("a: [", source="x")
    with pytest.raises(SpecError, match="cannot read"):
        load.load(tmp_path / "nope.yaml")


def test_storage_class_namespace_is_errata_6(raw: dict[str, Any]) -> None:
    raw["storage"]["storage_class"]["namespace"] = "glusterfs"
    with pytest.raises(SpecError, match="ERRATA 6: StorageClasses are cluster-scoped"):
        parse(raw)


def test_corosync_multicast_interface_is_errata_9(raw: dict[str, Any]) -> None:
    raw["loadbalancer"]["corosync"]["interface"] = {"mcastaddr": "239.255.1.1"}
    with pytest.raises(SpecError, match="ERRATA 9"):
        parse(raw)


def test_cidr_with_host_bits_names_the_fix(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["node"]["cidr"] = "192.168.2.1/24"
    with pytest.raises(SpecError, match="host bits zero"):
        parse(raw)

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


def test_each_problem_names_its_file_and_line() -> None:
    text = default.default_text()
    bad = text.replace("worker:        {count: 3, name_prefix: kube-node, cpus: 2,",
                       "worker:        {count: 3, name_prefix: kube-node, cpus: 0,")
    line = text.splitlines().index(next(x for x in text.splitlines() if "name_prefix: kube-node" in x)) + 1
    with pytest.raises(SpecError) as info:
        load.parse(bad, source="c.yaml")
    expected = f"c.yaml:{line}: hosts.worker.cpus: Input should be greater than or equal to 1 (got 0)"
    assert info.value.problems == [expected]
    errata_6 = text.replace("storage_class: {name: gluster,", "storage_class: {namespace: x, name: gluster,")
    with pytest.raises(SpecError, match=r"^c\.yaml:\d+: storage\.storage_class\.namespace: ERRATA 6"):
        load.parse(errata_6, source="c.yaml")


def test_merge_keys_and_anchors_within_budget_are_read() -> None:
    text = default.default_text().replace(
        "gateway:       {count: 1, name_prefix: kube-gate, cpus: 1, memory_mb: 512}",
        "gateway:       &small {count: 1, name_prefix: kube-gate, cpus: 1, memory_mb: 512}").replace(
        "loadbalancer:  {count: 2, name_prefix: kube-hapx, cpus: 1, memory_mb: 512}",
        "loadbalancer:  {<<: *small, count: 2, name_prefix: kube-hapx}")
    spec = load.parse(text, source="c.yaml")
    assert (spec.hosts.loadbalancer.count, spec.hosts.loadbalancer.memory_mb) == (2, 512)

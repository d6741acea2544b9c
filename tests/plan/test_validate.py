"""One test per rule: break the default spec in one place, expect that field and its fix."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kubeforge.plan.findings import Finding
from kubeforge.plan.validate import validate
from kubeforge.spec import load


def findings(raw: dict[str, Any]) -> list[Finding]:
    return validate(load.parse(yaml.safe_dump(raw), source="t.yaml"))


def only(raw: dict[str, Any], severity: str = "error") -> list[Finding]:
    return [f for f in findings(raw) if f.severity == severity]


def assert_finding(raw: dict[str, Any], field: str, text: str, severity: str = "error") -> None:
    hits = [f for f in only(raw, severity) if f.field == field and text in f.message]
    assert hits, f"no {severity} on {field} containing {text!r}: {findings(raw)}"


def test_default_spec_has_no_findings(raw: dict[str, Any]) -> None:
    assert findings(raw) == []


def test_errata_1_glus_pool_in_node_subnet(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["glus"]["dhcp_pool"] = {"start": "192.168.2.50", "end": "192.168.2.200"}
    assert_finding(raw, "network.subnets.glus.dhcp_pool", "ERRATA 1")


def test_errata_3_deck_package_names(raw: dict[str, Any]) -> None:
    raw["hosts"]["control_plane"]["packages"] = ["kubectrl"]
    raw["hosts"]["gluster"]["packages"] = ["gluster-server"]
    assert_finding(raw, "hosts.control_plane.packages", "use kubectl")
    assert_finding(raw, "hosts.gluster.packages", "use glusterfs-server")


def test_errata_3_docker_ce_is_outdated(raw: dict[str, Any]) -> None:
    raw["hosts"]["worker"]["packages"] = ["docker-ce"]
    assert_finding(raw, "hosts.worker.packages", "containerd")


def test_errata_4_dashboard_admin_is_warned(raw: dict[str, Any]) -> None:
    raw["addons"]["dashboard"]["access"] = "admin"
    assert_finding(raw, "addons.dashboard.access", "ERRATA 4", "warning")


@pytest.mark.parametrize("field, path", [
    ("loadbalancer.stats_password", ("loadbalancer", "stats_password")),
])
@pytest.mark.parametrize("value", ["admin", "none", ""])
def test_errata_5_default_credentials(raw: dict[str, Any], field: str, path: tuple[str, str],
                                      value: str) -> None:
    raw[path[0]][path[1]] = value
    assert_finding(raw, field, "ERRATA 5")


def test_errata_8_master_label(raw: dict[str, Any]) -> None:
    raw["addons"]["coredns"]["node_selector"] = {"node-role.kubernetes.io/master": ""}
    assert_finding(raw, "addons.coredns.node_selector", "node-role.kubernetes.io/control-plane")


def test_errata_9_udp_transport_with_crypto(raw: dict[str, Any]) -> None:
    raw["loadbalancer"]["corosync"] = {"transport": "udp", "mcastaddr": "239.255.1.1"}
    assert_finding(raw, "loadbalancer.corosync.transport", "ERRATA 9")


def test_errata_10_backup_master_is_warned(raw: dict[str, Any]) -> None:
    raw["loadbalancer"]["backup_servers"] = ["kube-mast03"]
    assert_finding(raw, "loadbalancer.backup_servers", "ERRATA 10", "warning")
    assert only(raw) == []


def test_backup_server_must_be_a_master(raw: dict[str, Any]) -> None:
    raw["loadbalancer"]["backup_servers"] = ["kube-node01"]
    assert_finding(raw, "loadbalancer.backup_servers", "not a control-plane machine")


def test_outdated_debian_and_kubernetes_and_docker(raw: dict[str, Any]) -> None:
    raw["debian_release"] = "stretch"
    raw["kubernetes_version"] = "1.13"
    raw["container_runtime"] = "docker"
    assert_finding(raw, "debian_release", "end of life")
    assert_finding(raw, "kubernetes_version", "past its end of life")
    assert_finding(raw, "container_runtime", "containerd")


def test_subnet_overlaps_are_reported(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["node"]["cidr"] = "192.168.0.0/23"
    raw["network"]["pod_cidr"] = "10.96.0.0/16"
    assert_finding(raw, "network.subnets.node.cidr", "overlaps network.subnets.mast.cidr")
    assert_finding(raw, "network.service_cidr", "overlaps network.pod_cidr")


def test_pod_cidr_inside_supernet(raw: dict[str, Any]) -> None:
    raw["network"]["pod_cidr"] = "192.168.128.0/17"
    assert_finding(raw, "network.pod_cidr", "overlaps the machine supernet")


def test_subnet_outside_supernet(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["dmz"]["cidr"] = "172.16.4.0/24"
    assert_finding(raw, "network.subnets.dmz.cidr", "outside network.supernet")


def test_gateway_and_pool_inside_subnet(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["mast"]["gateway"] = "192.168.9.254"
    raw["network"]["subnets"]["mast"]["dhcp_pool"] = {"start": "192.168.1.50", "end": "192.168.2.20"}
    assert_finding(raw, "network.subnets.mast.gateway", "not a host address")
    assert_finding(raw, "network.subnets.mast.dhcp_pool", "not inside")


def test_pool_containing_gateway(raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["mast"]["gateway"] = "192.168.1.100"
    assert_finding(raw, "network.subnets.mast.dhcp_pool", "contains the gateway")


def test_vip_must_be_in_dmz_and_outside_pools(raw: dict[str, Any]) -> None:
    raw["network"]["api_vip"] = "192.168.1.20"
    assert_finding(raw, "network.api_vip", "not in the dmz subnet")
    raw["network"]["api_vip"] = "192.168.4.60"
    assert_finding(raw, "network.api_vip", "dmz DHCP pool")


def test_metallb_pool_in_node_subnet_and_disjoint(raw: dict[str, Any]) -> None:
    raw["network"]["metallb_pool"] = {"start": "192.168.4.10", "end": "192.168.4.49"}
    assert_finding(raw, "network.metallb_pool", "not inside the node subnet")
    raw["network"]["metallb_pool"] = {"start": "192.168.2.40", "end": "192.168.2.60"}
    assert_finding(raw, "network.metallb_pool", "overlaps the node DHCP pool")


@pytest.mark.parametrize("count, severity", [(0, "error"), (2, "warning"), (4, "warning"), (9, "error")])
def test_control_plane_count(raw: dict[str, Any], count: int, severity: str) -> None:
    raw["hosts"]["control_plane"]["count"] = count
    assert_finding(raw, "hosts.control_plane.count", "", severity)


def test_kubeadm_minimums(raw: dict[str, Any]) -> None:
    raw["hosts"]["control_plane"].update(cpus=1, memory_mb=1024)
    assert_finding(raw, "hosts.control_plane.cpus", "at least 2")
    assert_finding(raw, "hosts.control_plane.memory_mb", "1700")


def test_gluster_replica_needs_machines(raw: dict[str, Any]) -> None:
    raw["storage"]["replica"] = 4
    assert_finding(raw, "storage.replica", "at least as many gluster machines")


def test_duplicate_host_names(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["name_prefix"] = "kube-mast"
    assert_finding(raw, "hosts", "kube-mast01 is planned 2 times")


def test_more_machines_than_addresses(raw: dict[str, Any]) -> None:
    raw["hosts"]["worker"]["count"] = 100
    assert_finding(raw, "hosts.worker.count", "only 62 addresses")


def test_gateway_count(raw: dict[str, Any]) -> None:
    raw["hosts"]["gateway"]["count"] = 2
    assert_finding(raw, "hosts.gateway.count", "exactly one")


def test_every_problem_at_once(raw: dict[str, Any]) -> None:
    raw["network"]["api_vip"] = "192.168.1.20"
    raw["hosts"]["control_plane"]["count"] = 0
    raw["storage"]["replica"] = 5
    raw["loadbalancer"]["stats_password"] = "admin"
    fields = {f.field for f in only(raw)}
    assert {"network.api_vip", "hosts.control_plane.count", "storage.replica",
            "loadbalancer.stats_password"} <= fields


def test_gluster_count_must_fill_replica_sets(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 4
    assert_finding(raw, "hosts.gluster.count", "multiple of 3")


def test_coredns_replicas_beyond_control_plane_warned(raw: dict[str, Any]) -> None:
    raw["addons"]["coredns"]["replicas"] = 5
    assert_finding(raw, "addons.coredns.replicas", "Pending", "warning")

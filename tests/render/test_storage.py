"""Storage: Gluster topology, NFS-Ganesha exports and the csi-driver-nfs StorageClass (the
maintained replacement for the deck's Heketi + in-tree glusterfs provisioner)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kubeforge.errors import RenderError
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import addon_versions, storage
from kubeforge.render.artifact import Artifact
from kubeforge.spec.model import ClusterSpec

from . import checkrun, goldens, kube_manifests

SECRETS = goldens.fixed_secrets()


def plan_for(raw: dict[str, Any]) -> Plan:
    return build_plan(ClusterSpec.model_validate(raw))


def rendered(raw: dict[str, Any]) -> dict[str, Artifact]:
    return {a.dest: a for a in storage.render(plan_for(raw), SECRETS)}


def storage_class(raw: dict[str, Any]) -> dict[str, Any]:
    [document] = kube_manifests.objects(rendered(raw)[f"cluster/{storage.STORAGE_CLASS}"])
    return document


def test_default_spec_matches_golden_files(raw: dict[str, Any]) -> None:
    goldens.check(storage.render(plan_for(raw), SECRETS), "storage")


def test_backend_none_renders_nothing(raw: dict[str, Any]) -> None:
    raw["storage"]["backend"] = "none"
    plan = plan_for(raw)
    assert storage.render(plan, SECRETS) == [] and storage.steps(plan) == []


@pytest.mark.parametrize("version", ["1.30", "1.37"])
def test_storage_class_is_valid_and_cluster_scoped(raw: dict[str, Any], version: str) -> None:
    document = storage_class(raw)
    kube_manifests.validate(document, version)
    assert "namespace" not in document["metadata"]  # ERRATA 6
    assert document["provisioner"] == addon_versions.CSI_DRIVER_NFS_PROVISIONER == "nfs.csi.k8s.io"
    # ERRATA 7: a stable name the gateway serves, not a pod IP.
    assert document["parameters"] == {"server": "storage.kube.local", "share": "/kube",
                                      "mountPermissions": "0777"}
    assert document["reclaimPolicy"] == "Retain"
    assert document["allowVolumeExpansion"] is True
    assert document["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}


def test_storage_class_follows_the_spec(raw: dict[str, Any]) -> None:
    raw["storage"]["volume"] = "data"
    raw["storage"]["storage_class"] = {"name": "shared", "default": False, "reclaim_policy": "Delete"}
    document = storage_class(raw)
    assert document["metadata"] == {"name": "shared"}
    assert document["reclaimPolicy"] == "Delete"
    assert document["parameters"]["share"] == "/data"


def test_topology_places_one_brick_per_gluster_machine(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    topology = json.loads(rendered(raw)[f"cluster/{storage.TOPOLOGY}"].text)
    servers = plan.by_role("gluster")
    nodes = topology["clusters"][0]["nodes"]
    assert [n["node"]["hostnames"]["storage"] for n in nodes] == [[str(m.address)] for m in servers]
    assert [n["node"]["hostnames"]["manage"] for n in nodes] == [[m.fqdn] for m in servers]
    assert len({n["node"]["zone"] for n in nodes}) == len(servers)
    assert all(n["devices"] == [storage.DATA_DEVICE] for n in nodes)
    [volume] = topology["volumes"]
    assert volume["name"] == "kube" and volume["replica"] == 3 and volume["filesystem"] == "xfs"
    assert volume["bricks"] == [f"{m.fqdn}:/data/bricks/kube/brick" for m in servers]


def test_six_machines_make_two_replica_sets(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 6
    [volume] = json.loads(rendered(raw)[f"cluster/{storage.TOPOLOGY}"].text)["volumes"]
    assert len(volume["bricks"]) == 6


def test_replica_must_divide_the_gluster_machines(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 4
    with pytest.raises(RenderError, match="storage.replica"):
        storage.render(plan_for(raw), SECRETS)


def ganesha_confs(plan: Plan) -> dict[str, str]:
    return {a.host: a.text for a in storage.render(plan, SECRETS) if a.target == storage.GANESHA_CONF}


def test_ganesha_exports_the_volume_to_kubernetes_machines_only(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    confs = ganesha_confs(plan)
    assert set(confs) == {m.name for m in plan.by_role("gluster")}
    text = next(iter(confs.values()))
    assert _balanced_statements(text)
    assert re.search(r'FSAL \{\s*Name = GLUSTER;\s*Hostname = "localhost";\s*Volume = "kube";\s*\}', text)
    assert 'Pseudo = "/kube";' in text
    # Each Kubernetes machine's address, never a subnet; nobody else gets in.
    assert re.search(r"Access_Type = None;\s*Squash = Root_Squash;", text)
    clients = dict(re.findall(r"Clients = ([^;]*);\s*Access_Type = RW;\s*Squash = (\w+);", text))
    masters = ", ".join(str(m.address) for m in plan.by_role("control_plane"))
    workers = ", ".join(str(m.address) for m in plan.by_role("worker"))
    assert clients == {masters: "No_Root_Squash", workers: "Root_Squash"}
    assert "/" not in masters + workers


def test_ganesha_without_workers_has_no_empty_client_list(raw: dict[str, Any]) -> None:
    raw["hosts"]["worker"]["count"] = 0
    text = next(iter(ganesha_confs(plan_for(raw)).values()))
    assert _balanced_statements(text) and text.count("CLIENT {") == 1
    assert "Clients = ;" not in text


def test_nfs_is_v4_1_plus_with_short_lease_and_grace(raw: dict[str, Any]) -> None:
    text = next(iter(ganesha_confs(plan_for(raw)).values()))
    block = re.search(r"NFSV4 \{([^}]*)\}", text)
    assert block is not None
    settings = dict(re.findall(r"(\w+) = ([^;]+);", block.group(1)))
    assert settings == {"Minor_Versions": "1, 2", "Lease_Lifetime": "10", "Grace_Period": "10"}


def test_volume_options_bound_the_stall_and_forbid_split_brain(raw: dict[str, Any]) -> None:
    [volume] = json.loads(rendered(raw)[f"cluster/{storage.TOPOLOGY}"].text)["volumes"]
    assert volume["options"] == {"network.ping-timeout": "3", "cluster.quorum-type": "auto",
                                 "cluster.server-quorum-type": "server",
                                 # bricks drop a dead Ganesha (and its locks) within ~3 s
                                 "server.tcp-user-timeout": "3", "server.keepalive-time": "1",
                                 "server.keepalive-interval": "1", "server.keepalive-count": "2"}


def test_csi_controller_is_pinned_to_the_control_plane(raw: dict[str, Any]) -> None:
    [step, _] = storage.steps(plan_for(raw))
    assert step["patch"] == {"namespace": "kube-system", "deployment": "csi-nfs-controller",
                             "type": "strategic", "file": storage.CONTROLLER_PATCH}
    [patch] = kube_manifests.objects(rendered(raw)[f"cluster/{storage.CONTROLLER_PATCH}"])
    assert patch["spec"]["template"]["spec"]["nodeSelector"] == {
        "node-role.kubernetes.io/control-plane": ""}


def _balanced_statements(text: str) -> bool:
    """Ganesha's grammar in brief: blocks in braces, every other line a `key = value;`. (No
    Ganesha config checker runs without a live Gluster volume.)"""
    depth = 0
    for line in (l.strip() for l in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            depth += 1
        elif line == "}":
            depth -= 1
        elif not (" = " in line and line.endswith(";")):
            return False
        if depth < 0:
            return False
    return depth == 0


def test_steps_install_the_pinned_driver_before_the_class(raw: dict[str, Any]) -> None:
    steps = storage.steps(plan_for(raw))
    assert [s["name"] for s in steps] == ["csi-driver-nfs", "storage-class"]
    assert steps[0]["apply_urls"] == list(addon_versions.CSI_DRIVER_NFS_MANIFEST_URLS)
    assert all(f"/{addon_versions.CSI_DRIVER_NFS_VERSION}/" in u for u in steps[0]["apply_urls"])


def test_rendering_twice_is_byte_identical(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    assert storage.render(plan, SECRETS) == storage.render(plan, SECRETS)


def test_gluster_backend_needs_gluster_machines(raw: dict[str, Any]) -> None:
    raw["hosts"]["gluster"]["count"] = 0
    with pytest.raises(RenderError, match="hosts.gluster.count"):
        storage.render(plan_for(raw), SECRETS)


def test_storage_vip_is_planned_in_the_glus_subnet_outside_pools_and_machines(
        raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    glus = plan.subnets["glus"]
    vip = plan.storage_vip
    assert vip is not None and vip in glus.cidr and not glus.dhcp_pool.contains(vip)
    assert vip not in {n.address for m in plan.machines for n in m.nics} | {glus.gateway}
    raw["hosts"]["gluster"]["count"] = 6  # more machines never take or move it
    assert plan_for(raw).storage_vip == vip


def test_no_storage_vip_without_gluster_storage(raw: dict[str, Any]) -> None:
    raw["storage"]["backend"] = "none"
    assert plan_for(raw).storage_vip is None


def test_a_full_glus_subnet_names_the_field_and_fix(raw: dict[str, Any]) -> None:
    from kubeforge.errors import SpecError

    raw["network"]["subnets"]["glus"]["dhcp_pool"] = {"start": "192.168.3.1", "end": "192.168.3.253"}
    with pytest.raises(SpecError, match="network.subnets.glus: no free address left for the storage VIP"):
        plan_for(raw)


def keepalived_confs(plan: Plan) -> dict[str, str]:
    return {a.host or "": a.text for a in storage.render(plan, SECRETS) if a.target == storage.KEEPALIVED}


def test_storage_vip_follows_a_healthy_ganesha_on_every_gluster_machine(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    confs = keepalived_confs(plan)
    servers = plan.by_role("gluster")
    assert set(confs) == {m.name for m in servers}
    for machine in servers:
        text = confs[machine.name]
        assert f"{plan.storage_vip}/24 dev glus0" in text
        assert f'script "{storage.GANESHA_CHECK}"' in text
        peers = re.search(r"unicast_peer \{([^}]*)\}", text)
        assert peers is not None
        assert peers.group(1).split() == [str(m.address) for m in servers if m != machine]
    priorities = [int(re.findall(r"priority (\d+)", confs[m.name])[0]) for m in servers]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) == len(servers)


def ganesha_checks(plan: Plan) -> dict[str, Artifact]:
    return {a.host or "": a for a in storage.render(plan, SECRETS) if a.target == storage.GANESHA_CHECK}


@pytest.mark.checkers
def test_keepalived_accepts_the_storage_vip_config(raw: dict[str, Any], tmp_path: Path) -> None:
    """`keepalived -t` with the check script where the config names it (a mount namespace puts
    it there): keepalived's script security refuses a missing or group-writable script."""
    plan = plan_for(raw)
    binary = checkrun.need("keepalived")
    for machine in plan.by_role("gluster"):
        conf = tmp_path / f"{machine.name}.conf"
        conf.write_text(keepalived_confs(plan)[machine.name])
        check = tmp_path / f"{machine.name}.check"
        check.write_bytes(ganesha_checks(plan)[machine.name].content)
        nic = machine.primary
        assert nic.address is not None
        link = checkrun.veth_lines({nic.name: [checkrun.cidr(nic.address, nic.prefix_len)]})
        target = Path(storage.GANESHA_CHECK)
        place = (f"mount -t tmpfs tmpfs /usr/local\nmkdir -p {target.parent}\n"
                 f"install -m 0755 {check} {target}\n")
        done = checkrun.in_namespaces(f"{place}{link}\n{binary} -t -f {conf}\n", mount=True)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.checkers
def test_the_ganesha_check_asks_for_the_volumes_export(raw: dict[str, Any]) -> None:
    """The check is a shell script `sh -n` accepts, executable, and it looks for this volume's
    export in Ganesha's own answer (ShowExports over D-Bus), not for a running process."""
    raw["storage"]["volume"] = "data_1"
    plan = plan_for(raw)
    for artifact in ganesha_checks(plan).values():
        assert artifact.mode == 0o755
        assert checkrun.run([checkrun.need("sh"), "-n"], artifact.text).returncode == 0
        assert "exportmgr ShowExports" in artifact.text
        assert """grep -qF '"/data_1" '""" in artifact.text
    assert set(ganesha_checks(plan)) == {m.name for m in plan.by_role("gluster")}


def test_a_dead_keepalived_drops_the_storage_vip(raw: dict[str, Any]) -> None:
    plan = plan_for(raw)
    dropins = {(a.host, a.target): a.text for a in storage.render(plan, SECRETS)
               if (a.target or "").startswith("/etc/systemd/")}
    assert len(dropins) == 2 * len(plan.by_role("gluster"))
    keepalived = dropins[("kube-glus01", storage.DROPIN.format(unit="keepalived"))]
    assert f"ExecStopPost=-/usr/sbin/ip -4 addr del {plan.storage_vip}/24 dev glus0" in keepalived
    assert "Restart=on-failure" in dropins[("kube-glus01", storage.DROPIN.format(unit="nfs-ganesha"))]


@pytest.mark.checkers
def test_ganesha_starts_after_glusterd_answers(raw: dict[str, Any], tmp_path: Path) -> None:
    """Started beside glusterd at boot, Ganesha found no volume and served no export (lab NFS
    demo, power loss): the drop-in orders it after glusterd and waits, bounded, for the
    volume. `systemd-analyze verify` on a stand-in unit with the drop-in reports bad keys."""
    plan = plan_for(raw)
    [dropin] = [a.text for a in storage.render(plan, SECRETS) if a.host == "kube-glus01"
                and a.target == storage.DROPIN.format(unit="nfs-ganesha")]
    assert "After=glusterd.service" in dropin
    assert f"gluster volume info {plan.spec.storage.volume} " in dropin
    done = checkrun.verify_dropin("nfs-ganesha.service", dropin, tmp_path)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr

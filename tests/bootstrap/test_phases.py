"""The phases' plans from the real rendered artifacts of the default spec (pure, no hosts)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.join import ControlPlaneJoin, WorkersJoin
from kubeforge.render import bundle, kubeadm, storage
from kubeforge.spec.model import LoadBalancer
from kubeforge.workspace import Workspace


def context(tmp: Path, vip_manager: str = "pacemaker", **fields: Any) -> Context:
    """The default spec's context, its secrets in `tmp`, with these top-level fields replaced."""
    ws = Workspace(state_root=tmp)
    updates = {"loadbalancer": LoadBalancer(vip_manager=vip_manager), **fields}
    from kubeforge.plan.build import build_plan
    plan = build_plan(ws.operator_spec().model_copy(update=updates))
    return Context(plan, tuple(bundle.render_all(plan, ws.secrets())), ws.secrets())


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return context(tmp_path_factory.mktemp("ws"))


def phase(name: str) -> Phase:
    return next(p for p in all_phases() if p.name == name)


def ids(man: m.Manifest) -> list[str]:
    return [op.id for op in man.ops]


def test_order_matches_the_reference_steps() -> None:
    names = [p.name for p in all_phases()]
    assert names.index("gateway") < names.index("reachable") < names.index("lb")
    assert names.index("control-plane-init") < names.index("cni") < names.index(
        "control-plane-join") < names.index("workers-join") < names.index("addons")
    assert len(names) == len(set(names))


def test_every_phase_plans_every_host_without_error(ctx: Context) -> None:
    for p in all_phases():
        for host in p.hosts(ctx):
            assert isinstance(p.plan(ctx, host), m.Manifest)


def test_kubernetes_phases_are_marked(ctx: Context) -> None:
    kube = {p.name for p in all_phases() if p.needs_kubernetes}
    assert kube == {"node-prereqs", "control-plane-init", "cni", "control-plane-join",
                    "workers-join", "addons", "storage", "verify"}


def test_gateway_validates_before_restarting(ctx: Context) -> None:
    man = phase("gateway").plan(ctx, ctx.plan.gateway.name)
    order = ids(man)
    assert order.index("cmd:nft-check") < order.index("service:nftables")
    assert order.index("cmd:dnsmasq-check") < order.index("service:dnsmasq")
    dns = man.by_id()["service:dnsmasq"].args["restart_on"]
    assert dns and all(i.startswith(("file:/etc/dnsmasq.d/", "file:/etc/systemd/system/dnsmasq"))
                       for i in dns)
    assert "sysctl:net.ipv4.ip_forward" in order


def test_every_rendered_host_file_is_owned_by_one_phase(ctx: Context) -> None:
    owned: dict[tuple[str, str], str] = {}
    for p in all_phases():
        for host in p.hosts(ctx):
            for op in p.plan(ctx, host).ops:
                if op.kind == "file":
                    key = (host, op.args["path"])
                    assert key not in owned, f"{key} in {owned.get(key)} and {p.name}"
                    owned[key] = p.name
    rendered = {(a.host, a.target) for a in ctx.artifacts
                if a.host and a.target and a.component != "cloudinit"}
    assert rendered <= set(owned), sorted(rendered - set(owned))[:5]


def test_pacemaker_resources_loaded_once_from_first_lb(ctx: Context) -> None:
    vip = phase("vip")
    assert vip.hosts(ctx) == ctx.hosts_with_role("loadbalancer")[:1]
    man = vip.plan(ctx, vip.hosts(ctx)[0])
    load = [op for op in man.ops if op.kind == "command"]
    assert len(load) == 1 and "crm configure load update" in load[0].args["cmd"]
    assert load[0].args["on_change"]


def test_keepalived_needs_no_vip_phase(tmp_path: Path) -> None:
    ctx = context(tmp_path, "keepalived")
    assert phase("vip").hosts(ctx) == []
    man = phase("lb").plan(ctx, ctx.hosts_with_role("loadbalancer")[0])
    assert "service:keepalived" in ids(man)


def test_switching_to_keepalived_retires_pacemaker_first(tmp_path: Path) -> None:
    man = phase("lb").plan(context(tmp_path, "keepalived"), "kube-hapx01")
    ops = {op.id: op for op in man.ops}
    for daemon in ("pacemaker", "corosync"):
        assert ops[f"service:{daemon}"].args["enabled"] is False
        assert ops[f"service:{daemon}"].args["active"] is False
    order = ids(man)
    assert order.index("service:pacemaker") < order.index("service:keepalived")
    # haproxy ran as Pacemaker's resource: retiring Pacemaker stops it, so it must restart.
    assert "service:pacemaker" in ops["service:haproxy"].args["restart_on"]


def test_switching_to_pacemaker_retires_keepalived_and_keeps_haproxy(ctx: Context) -> None:
    man = phase("lb").plan(ctx, "kube-hapx02")
    order = ids(man)
    retire = next(op for op in man.ops if op.id == "cmd:retire-keepalived")
    assert "haproxy" not in retire.args["cmd"]  # haproxy is systemd's under both managers
    assert "disable --now keepalived" in retire.args["cmd"]
    assert "is-enabled -q keepalived" in retire.args["unless"]  # a no-op once retired
    assert order.index("cmd:retire-keepalived") < order.index("service:pacemaker")
    # An earlier kubeforge's haproxy resource is retired first, and haproxy started after it.
    haproxy = man.by_id()["service:haproxy"].args
    assert "cmd:retire-haproxy-resource" in haproxy["restart_on"]
    assert (haproxy["enabled"], haproxy["active"]) == (True, True)


def test_storage_pool_steps_are_guarded(ctx: Context) -> None:
    pool = phase("storage-pool")
    (first,) = pool.hosts(ctx)
    commands = [op for op in pool.plan(ctx, first).ops if op.kind == "command"]
    # two probes, create, start, one per volume option
    assert len(commands) == 2 + 2 + len(storage.VOLUME_OPTIONS)
    assert all("unless" in op.args for op in commands)
    create = next(op for op in commands if op.id.startswith("cmd:volume-create"))
    assert "replica 3" in create.args["cmd"]
    timeout = next(op for op in commands if op.id == "cmd:volume-set:kube:network.ping-timeout")
    assert timeout.args["cmd"] == "gluster volume set kube network.ping-timeout 3"
    assert timeout.args["unless"] == "grep -qxF network.ping-timeout=3 /var/lib/glusterd/vols/kube/info"


def test_single_brick_volume_has_no_replica_clause() -> None:
    """gluster refuses `replica 1` (seen on the 5-VM QEMU run): one brick is a plain volume,
    and client quorum, a replica setting, is left out."""
    from kubeforge.bootstrap.phases.storage_pool import volume_ops
    from kubeforge.render import storage

    vol = {"name": "kube", "replica": 1, "bricks": ["g1:/b"],
           "options": {k: v for k, v in storage.VOLUME_OPTIONS.items()
                       if k != "cluster.quorum-type"}}
    create = volume_ops(vol, 1)[0]
    assert "gluster volume create kube g1:/b" in create.args["cmd"]
    assert "replica" not in create.args["cmd"]


def test_join_fills_the_ca_pin_when_the_cluster_exists(ctx: Context) -> None:
    digest = "ab" * 32

    async def query(host: str, command: str) -> str | None:
        assert host == ctx.hosts_with_role("control_plane")[0]
        return digest + "\n"

    join = WorkersJoin()
    asyncio.run(join.prepare(ctx, query, dry=False))
    man = join.plan(ctx, ctx.hosts_with_role("worker")[0])
    content = man.by_id()[f"file:{kubeadm.JOIN_TARGET}"].content or b""
    assert f"sha256:{digest}".encode() in content
    assert man.by_id()[f"file:{kubeadm.JOIN_TARGET}"].secret


def test_join_without_a_cluster_fails_for_real_but_not_in_dry_run(ctx: Context) -> None:
    from kubeforge import errors

    async def nothing(host: str, command: str) -> str | None:
        return None

    asyncio.run(ControlPlaneJoin().prepare(ctx, nothing, dry=True))
    with pytest.raises(errors.ApplyError, match="control-plane-init"):
        asyncio.run(ControlPlaneJoin().prepare(ctx, nothing, dry=False))


def test_control_planes_join_one_at_a_time() -> None:
    assert ControlPlaneJoin.serial and not WorkersJoin.serial


def digests(ctx: Context) -> dict[tuple[str, str], str]:
    phases = all_phases()
    for p in phases:  # plan as after control-plane-init: the CA pin is known
        if isinstance(p, ControlPlaneJoin | WorkersJoin):
            p.ca_hash = "sha256:" + "cd" * 32
    return {(p.name, h): p.plan(ctx, h).digest() for p in phases for h in p.hosts(ctx)}


def test_adding_a_worker_redoes_only_what_it_touches(tmp_path: Path) -> None:
    """The state file skips pairs whose digest is unchanged: this is what a re-run redoes."""
    from kubeforge.plan.build import build_plan

    before = context(tmp_path)
    spec = before.plan.spec
    hosts = spec.hosts.model_copy(update={"worker": spec.hosts.worker.model_copy(
        update={"count": spec.hosts.worker.count + 1})})
    plan = build_plan(spec.model_copy(update={"hosts": hosts}))
    assert before.secrets is not None
    after = Context(plan, tuple(bundle.render_all(plan, before.secrets)), before.secrets)
    old, new = digests(before), digests(after)
    redone = sorted(key for key, digest in new.items() if old.get(key) != digest)
    newcomer = plan.by_role("worker")[-1].name
    # The gluster machines redo only their export: it lists each Kubernetes machine's address.
    exports = {("storage-export", m.name) for m in plan.by_role("gluster")}
    assert {h for k, h in redone if (k, h) not in exports} <= {newcomer, plan.gateway.name}
    assert ("gateway", plan.gateway.name) in redone  # its DHCP reservation and DNS record
    assert len(redone) <= 0.2 * len(new)


def test_every_addon_step_runs_in_exactly_one_phase(ctx: Context) -> None:
    from kubeforge.render import addons

    master = ctx.hosts_with_role("control_plane")[0]
    planned = [op.id for name in ("cni", "addons", "storage")
               for op in phase(name).plan(ctx, master).ops]
    assert len(planned) == len(set(planned))
    for step in addons.steps(ctx.plan):
        assert any(i.startswith(f"cmd:{step['name']}:") for i in planned), step["name"]


def test_addon_commands_are_all_guarded(ctx: Context) -> None:
    master = ctx.hosts_with_role("control_plane")[0]
    for name in ("cni", "addons", "storage", "control-plane-init", "verify"):
        for op in phase(name).plan(ctx, master).ops:
            if op.kind == "command":
                assert {"unless", "creates", "on_change"} & set(op.args), (name, op.id)

"""The storage VIP under Pacemaker (storage.vip_manager: pacemaker): the gluster machines' own
Corosync cluster and crm script, checked against the plan and accepted by corosync, crmsh +
crm_verify and resource-agents' ocf-tester; the default (keepalived) renders none of it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kubeforge.plan import packages
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Machine, Plan
from kubeforge.plan.validate import validate
from kubeforge.render import loadbalancer as lb
from kubeforge.render import storage
from kubeforge.render import storage_pacemaker as pcmk
from kubeforge.render.artifact import Artifact
from kubeforge.render.bundle import write_tree
from kubeforge.render.secrets import generate
from kubeforge.spec.model import ClusterSpec

from . import checkrun, goldens
from .test_loadbalancer import crm_load

SECRETS = goldens.fixed_secrets()


def spec_for(raw: dict[str, Any], manager: str = "pacemaker") -> ClusterSpec:
    raw["storage"]["vip_manager"] = manager
    return ClusterSpec.model_validate(raw)


@pytest.fixture
def plan(raw: dict[str, Any]) -> Plan:
    return build_plan(spec_for(raw))


def by_target(plan: Plan, host: str) -> dict[str, Artifact]:
    return {a.target or "": a for a in storage.render(plan, SECRETS) if a.host == host}


def lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip() and not x.strip().startswith("#")]


def tree(plan: Plan, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_tree(storage.render(plan, SECRETS), out)
    return out


def glus_link(machine: Machine) -> str:
    """The machine's glus0 (a veth in the namespace) holding its planned address."""
    nic = machine.primary
    assert nic.address is not None and nic.name == "glus0"
    return checkrun.veth_lines({nic.name: [checkrun.cidr(nic.address, nic.prefix_len)]})


# --- what the files say --------------------------------------------------------------------------


def test_matches_golden_files(plan: Plan) -> None:
    goldens.check(storage.render(plan, SECRETS), "storage-pacemaker")


def test_default_is_keepalived_with_no_cluster_files(raw: dict[str, Any]) -> None:
    """The default output is keepalived's (its goldens: tests/render/test_storage.py)."""
    spec = ClusterSpec.model_validate(raw)
    assert spec.storage.vip_manager == "keepalived"
    targets = {a.target for a in storage.render(build_plan(spec), SECRETS)}
    assert storage.KEEPALIVED in targets
    assert not targets & {pcmk.COROSYNC, pcmk.AUTHKEY, pcmk.CRM_SCRIPT, pcmk.HEALTH_AGENT}
    assert "keepalived" in packages.for_role(spec, "gluster", [])
    assert "pacemaker" not in packages.for_role(spec, "gluster", [])


def test_every_gluster_machine_gets_a_cluster_member_and_no_keepalived(plan: Plan) -> None:
    for machine in plan.by_role("gluster"):
        files = by_target(plan, machine.name)
        assert set(files) == {
            storage.GANESHA_CONF, storage.GANESHA_CHECK, pcmk.COROSYNC, pcmk.AUTHKEY,
            pcmk.VIP_AGENT, pcmk.HEALTH_AGENT, pcmk.CRM_SCRIPT,
            *(storage.DROPIN.format(unit=unit) for unit in ("nfs-ganesha", "corosync"))}
        assert (files[pcmk.AUTHKEY].mode, files[pcmk.AUTHKEY].secret) == (0o400, True)
        assert files[pcmk.AUTHKEY].content == SECRETS.storage_corosync_authkey
        assert (files[pcmk.HEALTH_AGENT].mode, files[pcmk.VIP_AGENT].mode) == (0o755, 0o755)
    gluster = packages.for_role(plan.spec, "gluster", [])
    assert {"corosync", "pacemaker", "crmsh", "resource-agents"} <= set(gluster)
    assert "keepalived" not in gluster


def test_the_storage_cluster_has_its_own_key_and_name(plan: Plan) -> None:
    """A load balancer's key admits nobody to the gluster machines' cluster."""
    assert SECRETS.storage_corosync_authkey != SECRETS.corosync_authkey
    fresh = generate(plan.spec)
    assert fresh.storage_corosync_authkey != fresh.corosync_authkey
    assert len(fresh.storage_corosync_authkey) == 256
    conf = lines(by_target(plan, "kube-glus01")[pcmk.COROSYNC].text)
    assert "cluster_name: kube-storage" in conf


def test_three_nodes_with_majority_quorum_and_the_lb_timers(plan: Plan) -> None:
    text = by_target(plan, "kube-glus01")[pcmk.COROSYNC].text
    conf = lines(text)
    assert "provider: corosync_votequorum" in conf
    assert not any(line.startswith(("two_node", "wait_for_all")) for line in conf)
    assert {"transport: knet", "token: 300", "crypto_cipher: aes256"} <= set(conf)
    # 3 nodes: without it corosync adds 650 ms to the token (a 2.8 s failover on the lab).
    assert "token_coefficient: 0" in conf
    for machine in plan.by_role("gluster"):
        assert (f"ring0_addr: {machine.address}\n\t\tname: {machine.name}\n\t\t"
                f"nodeid: {machine.index}") in text
        assert by_target(plan, machine.name)[pcmk.COROSYNC].text == text


def test_crm_keeps_the_vip_where_ganesha_serves_and_stops_it_without_quorum(plan: Plan) -> None:
    crm = lines(by_target(plan, "kube-glus02")[pcmk.CRM_SCRIPT].text)
    vip = plan.storage_vip
    assert ("property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=stop "
            f"transition-delay={lb.TRANSITION_DELAY}") in crm
    assert (f"primitive {pcmk.VIP_RESOURCE} {lb.VIP_AGENT_TYPE} params ip={vip} cidr_netmask=24 "
            "nic=glus0 op monitor interval=2s timeout=20s meta multiple-active=stop_unexpected"
            ) in crm
    assert (f'primitive {pcmk.HEALTH_RESOURCE} {pcmk.HEALTH_AGENT_TYPE} params '
            f'check="{storage.GANESHA_CHECK}" name={pcmk.HEALTH_ATTRIBUTE} '
            f'dampen={storage.GANESHA_FALL}s op monitor interval=1s timeout=10s') in crm
    assert f"clone {pcmk.HEALTH_RESOURCE}-clone {pcmk.HEALTH_RESOURCE}" in crm
    attribute = pcmk.HEALTH_ATTRIBUTE
    assert (f"location {pcmk.VIP_RESOURCE}-on-a-serving-ganesha {pcmk.VIP_RESOURCE} rule -inf: "
            f"not_defined {attribute} or {attribute} lt 1") in crm
    # Ganesha stays systemd's (restarts, boot order): a failover starts nothing but the VIP.
    assert not any("systemd:" in line or "ping" in line for line in crm)


def test_a_dead_corosync_drops_the_storage_vip(plan: Plan) -> None:
    dropin = lines(by_target(plan, "kube-glus03")[storage.DROPIN.format(unit="corosync")].text)
    assert "Restart=on-failure" in dropin and "StartLimitIntervalSec=0" in dropin
    assert f"ExecStopPost=-/usr/sbin/ip -4 addr del {plan.storage_vip}/24 dev glus0" in dropin


def test_secrets_only_in_secret_files(raw: dict[str, Any]) -> None:
    plan = build_plan(spec_for(raw))
    for secrets in (SECRETS, generate(plan.spec)):
        values = [v.encode() for v in secrets.values()]
        values += [secrets.corosync_authkey, secrets.storage_corosync_authkey]
        for artifact in storage.render(plan, secrets):
            if artifact.secret:
                assert artifact.mode & 0o077 == 0, artifact.dest
            else:
                assert not any(v in artifact.content for v in values), artifact.dest


@pytest.mark.parametrize("count", [0, 1, 2])
def test_fewer_than_three_gluster_machines_are_refused(raw: dict[str, Any], count: int) -> None:
    raw["hosts"]["gluster"]["count"] = count
    raw["storage"]["replica"] = max(count, 1)
    findings = [f for f in validate(spec_for(raw)) if f.field == "storage.vip_manager"]
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "at least 3 gluster machines" in findings[0].message
    assert "keepalived" in findings[0].message  # the fix


def test_a_udp_corosync_with_crypto_is_refused_for_the_storage_cluster(raw: dict[str, Any]) -> None:
    raw["loadbalancer"]["vip_manager"] = "keepalived"
    raw["loadbalancer"]["corosync"]["transport"] = "udpu"
    fields = {f.field for f in validate(spec_for(raw)) if f.severity == "error"}
    assert "loadbalancer.corosync.transport" in fields
    assert "loadbalancer.corosync.transport" not in {
        f.field for f in validate(spec_for(raw, "keepalived")) if f.severity == "error"}


# --- the real programs ---------------------------------------------------------------------------


@pytest.mark.checkers
def test_corosync_accepts_the_config_on_each_gluster_machine(plan: Plan, tmp_path: Path) -> None:
    """`corosync -t` reads /etc/corosync/{corosync.conf,authkey} and must find its own address in
    the nodelist: each machine's files bind-mounted there, in a namespace holding its address."""
    out = tree(plan, tmp_path)
    binary = checkrun.need("corosync")
    for machine in plan.by_role("gluster"):
        script = (f"{glus_link(machine)}\nmount --bind {out / machine.name}/etc/corosync "
                  f"/etc/corosync\n{binary} -t\n")
        done = checkrun.in_namespaces(script, mount=True)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.checkers
def test_crm_script_loads_strictly_idempotently_and_verifies(plan: Plan, tmp_path: Path) -> None:
    """The exact file, strictly (crmsh checks each agent's parameters against its meta-data,
    the rendered ocf:kubeforge agents included), twice into an empty CIB: same CIB both times,
    and crm_verify accepts it."""
    out = tree(plan, tmp_path)
    first, second = crm_load(out / "kube-glus01" / pcmk.CRM_SCRIPT.removeprefix("/"),
                             tmp_path, force=False, times=2)
    assert first == second
    cib = ET.parse(tmp_path / "cib.xml").getroot()
    vip = cib.find(f".//primitive[@id='{pcmk.VIP_RESOURCE}']")
    assert vip is not None and vip.get("type") == "vip"
    assert {n.get("name"): n.get("value") for n in vip.iter("nvpair")} == {
        "ip": str(plan.storage_vip), "cidr_netmask": "24", "nic": "glus0",
        "multiple-active": "stop_unexpected"}
    clone = cib.find(f".//clone[@id='{pcmk.HEALTH_RESOURCE}-clone']")
    assert clone is not None
    health = clone.find(f"primitive[@id='{pcmk.HEALTH_RESOURCE}']")
    assert health is not None and (health.get("provider"), health.get("type")) == (
        "kubeforge", "ganesha")
    rule = cib.find(f".//rsc_location[@rsc='{pcmk.VIP_RESOURCE}']/rule")
    assert rule is not None and rule.get("score") == "-INFINITY"
    assert {e.get("attribute") for e in rule.iter("expression")} == {pcmk.HEALTH_ATTRIBUTE}
    props = {n.get("name"): n.get("value") for n in cib.iter("nvpair")
             if n.get("id", "").startswith("cib-")}
    assert (props["no-quorum-policy"], props["stonith-enabled"]) == ("stop", "false")


@pytest.mark.checkers
def test_the_ganesha_agent_passes_ocf_tester_and_writes_the_attribute(
        plan: Plan, tmp_path: Path) -> None:
    """The rendered health agent run by ocf-tester (meta-data against the OCF DTD, start,
    monitor, stop and their repeats), then by hand with its check passing and failing. attrd
    needs a running cluster: a stand-in `attrd_updater` on PATH records what it was asked."""
    out = tree(plan, tmp_path)
    rendered = out / "kube-glus01" / pcmk.HEALTH_AGENT.removeprefix("/")
    agent = "/run/kft-ganesha"  # ocf-tester also runs it as nobody (see the LB agent's test)
    params = "-o check='test -e /run/kft-serving' -o name=kft-ganesha -o dampen=3s"
    env = ("export OCF_RESKEY_check='test -e /run/kft-serving' OCF_RESKEY_name=kft-ganesha "
           "OCF_RESKEY_dampen=3s")
    script = f"""mount -t tmpfs -o mode=0755 kft-run /run
cp -p {rendered} {agent}
mkdir /run/kft-bin
printf '#!/bin/sh\\necho "$*" >> /run/kft-attrd.log\\n' > /run/kft-bin/attrd_updater
chmod 755 /run/kft-bin/attrd_updater
export PATH=/run/kft-bin:$PATH
touch /run/kft-serving
{checkrun.need("ocf-tester")} -n ganesha {params} {agent}
: > /run/kft-attrd.log
{env}
{agent} start
rm /run/kft-serving
{agent} monitor
touch /run/kft-serving
{agent} monitor
{agent} stop
set +e; {agent} monitor; echo "monitor after stop: $?"
OCF_RESKEY_name='a b' {agent} start; echo "bad name: $?"
cat /run/kft-attrd.log
"""
    done = checkrun.in_namespaces(script, mount=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout + done.stderr
    assert "monitor after stop: 7" in done.stdout and "bad name: 6" in done.stdout
    calls = done.stdout.split("bad name: 6\n", 1)[1].splitlines()
    assert calls == ["-n kft-ganesha -U 1 -d 3s", "-n kft-ganesha -U 0 -d 3s",
                     "-n kft-ganesha -U 1 -d 3s", "-n kft-ganesha -D"]

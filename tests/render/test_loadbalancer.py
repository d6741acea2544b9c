"""The load-balancer renderer: haproxy, Corosync + Pacemaker (crm script) or keepalived, checked
against the plan and accepted by haproxy, corosync, crmsh/crm_verify and keepalived."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kubeforge.errors import RenderError
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Machine, Plan
from kubeforge.render import loadbalancer as lb
from kubeforge.render.artifact import Artifact
from kubeforge.render.bundle import write_tree
from kubeforge.render.secrets import Secrets, generate
from kubeforge.spec.model import ClusterSpec

from . import checkrun, goldens


def make_plan(raw: dict[str, Any], **loadbalancer: Any) -> Plan:
    raw["loadbalancer"].update(loadbalancer)
    return build_plan(ClusterSpec.model_validate(raw))


@pytest.fixture
def plan(raw: dict[str, Any]) -> Plan:
    return make_plan(raw)


@pytest.fixture
def keepalived_plan(raw: dict[str, Any]) -> Plan:
    return make_plan(raw, vip_manager="keepalived")


def by_target(artifacts: list[Artifact], host: str) -> dict[str, Artifact]:
    return {a.target or "": a for a in artifacts if a.host == host}


def lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip() and not x.strip().startswith("#")]


def dropins(*units: str) -> list[str]:
    return [lb.DROPIN.format(unit=unit) for unit in units]


def haproxy_cfg(plan: Plan, secrets: Secrets | None = None) -> list[str]:
    artifacts = lb.render(plan, secrets or goldens.fixed_secrets())
    return lines(by_target(artifacts, plan.by_role("loadbalancer")[0].name)[lb.HAPROXY].text)


# --- what the files say --------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["pacemaker", "keepalived"])
def test_matches_golden_files(raw: dict[str, Any], case: str) -> None:
    plan = make_plan(raw, vip_manager=case)
    name = "loadbalancer" if case == "pacemaker" else "loadbalancer-keepalived"
    goldens.check(lb.render(plan, goldens.fixed_secrets()), name)


def test_pacemaker_files_per_load_balancer(plan: Plan) -> None:
    artifacts = lb.render(plan, goldens.fixed_secrets())
    for machine in plan.by_role("loadbalancer"):
        files = by_target(artifacts, machine.name)
        assert set(files) == {lb.HAPROXY, lb.COROSYNC, lb.AUTHKEY, lb.CRM_SCRIPT, lb.VIP_AGENT,
                              *dropins("haproxy", "corosync")}
        assert (files[lb.VIP_AGENT].mode, files[lb.VIP_AGENT].secret) == (0o755, False)
        assert (files[lb.AUTHKEY].mode, files[lb.AUTHKEY].secret) == (0o400, True)
        assert files[lb.AUTHKEY].content == goldens.fixed_secrets().corosync_authkey
        assert (files[lb.HAPROXY].mode, files[lb.HAPROXY].secret) == (0o600, True)
        assert not files[lb.COROSYNC].secret and not files[lb.CRM_SCRIPT].secret


def test_keepalived_files_per_load_balancer(keepalived_plan: Plan) -> None:
    artifacts = lb.render(keepalived_plan, goldens.fixed_secrets())
    for machine in keepalived_plan.by_role("loadbalancer"):
        files = by_target(artifacts, machine.name)
        assert set(files) == {lb.HAPROXY, lb.KEEPALIVED, lb.SYSCTL,
                              *dropins("haproxy", "keepalived")}
        # VRRPv3 carries no password: nothing secret in the file any more.
        assert (files[lb.KEEPALIVED].mode, files[lb.KEEPALIVED].secret) == (0o644, False)
        assert lines(files[lb.SYSCTL].text) == ["net.ipv4.ip_nonlocal_bind=1"]


def test_backend_lists_every_master_by_address_with_readyz_checks(plan: Plan) -> None:
    cfg = haproxy_cfg(plan)
    assert "bind :6443" in cfg
    for option in (
        "option httpchk GET /readyz",
        "http-check expect status 200",
        "balance roundrobin",
        "option redispatch",
        "retries 3",
        "default-server inter 2s fall 3 rise 2 on-marked-down shutdown-sessions",
    ):
        assert option in cfg
    servers = [x for x in cfg if x.startswith("server ")]
    assert servers == [
        f"server {m.name} {m.address}:6443 check check-ssl verify none"
        for m in plan.by_role("control_plane")
    ]
    assert not any(x.startswith("resolvers") or " resolvers " in x for x in cfg)


def test_tcp_health_check_and_backup_servers_are_options(raw: dict[str, Any]) -> None:
    plan = make_plan(raw, health_check="tcp", backup_servers=["kube-mast03"])
    cfg = haproxy_cfg(plan)
    assert "option tcp-check" in cfg and "option httpchk GET /readyz" not in cfg
    assert "server kube-mast01 192.168.1.201:6443 check" in cfg
    assert "server kube-mast03 192.168.1.203:6443 check backup" in cfg


def test_stats_page_uses_the_generated_password(plan: Plan) -> None:
    assert "stats auth kubeforge:golden-stats-password" in haproxy_cfg(plan)
    assert "bind :32700" in haproxy_cfg(plan)


@pytest.mark.parametrize("field,value", [("stats_user", "ad min"), ("stats_password", "p#ss")])
def test_values_haproxy_cannot_read_as_one_word_are_refused(
    raw: dict[str, Any], field: str, value: str
) -> None:
    # The spec's types refuse these at load (tests/spec); this checks the renderer's own guard.
    spec = make_plan(raw).spec
    spec = spec.model_copy(update={"loadbalancer": spec.loadbalancer.model_copy(update={field: value})})
    plan = build_plan(spec)
    secrets = generate(plan.spec)
    with pytest.raises(RenderError, match=f"loadbalancer.{field}"):
        lb.render(plan, secrets)


def test_corosync_nodelist_and_two_node_quorum(plan: Plan) -> None:
    artifacts = lb.render(plan, goldens.fixed_secrets())
    text = by_target(artifacts, "kube-hapx01")[lb.COROSYNC].text
    conf = lines(text)
    for line in (
        "version: 2",
        "cluster_name: kube",
        "transport: knet",
        "token: 300",
        "crypto_cipher: aes256",
        "crypto_hash: sha256",
        "two_node: 1",
        "provider: corosync_votequorum",
    ):
        assert line in conf
    for machine in plan.by_role("loadbalancer"):
        assert (
            f"ring0_addr: {machine.address}\n\t\tname: {machine.name}\n\t\tnodeid: {machine.index}"
            in text
        )
    assert by_target(artifacts, "kube-hapx02")[lb.COROSYNC].text == text


@pytest.mark.parametrize("token,interval,timeout", [(300, 100, 200), (500, 125, 250),
                                                    (1000, 250, 500)])
def test_knet_link_timers_stay_within_what_knet_accepts(
    raw: dict[str, Any], token: int, interval: int, timeout: int
) -> None:
    """knet refuses a ping timeout under 200 ms (corosync then exits at start, seen on the lab
    with token 300): derived from the token, floored."""
    plan = make_plan(raw, corosync=dict(raw["loadbalancer"]["corosync"], token_ms=token))
    conf = lines(by_target(lb.render(plan, goldens.fixed_secrets()), "kube-hapx01")[
        lb.COROSYNC].text)
    assert f"token: {token}" in conf
    assert f"knet_ping_interval: {interval}" in conf and f"knet_ping_timeout: {timeout}" in conf


def test_crm_script_moves_only_the_vip_and_bans_a_node_cut_off_the_segment(plan: Plan) -> None:
    artifacts = lb.render(plan, goldens.fixed_secrets())
    crm = lines(by_target(artifacts, "kube-hapx01")[lb.CRM_SCRIPT].text)
    assert ("property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=ignore "
            f"transition-delay={lb.TRANSITION_DELAY}") in crm
    assert (
        f"primitive {lb.VIP_RESOURCE} {lb.VIP_AGENT_TYPE} params ip=192.168.4.20 "
        "cidr_netmask=24 nic=dmz0 op monitor interval=2s timeout=20s "
        "meta multiple-active=stop_unexpected"
    ) in crm
    # haproxy is systemd's on both nodes, not a resource: a failover starts nothing but the VIP.
    assert not any("haproxy" in line for line in crm)
    gateway = plan.subnets["dmz"].gateway
    balancers = " ".join(str(m.address) for m in plan.by_role("loadbalancer"))
    assert any(line.startswith(f'primitive {lb.PING_RESOURCE} ocf:pacemaker:ping params '
                               f'host_list="{gateway} {balancers}"') for line in crm)
    assert f"clone {lb.PING_RESOURCE}-clone {lb.PING_RESOURCE}" in crm
    assert (f"location {lb.VIP_RESOURCE}-on-the-segment {lb.VIP_RESOURCE} rule -inf: "
            "not_defined pingd or pingd lte 1000") in crm


@pytest.mark.parametrize("manager,vip_manager_unit", [("pacemaker", "corosync"),
                                                      ("keepalived", "keepalived")])
def test_systemd_restarts_the_pairs_daemons_and_drops_the_vip_with_its_manager(
    raw: dict[str, Any], manager: str, vip_manager_unit: str
) -> None:
    plan = make_plan(raw, vip_manager=manager)
    files = by_target(lb.render(plan, goldens.fixed_secrets()), "kube-hapx02")
    haproxy = lines(files[lb.DROPIN.format(unit="haproxy")].text)
    assert "Restart=always" in haproxy and "StartLimitIntervalSec=0" in haproxy
    assert not any(line.startswith("ExecStopPost") for line in haproxy)
    manager_unit = lines(files[lb.DROPIN.format(unit=vip_manager_unit)].text)
    assert "Restart=on-failure" in manager_unit and "StartLimitIntervalSec=0" in manager_unit
    assert "ExecStopPost=-/usr/sbin/ip -4 addr del 192.168.4.20/24 dev dmz0" in manager_unit


def test_keepalived_speaks_vrrp3_with_the_specs_advert_interval(raw: dict[str, Any]) -> None:
    plan = make_plan(raw, vip_manager="keepalived", keepalived={"advert_ms": 300})
    conf = lines(by_target(lb.render(plan, goldens.fixed_secrets()), "kube-hapx01")[
        lb.KEEPALIVED].text)
    assert "vrrp_version 3" in conf and "advert_int 0.3" in conf
    assert not any(line.startswith(("authentication", "auth_")) for line in conf)
    assert f"fall {lb.HAPROXY_FALL}" in conf
    assert conf[conf.index("track_script {") + 1] == "chk_haproxy"


def test_keepalived_peers_priorities_and_vip(keepalived_plan: Plan) -> None:
    artifacts = lb.render(keepalived_plan, goldens.fixed_secrets())
    first, second = keepalived_plan.by_role("loadbalancer")
    conf = {
        m.name: lines(by_target(artifacts, m.name)[lb.KEEPALIVED].text) for m in (first, second)
    }
    assert "priority 110" in conf[first.name] and "priority 100" in conf[second.name]
    for me, peer in ((first, second), (second, first)):
        cfg = conf[me.name]
        assert f"unicast_src_ip {me.address}" in cfg
        assert cfg[cfg.index("unicast_peer {") + 1] == str(peer.address)
        assert "interface dmz0" in cfg
        assert "192.168.4.20/24 dev dmz0" in cfg
        assert f"virtual_router_id {lb.vrrp_router_id('kube')}" in cfg


def test_vip_outside_the_load_balancer_subnet_is_a_render_error(raw: dict[str, Any]) -> None:
    raw["network"]["api_vip"] = "192.168.1.20"
    plan = build_plan(ClusterSpec.model_validate(raw))
    with pytest.raises(RenderError, match="network.api_vip"):
        lb.render(plan, goldens.fixed_secrets())


@pytest.mark.parametrize("manager", ["pacemaker", "keepalived"])
def test_same_plan_and_secrets_give_identical_bytes(raw: dict[str, Any], manager: str) -> None:
    def once() -> list[tuple[str, bytes, int]]:
        plan = make_plan(dict(raw, loadbalancer=dict(raw["loadbalancer"])), vip_manager=manager)
        return [(a.dest, a.content, a.mode) for a in lb.render(plan, goldens.fixed_secrets())]

    assert once() == once()


@pytest.mark.parametrize("manager", ["pacemaker", "keepalived"])
def test_secrets_only_in_secret_files(raw: dict[str, Any], manager: str) -> None:
    plan = make_plan(raw, vip_manager=manager)
    for secrets in (goldens.fixed_secrets(), generate(plan.spec)):
        artifacts = lb.render(plan, secrets)
        values = [v.encode() for v in secrets.values()] + [secrets.corosync_authkey]
        for artifact in artifacts:
            if not artifact.secret:
                assert not any(v in artifact.content for v in values), artifact.dest
                # Readable by all (the VIP's resource agent also executable), written by root.
                assert artifact.mode & 0o066 == 0o044, artifact.dest
            else:
                assert artifact.mode & 0o077 == 0, artifact.dest


# --- the real programs ---------------------------------------------------------------------------


def tree(plan: Plan, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_tree(lb.render(plan, goldens.fixed_secrets()), out)
    return out


def dmz_link(machine: Machine) -> str:
    """The machine's dmz0 (a veth in the namespace) holding its planned address."""
    nic = machine.primary
    assert nic.address is not None
    return checkrun.veth_lines({nic.name: [checkrun.cidr(nic.address, nic.prefix_len)]})


@pytest.mark.checkers
@pytest.mark.parametrize(
    "options", [{}, {"health_check": "tcp", "backup_servers": ["kube-mast03"]}]
)
def test_haproxy_accepts_the_config(
    raw: dict[str, Any], tmp_path: Path, options: dict[str, Any]
) -> None:
    plan = make_plan(raw, **options)
    out = tree(plan, tmp_path)
    haproxy = checkrun.need("haproxy")
    for machine in plan.by_role("loadbalancer"):
        # -dW: zero-warning mode, a warning fails the check too.
        done = checkrun.run(
            [haproxy, "-dW", "-c", "-f", str(out / machine.name / "etc/haproxy/haproxy.cfg")]
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.checkers
@pytest.mark.parametrize("transport", ["knet", "udpu", "udp"])
def test_corosync_accepts_the_config_on_each_node(
    raw: dict[str, Any], tmp_path: Path, transport: str
) -> None:
    """`corosync -t` reads /etc/corosync/{corosync.conf,authkey} and must find its own address in
    the nodelist: so each node's files are bind-mounted there in a namespace holding its address."""
    corosync: dict[str, Any] = {"transport": transport}
    if transport != "knet":  # what validate accepts: Corosync 3 encrypts knet only
        corosync.update(crypto_cipher="none", crypto_hash="none")
    if transport == "udp":
        corosync["mcastaddr"] = "239.255.1.1"
    plan = make_plan(raw, corosync=dict(raw["loadbalancer"]["corosync"], **corosync))
    out = tree(plan, tmp_path)
    binary = checkrun.need("corosync")
    for machine in plan.by_role("loadbalancer"):
        script = f"{dmz_link(machine)}\nmount --bind {out / machine.name}/etc/corosync /etc/corosync\n{binary} -t\n"
        done = checkrun.in_namespaces(script, mount=True)
        assert done.returncode == 0, done.stdout + done.stderr


OCF_AGENTS = Path("/usr/lib/ocf/resource.d")


def crm_load(script: Path, work: Path, force: bool, times: int = 1) -> list[str]:
    """Load a crm script into an empty CIB file (no cluster needed) and verify the result.

    crmsh writes ~/.cache, ~/.config and /var/log/crmsh: a private HOME and a tmpfs keep that
    off the host. The rendered resource agents of the machine (provider kubeforge) are added
    to a copy of the installed ones, mounted over them in this mount namespace only. Returns
    `crm configure show` after each load."""
    crm = checkrun.need("crm") + (" -F" if force else "")
    loads = "".join(
        f"{crm} configure load update {script}\n{crm} configure show > {work}/show{n}\n"
        for n in range(times)
    )
    agents = script.parents[2] / OCF_AGENTS.relative_to("/")
    body = f"""mount -t tmpfs kft-crmsh-log /var/log/crmsh
cp -r {OCF_AGENTS} {work}/agents
cp -r {agents}/kubeforge {work}/agents/
mount --bind {work}/agents {OCF_AGENTS}
export HOME={work} CIB_file={work}/cib.xml
{checkrun.need("cibadmin")} --empty > "$CIB_file"
{loads}{checkrun.need("crm_verify")} -x "$CIB_file"
"""
    done = checkrun.in_namespaces(body, mount=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return [(work / f"show{n}").read_text() for n in range(times)]


@pytest.mark.checkers
def test_crm_script_loads_strictly_idempotently_and_verifies(plan: Plan, tmp_path: Path) -> None:
    """The exact file, strictly (crmsh checks every agent, parameter and meta attribute against
    the installed agents), loaded twice into an empty CIB: same CIB, and crm_verify accepts it."""
    out = tree(plan, tmp_path)
    first, second = crm_load(out / "kube-hapx01/etc/kubeforge/pacemaker.crm", tmp_path,
                             force=False, times=2)
    assert first == second
    assert f"primitive kubeforge-vip {lb.VIP_AGENT_TYPE}" in first
    cib = ET.parse(tmp_path / "cib.xml").getroot()
    vip = cib.find(f".//primitive[@id='{lb.VIP_RESOURCE}']")
    assert vip is not None
    assert (vip.get("class"), vip.get("provider"), vip.get("type")) == ("ocf", "kubeforge", "vip")
    params = {n.get("name"): n.get("value") for n in vip.iter("nvpair")}
    assert params == {"ip": "192.168.4.20", "cidr_netmask": "24", "nic": "dmz0",
                      "multiple-active": "stop_unexpected"}
    clone = cib.find(f".//clone[@id='{lb.PING_RESOURCE}-clone']")
    assert clone is not None and clone.find(f"primitive[@id='{lb.PING_RESOURCE}']") is not None
    rule = cib.find(f".//rsc_location[@rsc='{lb.VIP_RESOURCE}']/rule")
    assert rule is not None and rule.get("score") == "-INFINITY"
    props = {
        n.get("name"): n.get("value")
        for n in cib.iter("nvpair")
        if n.get("id", "").startswith("cib-")
    }
    assert props["stonith-enabled"] == "false" and props["no-quorum-policy"] == "ignore"
    assert props["transition-delay"] == lb.TRANSITION_DELAY


@pytest.mark.checkers
def test_the_vip_agent_passes_ocf_tester_and_moves_the_address(plan: Plan, tmp_path: Path) -> None:
    """The rendered agent, run by resource-agents' ocf-tester (meta-data against the OCF DTD,
    start/monitor/stop and their repeats) on a dmz0 in a throwaway namespace; then by hand: the
    VIP is on dmz0 after start, announced (send_arp running), gone after stop."""
    out = tree(plan, tmp_path)
    balancer = plan.by_role("loadbalancer")[0]
    rendered = out / balancer.name / lb.VIP_AGENT.removeprefix("/")
    # ocf-tester also runs it as `nobody`, who cannot enter pytest's private temporary tree.
    agent = "/run/kft-vip"
    env = "export OCF_RESKEY_ip=192.168.4.20 OCF_RESKEY_cidr_netmask=24 OCF_RESKEY_nic=dmz0"
    script = f"""{dmz_link(balancer)}
mount -t tmpfs -o mode=0755 kft-run /run
cp -p {rendered} {agent}
{checkrun.need("ocf-tester")} -n vip -o ip=192.168.4.20 -o cidr_netmask=24 -o nic=dmz0 {agent}
{env}
{agent} start
ip -4 -o addr show dev dmz0 | grep -q ' 192.168.4.20/24 brd 192.168.4.255 '
for i in $(seq 50); do test -s /run/kubeforge-vip-send_arp-192.168.4.20 && break; sleep 0.1; done
read pid < /run/kubeforge-vip-send_arp-192.168.4.20 || :
test -d /proc/$pid
{agent} stop
for i in $(seq 20); do test -d /proc/$pid || break; sleep 0.1; done
! test -d /proc/$pid
! ip -4 -o addr show dev dmz0 | grep -q 192.168.4.20
set +e; {agent} monitor; echo "monitor after stop: $?"
"""
    done = checkrun.in_namespaces(script, mount=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout + done.stderr
    assert "monitor after stop: 7" in done.stdout


@pytest.mark.checkers
@pytest.mark.parametrize("manager", ["pacemaker", "keepalived"])
def test_systemd_accepts_the_dropins(raw: dict[str, Any], tmp_path: Path, manager: str) -> None:
    """`systemd-analyze verify` on a stand-in unit of each name with the rendered drop-in beside
    it: an unknown key or a bad value is reported on stderr (and would be ignored by systemd)."""
    plan = make_plan(raw, vip_manager=manager)
    out = tree(plan, tmp_path)
    units = tmp_path / "units"
    dropins_dir = out / "kube-hapx01/etc/systemd/system"
    for dropin in sorted(dropins_dir.glob("*.service.d")):
        unit = units / dropin.name.removesuffix(".d")
        unit.parent.mkdir(exist_ok=True)
        unit.write_text("[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n")
        (units / dropin.name).mkdir()
        for conf in dropin.iterdir():
            (units / dropin.name / conf.name).write_text(conf.read_text())
        done = subprocess.run([checkrun.need("systemd-analyze"), "verify", str(unit)],
                              capture_output=True, text=True, check=False,
                              env={"SYSTEMD_UNIT_PATH": f"{units}:", "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    assert len(list(dropins_dir.glob("*.service.d"))) == 2


@pytest.mark.checkers
def test_keepalived_accepts_the_config_on_each_node(keepalived_plan: Plan, tmp_path: Path) -> None:
    out = tree(keepalived_plan, tmp_path)
    binary = checkrun.need("keepalived")
    for machine in keepalived_plan.by_role("loadbalancer"):
        conf = out / machine.name / "etc/keepalived/keepalived.conf"
        done = checkrun.in_namespaces(f"{dmz_link(machine)}\n{binary} -t -f {conf}\n")
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.checkers
def test_haproxy_balances_over_ready_masters_and_hides_a_dead_one(
    plan: Plan, tmp_path: Path
) -> None:
    """haproxy runs the rendered file for real: TLS stand-ins on the masters' planned addresses
    (one answers /readyz with 500), haproxy on the load balancer's address. Through the API
    port only ready masters serve; a master killed between checks costs the client no error."""
    out = tree(plan, tmp_path)
    masters = plan.by_role("control_plane")
    balancer = plan.by_role("loadbalancer")[0]
    mast = plan.subnets["mast"]
    unready, victim = masters[-1].name, masters[0].name
    config = {
        "work": str(tmp_path),
        "haproxy_cfg": str(out / balancer.name / "etc/haproxy/haproxy.cfg"),
        "lb": str(balancer.address),
        "lb_cidr": checkrun.cidr(balancer.address, balancer.primary.prefix_len),
        "gateway": str(mast.gateway),
        "gateway_cidr": f"{mast.gateway}/{mast.cidr.prefixlen}",
        "api_port": plan.network.api_port,
        "stats_port": plan.spec.loadbalancer.stats_port,
        "stats_auth": f"{plan.spec.loadbalancer.stats_user}:golden-stats-password",
        "servers": [
            {
                "name": m.name,
                "address": str(m.address),
                "cidr": checkrun.cidr(m.address, m.primary.prefix_len),
                "readyz": 500 if m.name == unready else 200,
            }
            for m in masters
        ],
        "expect": {m.name: "DOWN" if m.name == unready else "UP" for m in masters},
        "kill": victim,
    }
    (tmp_path / "drive.json").write_text(json.dumps(config))
    driver = Path(__file__).parent / "haproxy_drive.py"
    checkrun.need("haproxy")
    # A private /run: haproxy's stats socket (/run/haproxy/admin.sock) stays off the host.
    script = f"mount -t tmpfs kft-run /run\nmkdir /run/haproxy\n{sys.executable} {driver} {tmp_path}/drive.json\n"
    done = checkrun.in_namespaces(script, mount=True)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["stats"] == config["expect"], result
    assert result["stats_without_auth"] == 401
    ready = {m.name for m in masters if m.name != unready}
    assert set(result["served"]) == ready  # round robin over both ready masters, never the unready
    assert set(result["served_after_kill"]) == ready - {victim}, result

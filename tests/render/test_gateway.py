"""The gateway renderer: sysctl, nftables and dnsmasq, checked against the plan and by the real
programs (dnsmasq, nft) in throwaway namespaces."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from kubeforge.plan.build import build_plan
from kubeforge.plan.model import UPLINK, Plan
from kubeforge.render import gateway, storage
from kubeforge.render.artifact import Artifact
from kubeforge.render.bundle import write_tree
from kubeforge.spec.model import ClusterSpec

from . import checkrun, goldens

DNS = "/etc/dnsmasq.d/kubeforge-dns.conf"
HOSTS = "/etc/dnsmasq.d/kubeforge-hosts.conf"
DHCP = "/etc/dnsmasq.d/kubeforge-dhcp.conf"


@pytest.fixture
def plan(raw: dict[str, Any]) -> Plan:
    return build_plan(ClusterSpec.model_validate(raw))


@pytest.fixture
def files(plan: Plan) -> dict[str, str]:
    return {a.target or "": a.text for a in gateway.render(plan, goldens.fixed_secrets())}


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_default_spec_matches_golden_files(plan: Plan) -> None:
    goldens.check(gateway.render(plan, goldens.fixed_secrets()), "gateway")


def test_files_land_on_the_gateway_with_their_targets(plan: Plan) -> None:
    artifacts = gateway.render(plan, goldens.fixed_secrets())
    assert {a.target for a in artifacts} == {gateway.SYSCTL, gateway.NFTABLES, DNS, HOSTS, DHCP,
                                            gateway.DNSMASQ_DROPIN}
    assert all(a.host == plan.gateway.name and a.dest == f"{a.host}{a.target}" for a in artifacts)
    assert all(not a.secret and a.mode == 0o644 for a in artifacts)


def test_forwarding_is_enabled(files: dict[str, str]) -> None:
    assert lines(files[gateway.SYSCTL]) == ["net.ipv4.ip_forward=1"]


def test_every_machine_address_has_a_host_record(plan: Plan, files: dict[str, str]) -> None:
    records = set(lines(files[HOSTS]))
    for machine in plan.machines:
        for nic in machine.nics:
            if nic.address is not None:
                assert f"host-record={machine.fqdn},{machine.name},{nic.address}" in records


def test_api_name_points_at_the_vip(plan: Plan, files: dict[str, str]) -> None:
    name = f"{gateway.API_NAME}.{plan.domain}"
    assert gateway.api_fqdn(plan) == name
    assert f"host-record={name},{gateway.API_NAME},{plan.network.api_vip}" in lines(files[HOSTS])


def test_every_machine_but_the_gateway_is_reserved_by_mac(
    plan: Plan, files: dict[str, str]
) -> None:
    hosts = [line for line in lines(files[DHCP]) if line.startswith("dhcp-host=")]
    expected = [
        f"dhcp-host={nic.mac},{nic.address},{m.name}"
        for m in plan.machines
        if m.role != "gateway"
        for nic in m.nics
    ]
    assert hosts == expected


def test_dhcp_per_subnet_from_the_plan(plan: Plan, files: dict[str, str]) -> None:
    dhcp = lines(files[DHCP])
    assert "dhcp-authoritative" in dhcp
    for s in plan.subnets.values():
        pool, lease = s.dhcp_pool, plan.network.dhcp_lease
        assert f"dhcp-range=set:{s.name},{pool.start},{pool.end},{s.cidr.netmask},{lease}" in dhcp
        assert f"dhcp-option=tag:{s.name},option:router,{s.gateway}" in dhcp
        assert f"dhcp-option=tag:{s.name},option:dns-server,{s.gateway}" in dhcp
        # Clients that get option 121 ignore option 3: the default route must be in 121.
        assert (
            f"dhcp-option=tag:{s.name},option:classless-static-route,0.0.0.0/0,{s.gateway}" in dhcp
        )


def test_dns_listens_on_subnet_nics_only_and_asks_the_spec_upstreams(
    plan: Plan, files: dict[str, str]
) -> None:
    dns = lines(files[DNS])
    for option in ("domain-needed", "bogus-priv", "bind-interfaces", "no-resolv"):
        assert option in dns
    assert [x for x in dns if x.startswith("interface=")] == [
        f"interface={s.interface}" for s in plan.subnets.values()
    ]
    assert f"interface={UPLINK}" not in dns
    assert [x for x in dns if x.startswith("server=")] == [
        f"server={ip}" for ip in plan.network.upstream_dns
    ]
    assert f"local=/{plan.domain}/" in dns


def test_firewall_names_the_planned_interfaces(plan: Plan, files: dict[str, str]) -> None:
    nft = files[gateway.NFTABLES]
    names = ", ".join(f'"{s.interface}"' for s in plan.subnets.values())
    assert f"define SUBNET_IFS = {{ {names} }}" in nft
    assert f'define UPLINK = "{UPLINK}"' in nft
    assert f"define SUPERNET = {plan.network.supernet}" in nft
    assert "oifname $UPLINK ip saddr $SUPERNET masquerade" in nft


def test_no_gateway_in_the_spec_renders_nothing(raw: dict[str, Any]) -> None:
    raw["hosts"]["gateway"]["count"] = 0
    assert (
        gateway.render(build_plan(ClusterSpec.model_validate(raw)), goldens.fixed_secrets()) == []
    )


def test_same_plan_and_secrets_give_identical_bytes(raw: dict[str, Any]) -> None:
    def once() -> list[tuple[str, bytes, int]]:
        plan = build_plan(ClusterSpec.model_validate(raw))
        return [(a.dest, a.content, a.mode) for a in gateway.render(plan, goldens.fixed_secrets())]

    assert once() == once()


def test_no_secret_in_gateway_files(plan: Plan) -> None:
    secrets = goldens.fixed_secrets()
    for artifact in gateway.render(plan, secrets):
        assert not any(value.encode() in artifact.content for value in secrets.values())


# --- the real programs ---------------------------------------------------------------------------


def _tree(plan: Plan, tmp_path: Path) -> tuple[list[Artifact], Path]:
    artifacts = gateway.render(plan, goldens.fixed_secrets())
    write_tree(artifacts, tmp_path / "out")
    return artifacts, tmp_path / "out" / plan.gateway.name


@pytest.mark.checkers
def test_dnsmasq_accepts_the_config(plan: Plan, tmp_path: Path) -> None:
    _, root = _tree(plan, tmp_path)
    dnsmasq = checkrun.need("dnsmasq")
    done = checkrun.run(
        [dnsmasq, "--test", "--conf-file=/dev/null", f"--conf-dir={root}/etc/dnsmasq.d"]
    )
    assert done.returncode == 0, done.stderr
    assert "syntax check OK" in done.stderr


@pytest.mark.checkers
def test_nft_loads_the_ruleset_in_a_throwaway_namespace(plan: Plan, tmp_path: Path) -> None:
    _, root = _tree(plan, tmp_path)
    nft = checkrun.need("nft")
    ruleset = root / "etc/nftables.conf"
    # Check, then really load it (the namespace dies with the shell) and read it back.
    done = checkrun.in_namespaces(
        f"{nft} -c -f {ruleset}\n{nft} -f {ruleset}\n{nft} list ruleset\n"
    )
    assert done.returncode == 0, done.stderr
    assert "table inet kubeforge" in done.stdout and "table ip kubeforge_nat" in done.stdout
    assert 'oifname "wan0" ip saddr 192.168.0.0/16 masquerade' in done.stdout


@pytest.mark.checkers
def test_dnsmasq_answers_for_every_machine_and_the_api(plan: Plan, tmp_path: Path) -> None:
    """dnsmasq runs for real on the gateway's four subnet NICs (veths in a throwaway namespace)
    and answers from the rendered host-records, before any machine took a lease."""
    _, root = _tree(plan, tmp_path)
    dnsmasq = checkrun.need("dnsmasq")
    links = {
        nic.name: [checkrun.cidr(nic.address, nic.prefix_len)]
        for nic in plan.gateway.nics
        if nic.address is not None
    }
    names = [m.fqdn for m in plan.machines] + [gateway.api_fqdn(plan), "kube-mast01",
                                               storage.storage_server(plan)]
    server = plan.subnets["mast"].gateway
    script = f"""{checkrun.veth_lines(links)}
{dnsmasq} --keep-in-foreground --conf-file=/dev/null --conf-dir={root}/etc/dnsmasq.d \\
  --pid-file={tmp_path}/dnsmasq.pid --dhcp-leasefile={tmp_path}/leases --user=root --log-facility=- &
pid=$!
trap 'kill $pid' EXIT
for i in $(seq 50); do [ -s {tmp_path}/dnsmasq.pid ] && break; sleep 0.1; done
{sys.executable} {Path(__file__).parent / "dnsquery.py"} {server} {" ".join(names)}
"""
    done = checkrun.in_namespaces(script)
    assert done.returncode == 0, done.stderr
    answers = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    for machine in plan.machines:
        wanted = {str(n.address) for n in machine.nics if n.address is not None}
        assert set(answers[machine.fqdn].split(",")) == wanted, machine.name
    assert answers[gateway.api_fqdn(plan)] == str(plan.network.api_vip)
    assert answers["kube-mast01"] == str(plan.machine("kube-mast01").address)
    # One address, the storage VIP: it follows a healthy NFS-Ganesha among the gluster machines.
    assert answers[storage.storage_server(plan)] == str(plan.storage_vip)


@pytest.mark.checkers
def test_systemd_accepts_the_dnsmasq_dropin(files: dict[str, str], tmp_path: Path) -> None:
    """dnsmasq runs in the foreground under a restart policy: `systemd-analyze verify` on a
    stand-in unit with the rendered drop-in beside it reports any unknown key or bad value."""
    dropin = files[gateway.DNSMASQ_DROPIN]
    assert "Type=simple" in dropin and "DNSMASQ_OPTS=-k" in dropin
    done = checkrun.verify_dropin("dnsmasq.service", dropin, tmp_path)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr

"""cloud-init applied each machine's NoCloud seed at first boot (the seed the VirtualBox
provider puts on the cidata ISO): hostname, admin user and key, network config by MAC."""

from __future__ import annotations

import json

import pytest

from kubeforge.bootstrap.output import NO_CHANGES
from tests.lab.conftest import Lab, operator_public_key

pytestmark = pytest.mark.lab


def test_cloud_init_finished_without_errors(lab: Lab) -> None:
    for machine in lab.plan.machines:
        status = json.loads(lab.out(machine.name, "cloud-init status --format json"))
        assert status["status"] == "done", machine.name
        assert status["errors"] == [], machine.name


def test_hostname_is_the_planned_name_not_the_container_name(lab: Lab) -> None:
    for machine in lab.topology.machines:
        # systemd-nspawn booted it as kf-<name>: only cloud-init can have set <name>.
        assert lab.out(machine.name, "hostname") == machine.name
        assert lab.out(machine.name, "cat /etc/hostname") == machine.name


def test_admin_user_has_the_operator_key_and_sudo(lab: Lab) -> None:
    user = lab.plan.ssh.user
    key = operator_public_key(lab)
    for machine in lab.plan.machines:
        assert key in lab.out(machine.name, f"cat /home/{user}/.ssh/authorized_keys")
        assert "sudo" in lab.out(machine.name, f"id -nG {user}").split()
        assert lab.exec(machine.name, f"su {user} -c 'sudo -n true'").returncode == 0


def test_network_config_matches_nics_by_planned_mac(lab: Lab) -> None:
    for machine in lab.plan.machines:
        for nic in machine.nics:
            unit = lab.out(machine.name, f"cat /etc/systemd/network/10-cloud-init-{nic.name}.network")
            assert f"MACAddress={nic.mac}" in unit, (machine.name, nic.name)
            assert lab.out(machine.name, f"cat /sys/class/net/{nic.name}/address") == nic.mac


def test_gateway_has_its_static_addresses(lab: Lab) -> None:
    gateway = lab.plan.gateway
    for nic in gateway.nics:
        if nic.address is not None:
            shown = lab.out(gateway.name, f"ip -4 -o addr show dev {nic.name}")
            assert f" {nic.address}/{nic.prefix_len} " in shown


def test_every_machine_gets_its_planned_address_from_the_gateway(lab: Lab) -> None:
    """Right after `lab up`, before any apply: the gateway serves DHCP from its first boot."""
    for machine in lab.plan.machines:
        if machine.role == "gateway":
            continue
        shown = lab.out(machine.name, f"ip -4 -o addr show dev {machine.primary.name}")
        assert f" {machine.address}/" in shown
        route = lab.out(machine.name, "ip -4 route show default")
        assert str(lab.plan.subnets[machine.subnet].gateway) in route


def test_machines_resolve_cluster_names_through_the_gateway(lab: Lab) -> None:
    first, second = lab.plan.by_role("gluster")[:2]
    shown = lab.out(first.name, f"getent hosts {second.fqdn}")
    assert shown.split()[0] == str(second.address)


def test_gateway_phase_finds_what_the_seed_installed_converged(lab: Lab) -> None:
    """The seed wrote the same bytes and started the same services as the gateway phase, so
    a dry-run of that phase right after `lab up` has nothing to do."""
    out = lab.apply(lab.plan, ("gateway",), dry_run=True)
    assert NO_CHANGES in out, out
    assert lab.out(lab.plan.gateway.name, "systemctl is-active dnsmasq nftables").split() == [
        "active", "active"]

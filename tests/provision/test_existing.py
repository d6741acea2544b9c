"""existing: hosts from an inventory file; nothing created; SSH banner wait on direct hosts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision import existing
from kubeforge.provision.base import Options
from tests.provision.fake_login import FakeMachines


def _write(path: Path, plan: Plan, gateway_port: int = 22, drop: str = "", extra: str = "") -> Path:
    hosts: dict[str, dict[str, object]] = {
        m.name: {"address": str(m.address), "jump": plan.gateway.name}
        for m in plan.machines
        if m.name != drop
    }
    hosts[plan.gateway.name] = {"address": "127.0.0.1", "port": gateway_port}
    if extra:
        hosts[extra] = {"address": "10.9.9.9"}
    path.write_text(yaml.safe_dump({"hosts": hosts}))
    return path


def test_inventory_becomes_endpoints_and_nothing_is_created(
    plan: Plan, options: Options, tmp_path: Path
) -> None:
    opts = dataclasses.replace(options, inventory=_write(tmp_path / "inv.yaml", plan, 2222))
    provider = existing.Existing(plan, opts)
    assert provider.plan_actions() == [] and provider.up() == [] and provider.destroy() == []
    endpoints = provider.endpoints()
    assert endpoints["kube-gate01"].port == 2222 and endpoints["kube-gate01"].jump is None
    assert endpoints["kube-mast01"].jump == "kube-gate01"
    assert endpoints["kube-mast01"].user == plan.ssh.user


def test_default_inventory_lives_in_the_state_dir(plan: Plan, options: Options) -> None:
    options.state_dir.mkdir(parents=True, exist_ok=True)
    _write(options.state_dir / existing.DEFAULT_FILE, plan)
    assert len(existing.Existing(plan, options).endpoints()) == 12


def test_every_inventory_problem_is_reported_at_once(
    plan: Plan, options: Options, tmp_path: Path
) -> None:
    path = _write(tmp_path / "inv.yaml", plan, drop="kube-node03", extra="kube-nope01")
    with pytest.raises(ProviderError) as caught:
        existing.Existing(plan, dataclasses.replace(options, inventory=path))
    assert "hosts.kube-node03: missing" in str(caught.value)
    assert "hosts.kube-nope01: not in the plan" in str(caught.value)


def test_unknown_inventory_keys_are_rejected(plan: Plan, options: Options, tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text("hosts:\n  kube-gate01: {adress: 1.2.3.4}\n")
    with pytest.raises(ProviderError, match="adress"):
        existing.Existing(plan, dataclasses.replace(options, inventory=path))


def test_missing_inventory_says_how_to_fix_it(plan: Plan, options: Options) -> None:
    with pytest.raises(ProviderError, match="--inventory PATH"):
        existing.Existing(plan, options)


def test_wait_for_ssh_waits_until_every_machine_takes_a_login(
    plan: Plan, options: Options, tmp_path: Path, fake_logins: FakeMachines
) -> None:
    """Refused, then "System is booting up", then ready: each host is asked again until it
    is ready, and the user hears which host is waited for and why."""
    fake_logins.refused, fake_logins.booting = 1, 1
    opts = dataclasses.replace(options, inventory=_write(tmp_path / "inv.yaml", plan, 2222))
    provider = existing.Existing(plan, opts)
    heard: list[str] = []
    provider.progress = lambda verdict: heard.append(f"{verdict.host}: {verdict.reason}")
    endpoints = provider.wait_for_ssh(timeout=30)
    assert endpoints["kube-gate01"].port == 2222
    assert all(fake_logins.probes.count(m.name) == 3 for m in plan.machines)
    assert "kube-mast01: no SSH login yet: ssh: connect to host kube-mast01 port 22: " \
           "Connection refused" in heard
    assert any(line.startswith("kube-node01:") and "booting up" in line for line in heard)


def test_wait_for_ssh_gives_up_naming_each_host_and_why(
    plan: Plan, options: Options, tmp_path: Path, fake_logins: FakeMachines
) -> None:
    fake_logins.refused = 1000
    opts = dataclasses.replace(options, inventory=_write(tmp_path / "inv.yaml", plan, 2222))
    with pytest.raises(ProviderError, match="(?s)not ready after 1 s.*kube-gate01: no SSH "
                       "login yet: .*Connection refused"):
        existing.Existing(plan, opts).wait_for_ssh(timeout=1)

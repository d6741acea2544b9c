"""existing: hosts from an inventory file; nothing created; SSH banner wait on direct hosts."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision import existing
from kubeforge.provision.base import Options


@pytest.fixture
def sshd_banner() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that greets like sshd (what wait_for_ssh looks for)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                continue
            with client:
                client.sendall(b"SSH-2.0-OpenSSH_9.2p1 fake-for-tests\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


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


def test_wait_for_ssh_reads_the_banner_of_direct_hosts(
    plan: Plan, options: Options, tmp_path: Path, sshd_banner: int
) -> None:
    opts = dataclasses.replace(options, inventory=_write(tmp_path / "inv.yaml", plan, sshd_banner))
    endpoints = existing.Existing(plan, opts).wait_for_ssh(timeout=10)
    assert endpoints["kube-gate01"].port == sshd_banner


def test_wait_for_ssh_gives_up_with_the_host_named(
    plan: Plan, options: Options, tmp_path: Path
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    opts = dataclasses.replace(options, inventory=_write(tmp_path / "inv.yaml", plan, port))
    with pytest.raises(ProviderError, match="kube-gate01: no SSH server answered"):
        existing.Existing(plan, opts).wait_for_ssh(timeout=0.5)

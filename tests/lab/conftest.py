"""One lab for the whole test session: the default topology, brought up once, shared by every
`@pytest.mark.lab` test, torn down at the end (test_down checks that nothing is left)."""

from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubeforge.lab import access, lifecycle, seeds, topology
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.render import bundle
from kubeforge.workspace import Workspace

# One lab per host (its namespace names are fixed): concurrent test sessions take turns.
SESSION_LOCK = Path("/run/lock/kubeforge-lab-tests.lock")
# The rendered gateway files that make it serve DHCP and DNS and route (what `apply` installs).
GATEWAY_FILES = ("/etc/dnsmasq.d/", "/etc/sysctl.d/")


@dataclass
class Lab:
    plan: Plan
    workspace: Workspace
    paths: LabPaths
    topology: topology.Topology

    def exec(self, host: str, command: str) -> subprocess.CompletedProcess[str]:
        """Run a shell command as root inside a machine (console-like, no network)."""
        argv = lifecycle.console_argv(self.plan, host, ["sh", "-c", command], self.paths)
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    def ssh(self, host: str, command: str) -> subprocess.CompletedProcess[str]:
        """Run a command over the operator's route (kf-operator -> gateway -> host)."""
        route = access.route(self.plan, host, self.workspace.ssh_key_path, self.paths)
        return subprocess.run(route.ssh_argv([command]), capture_output=True, text=True,
                              timeout=120, check=False)

    def out(self, host: str, command: str) -> str:
        done = self.exec(host, command)
        assert done.returncode == 0, f"{host}: {command}: {done.stderr}"
        return done.stdout.strip()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that change the shared lab's shape (a machine added) run after every other lab
    test, and the teardown test ends it, last of all."""
    last = [item for item in items if item.name.startswith("test_grown_")]
    last += [item for item in items if item.name.startswith("test_down_")]
    items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, mounts, systemd-nspawn)")
    SESSION_LOCK.parent.mkdir(parents=True, exist_ok=True)
    lock = SESSION_LOCK.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # released when this session's process ends
    workspace = Workspace(None, tmp_path_factory.mktemp("kubeforge-state"))
    plan = seeds.lab_plan(workspace.operator_spec())
    # The prefix (`kf`, or $KUBEFORGE_LAB_PREFIX) names the namespaces: a second lab can be up
    # beside a hand-made one if they differ (every caller must then use access.operator_netns).
    default = LabPaths.default()
    paths = LabPaths(cache=default.cache, prefix=default.prefix,
                     state=tmp_path_factory.mktemp("kubeforge-lab") / "lab")
    try:
        lifecycle.up(plan, seeds.render_seeds(plan), paths)
        yield Lab(plan, workspace, paths, topology.from_plan(plan, paths.prefix))
    finally:
        lifecycle.down(paths)


@pytest.fixture(scope="session")
def gateway_serving(lab: Lab) -> Lab:
    """Install the gateway's rendered dnsmasq and sysctl files over SSH, as the engine does,
    then wait until every machine holds its planned address (DHCP reservation by MAC)."""
    gateway = lab.plan.gateway.name
    artifacts = bundle.render_all(lab.plan, lab.workspace.secrets())
    for artifact in artifacts:
        if artifact.host == gateway and artifact.target and artifact.target.startswith(GATEWAY_FILES):
            target = shlex.quote(artifact.target)
            route = access.route(lab.plan, gateway, lab.workspace.ssh_key_path, lab.paths)
            copied = subprocess.run(route.ssh_argv([f"sudo tee {target} >/dev/null"]),
                                  input=artifact.content, capture_output=True, timeout=60,
                                  check=False)
            assert copied.returncode == 0, copied.stderr
    done = lab.ssh(gateway, "sudo sysctl -q -p /etc/sysctl.d/10-kubeforge-gateway.conf && sudo systemctl restart dnsmasq")
    assert done.returncode == 0, done.stderr
    _wait_for_addresses(lab, timeout=180)
    return lab


def _wait_for_addresses(lab: Lab, timeout: float) -> None:
    pending = {m.name: m for m in lab.plan.machines if m.role != "gateway"}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, machine in list(pending.items()):
            shown = lab.exec(name, f"ip -4 -o addr show dev {machine.primary.name}").stdout
            if f" {machine.address}/" in shown:
                del pending[name]
        time.sleep(1)
    assert not pending, f"no DHCP lease with the planned address on {sorted(pending)}"


def operator_public_key(lab: Lab) -> str:
    return Path(f"{lab.workspace.ssh_key_path}.pub").read_text().strip()

"""One lab for the whole test session: the default topology, brought up once, shared by every
`@pytest.mark.lab` test, torn down at the end (test_down checks that nothing is left).

On a loaded host: `KUBEFORGE_TEST_CPU_HOG=N` runs N CPU-bound processes (tests/cpuhog.py,
bounded in time, killed by PID) beside the whole lab session, e.g.
`KUBEFORGE_TEST_CPU_HOG=1 .venv/bin/pytest tests/lab -m lab -p no:cacheprovider`."""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.lab import access, lifecycle, seeds, topology
from kubeforge.lab.paths import LabPaths
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.render import bundle
from kubeforge.workspace import Workspace
from tests import cpuhog

# One lab per host (its namespace names are fixed): concurrent test sessions take turns.
SESSION_LOCK = Path("/run/lock/kubeforge-lab-tests.lock")


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

    def apply(self, plan: Plan, phases: tuple[str, ...], dry_run: bool = False) -> str:
        """`kubeforge apply --phase ...` on this lab for `plan` (this lab's, or a grown one)."""
        secrets = self.workspace.secrets()
        ctx = Context(plan, tuple(bundle.render_all(plan, secrets)), secrets,
                      kubernetes_binaries=False)
        reach = inventory.from_handoff(plan, provision_lab.handoff(plan, self.paths))
        out = io.StringIO()
        asyncio.run(engine.apply(ctx, reach, self.workspace.state_dir,
                                 Options(dry_run=dry_run, selection=Selection(phases)),
                                 Console(file=out, width=200, color_system=None)))
        return out.getvalue()

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
def lab_turn() -> None:
    """This session's turn on the host's lab (root only)."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, mounts, systemd-nspawn)")
    SESSION_LOCK.parent.mkdir(parents=True, exist_ok=True)
    lock = SESSION_LOCK.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # released when this session's process ends


@pytest.fixture(scope="session", autouse=True)
def cpu_hog(request: pytest.FixtureRequest) -> Iterator[list[int]]:
    """The load issue 9 asks the lab tests to survive, when KUBEFORGE_TEST_CPU_HOG asks for it:
    from this session's turn on the lab (not while it queues behind another) to its end."""
    count = cpuhog.requested()
    if count:
        request.getfixturevalue("lab_turn")
    with cpuhog.running(count) as pids:
        yield pids


@pytest.fixture(scope="session")
def lab(lab_turn: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    workspace = Workspace(None, tmp_path_factory.mktemp("kubeforge-state"))
    plan = seeds.lab_plan(workspace.operator_spec())
    # The prefix (`kf`, or $KUBEFORGE_LAB_PREFIX) names the namespaces: a second lab can be up
    # beside a hand-made one if they differ (every caller must then use access.operator_netns).
    default = LabPaths.default()
    paths = LabPaths(cache=default.cache, prefix=default.prefix,
                     state=tmp_path_factory.mktemp("kubeforge-lab") / "lab")
    try:
        _up(plan, paths, workspace)
        yield Lab(plan, workspace, paths, topology.from_plan(plan, paths.prefix))
    finally:
        lifecycle.down(paths)


def _up(plan: Plan, paths: LabPaths, workspace: Workspace) -> None:
    lifecycle.up(plan, seeds.render_seeds(plan), paths, identity=workspace.ssh_key_path)


def operator_public_key(lab: Lab) -> str:
    return Path(f"{lab.workspace.ssh_key_path}.pub").read_text().strip()

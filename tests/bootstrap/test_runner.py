"""The runner end to end, with the agent run locally (no SSH): what a user sees and gets."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kubeforge import errors
from kubeforge.bootstrap import engine
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.output import DRY_ONLY_NOTE, NO_CHANGES
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.bootstrap.state import ClusterLock
from kubeforge.workspace import Workspace

from .fakehost import FakeHost
from .local import LocalTransport, local_targets

HOSTS = ["a", "b", "c"]
SECRET = "s3cr3t-t0ken-value"


class Files(Phase):
    name = "files"
    title = "a config file and a line per host"
    version = "1"

    def hosts(self, ctx: Context) -> list[str]:
        return HOSTS

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        cfg = m.file("/etc/demo.conf", f"host={host}\nversion={self.version}\n".encode())
        return m.Manifest([cfg, m.line("/etc/hosts", "10.0.0.1 gw"),
                           m.file("/etc/token", SECRET.encode(), mode=0o600, secret=True),
                           m.command("reload", "echo reloaded >> $KF_ROOT/reloads",
                                     on_change=[cfg])])


class Fails(Phase):
    name = "fails"
    title = "breaks on b"
    broken = False

    def hosts(self, ctx: Context) -> list[str]:
        return HOSTS

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        cmd = "echo 'boom: disk full' >&2; exit 3" if host == "b" and self.broken else "true"
        return m.Manifest([m.command("step", cmd, creates="/done"),
                           m.file("/done", b"")])


class Kube(Phase):
    name = "kube"
    title = "needs kubeadm"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return ["a"]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest([m.command("init", "touch $KF_ROOT/inited", creates="/inited")])


class Env:
    def __init__(self, tmp: Path, k8s: bool = True) -> None:
        ws = Workspace(state_root=tmp / "ws")
        self.ctx = Context(ws.plan(), (), kubernetes_binaries=k8s)
        self.state = tmp / "state"
        self.targets = local_targets(tmp / "hosts", HOSTS)
        self.transport = LocalTransport()
        self.phases: list[Phase] = [Files(), Fails(), Kube()]
        self.bins = FakeHost.__new__(FakeHost)
        self.tools = tmp

    def run(self, **options: Any) -> str:
        out = io.StringIO()
        console = Console(file=out, width=200, color_system=None)
        asyncio.run(engine.apply(self.ctx, Reach(self.targets), self.state, Options(**options),
                                 console, transport=self.transport, phases=self.phases))
        return out.getvalue()

    def events(self, host: str) -> list[tuple[str, str]]:
        log = self.state / "logs" / f"{host}.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [(r["phase"], r["event"]) for r in map(json.loads, lines)]

    def root(self, host: str) -> Path:
        return Path(self.targets[host].root)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_apply_then_rerun_skips_and_dry_run_reports_nothing(env: Env) -> None:
    first = env.run()
    assert (env.root("b") / "etc/demo.conf").read_text() == "host=b\nversion=1\n"
    assert "changed" in first
    second = env.run()
    assert "skipped" in second and "nothing changed" in second
    assert NO_CHANGES in env.run(dry_run=True)
    recheck = env.run(recheck=True)
    assert "converged, nothing to change" in recheck


def test_one_round_trip_per_host_per_phase_when_converged(env: Env) -> None:
    env.run()
    env.transport.calls.clear()
    env.run(recheck=True, selection=Selection(phases=("files",)))
    assert [env.transport.agent_calls(h) for h in HOSTS] == [1, 1, 1]


def test_changed_input_redoes_only_that_and_fires_trigger(env: Env) -> None:
    env.run()
    env.phases[0].version = "2"  # type: ignore[attr-defined]
    env.transport.calls.clear()
    out = env.run()
    assert "version=2" in (env.root("a") / "etc/demo.conf").read_text()
    assert (env.root("a") / "reloads").read_text().count("reloaded") == 2
    assert "fails" in out and env.transport.agent_calls("a") == 2  # check + apply, files only


def test_dry_run_shows_diffs_and_changes_nothing(env: Env) -> None:
    env.run()
    env.phases[0].version = "2"  # type: ignore[attr-defined]
    out = env.run(dry_run=True)
    assert "-version=1" in out and "+version=2" in out
    assert "- run: echo reloaded" in out
    assert "version=1" in (env.root("a") / "etc/demo.conf").read_text()
    assert NO_CHANGES not in out


def test_failure_names_host_command_exit_and_stderr_then_resumes(env: Env) -> None:
    env.phases[1].broken = True  # type: ignore[attr-defined]
    with pytest.raises(errors.ApplyError) as caught:
        env.run()
    message = str(caught.value)
    assert "phase fails" in message and "b:" in message
    assert "exited 3" in message and "boom: disk full" in message
    assert not (env.root("a") / "inited").exists()  # stopped before the next phase
    env.phases[1].broken = False  # type: ignore[attr-defined]
    before = {h: len(env.events(h)) for h in HOSTS}
    out = env.run()
    again = {h: env.events(h)[before[h]:] for h in HOSTS}
    assert ("fails", "applied") in again["b"]  # the failed host is retried...
    assert not any(phase == "fails" for phase, _ in again["a"])  # ...a converged one is not
    assert ("kube", "applied") in again["a"] and (env.root("a") / "inited").exists()
    assert "done: 3 phase(s)" in out


def test_kubernetes_phase_is_dry_run_only_without_binaries(tmp_path: Path) -> None:
    env = Env(tmp_path, k8s=False)
    out = env.run()
    assert DRY_ONLY_NOTE in out and "- run: touch" in out
    assert not (env.root("a") / "inited").exists()


def test_selection_phase_from_hosts(env: Env) -> None:
    env.run(selection=Selection(phases=("kube",)))
    assert (env.root("a") / "inited").exists()
    assert not (env.root("a") / "etc/demo.conf").exists()
    env.run(selection=Selection(from_phase="fails", hosts=frozenset({"c"})))
    assert (env.root("c") / "done").exists() and not (env.root("a") / "done").exists()
    with pytest.raises(errors.ApplyError, match="unknown phase 'nope'"):
        env.run(selection=Selection(phases=("nope",)))


def test_no_secret_in_logs_or_output(env: Env) -> None:
    env.ctx = Context(env.ctx.plan, (), secrets=None)
    out = env.run() + env.run(dry_run=True, recheck=True)
    env.phases[0].version = "3"  # type: ignore[attr-defined]
    out += env.run(dry_run=True)
    logs = "".join(p.read_text() for p in (env.state / "logs").glob("*.log"))
    assert logs and SECRET not in logs and SECRET not in out
    assert (env.root("a") / "etc/token").read_text() == SECRET


def test_secret_values_redacted_from_failures(tmp_path: Path) -> None:
    class Leaky(Phase):
        name, title = "leaky", "prints a secret on failure"

        def hosts(self, ctx: Context) -> list[str]:
            return ["a"]

        def plan(self, ctx: Context, host: str) -> m.Manifest:
            return m.Manifest([m.command("x", f"echo {SECRET} >&2; exit 1", secret=True)])

    env = Env(tmp_path)
    ws = Workspace(state_root=tmp_path / "ws")
    secrets = ws.secrets()
    env.ctx = Context(env.ctx.plan, (), secrets=secrets.__class__(
        **{**secrets.__dict__, "haproxy_stats_password": SECRET}))
    env.phases = [Leaky()]
    with pytest.raises(errors.ApplyError) as caught:
        env.run()
    assert SECRET not in str(caught.value) and "<secret command>" in str(caught.value)
    logs = (env.state / "logs" / "a.log").read_text()
    assert SECRET not in logs


def test_second_apply_refused_while_one_runs(env: Env) -> None:
    with ClusterLock(env.state), pytest.raises(errors.ApplyError, match="another kubeforge"):
        env.run()


def test_state_file_records_digest_per_host(env: Env) -> None:
    env.run()
    state = json.loads((env.state / "apply-state.json").read_text())
    assert set(state["phases"]["files"]) == set(HOSTS)

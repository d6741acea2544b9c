"""The phase graph: independent tracks overlap, on machines of their own, and a failure in one
track lets the running phases finish but starts no new one."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import pytest

from kubeforge import errors
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import AFTER, all_phases
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Selection, needs_of
from kubeforge.workspace import Workspace

from .test_runner import Env

# Each waits (bounded, 10 s) until the other has started: both pass only if they overlap.
MEET = ("touch $KF_ROOT/../{me}.started; i=0; while [ ! -e $KF_ROOT/../{other}.started ]; do "
        "i=$((i+1)); [ $i -gt 100 ] && exit 7; sleep 0.1; done; {then}")


class Track(Phase):
    def __init__(self, name: str, host: str, after: tuple[str, ...] | None,
                 command: str) -> None:
        self.name, self.title, self.after = name, f"track {name}", after
        self.host, self.command = host, command

    def hosts(self, ctx: Context) -> list[str]:
        return [self.host]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest([m.command("step", self.command, creates=f"/{self.name}.done"),
                           m.file(f"/{self.name}.done", b"")])


@pytest.mark.parametrize("lab", [False, True], ids=["machines", "lab"])
def test_phases_that_may_overlap_touch_different_machines(tmp_path: Path, lab: bool) -> None:
    ctx = Context(Workspace(state_root=tmp_path).plan(), (), kubernetes_binaries=not lab)
    phases = all_phases()
    needs = needs_of(phases)
    touched = {p.name: set(p.hosts(ctx)) | {pre[0] for pre in [p.prerequisite(ctx)] if pre}
               for p in phases}
    for one, two in itertools.combinations(phases, 2):
        if one.name in needs[two.name] or two.name in needs[one.name]:
            continue
        assert not touched[one.name] & touched[two.name], (one.name, two.name)
    assert "lb" not in needs["storage-servers"] and "storage-servers" not in needs["lb"]
    assert {"vip", "node-prereqs", "reachable"} <= needs["control-plane-init"]


def test_independent_phases_run_at_the_same_time(tmp_path: Path) -> None:
    env = Env(tmp_path)
    env.phases = [Track("one", "a", (), MEET.format(me="one", other="two", then="true")),
                  Track("two", "b", (), MEET.format(me="two", other="one", then="true")),
                  Track("end", "c", ("one", "two"), "true")]
    out = env.run()
    assert "done: 3 phase(s)" in out
    assert "one · a:" in out and "two · b:" in out  # overlapping lines name their phase


def test_a_failure_lets_the_other_track_finish_and_starts_nothing_new(tmp_path: Path) -> None:
    env = Env(tmp_path)
    env.phases = [Track("one", "a", (), MEET.format(me="one", other="two", then="exit 3")),
                  Track("two", "b", (), MEET.format(me="two", other="one", then="sleep 1")),
                  Track("next", "b", ("two",), "true")]
    with pytest.raises(errors.ApplyError) as caught:
        env.run()
    assert "phase one failed" in str(caught.value)
    assert "not started because of it: next" in str(caught.value)
    assert (env.root("b") / "two.done").exists()  # the running phase finished...
    assert not (env.root("b") / "next.done").exists()  # ...none started after the failure


class Breaks(Track):
    """Raises while planning (not a host's failure): e.g. a machine with no SSH address."""

    async def prepare(self, ctx: Context, query: object, dry: bool) -> None:
        await asyncio.sleep(0.5)
        raise errors.ApplyError("phase breaks: no SSH address known for kube-x")


def test_an_error_in_one_track_lets_the_other_finish_before_it_is_raised(
        tmp_path: Path) -> None:
    env = Env(tmp_path)
    env.phases = [Breaks("breaks", "a", (), "true"),
                  Track("two", "b", (), "sleep 2"), Track("next", "b", ("two",), "true")]
    with pytest.raises(errors.ApplyError, match="no SSH address known"):
        env.run()
    assert (env.root("b") / "two.done").exists()  # finished (and recorded) before the raise
    assert "two" in json.loads((env.state / "apply-state.json").read_text())["phases"]
    assert not (env.root("b") / "next.done").exists()


def test_from_the_failed_phase_resumes_the_track_it_stopped(tmp_path: Path) -> None:
    env = Env(tmp_path)
    env.phases = [Track("lb", "a", (), "sleep 1"), Track("vip", "a", ("lb",), "true"),
                  Track("etcd", "c", (), "exit 3"),
                  Track("init", "b", ("etcd", "vip"), "test -e $KF_ROOT/../a/vip.done")]
    with pytest.raises(errors.ApplyError, match="not started because of it: vip, init"):
        env.run()
    env.phases[2].command = "true"  # type: ignore[attr-defined]  # the cause fixed
    out = env.run(selection=Selection(from_phase="etcd"))
    assert (env.root("a") / "vip.done").exists() and (env.root("b") / "init.done").exists()
    assert "lb · a: inputs unchanged" in out  # what had converged is skipped from state


def test_every_need_names_a_listed_phase_before_it() -> None:
    names = [p.name for p in all_phases()]
    assert set(AFTER) == set(names)
    for name, wanted in AFTER.items():
        assert all(names.index(w) < names.index(name) for w in wanted), name


def test_needs_are_transitive_so_a_selection_keeps_the_order() -> None:
    needs = needs_of(all_phases())
    assert "lb" in needs["control-plane-init"] and "storage-pool" in needs["storage"]
    phases = [Track("x", "a", None, "true"), Track("y", "a", None, "true")]
    assert needs_of(phases) == {"x": set(), "y": {"x"}}  # no `after`: the one listed before
    with pytest.raises(errors.ApplyError, match="needs y, which is listed after it"):
        needs_of([Track("x", "a", ("y",), "true"), Track("y", "a", (), "true")])


def test_selecting_two_tracks_runs_them_in_order_of_needs(tmp_path: Path) -> None:
    env = Env(tmp_path)
    env.phases = [Track("one", "a", (), "true"), Track("mid", "b", ("one",), "true"),
                  Track("end", "c", ("mid",), "test -e $KF_ROOT/../b/one-saw")]
    env.phases[0].command = "touch $KF_ROOT/../b/one-saw"  # type: ignore[attr-defined]
    out = env.run(selection=Selection(phases=("one", "end")))
    assert "done: 2 phase(s)" in out  # `end` waited for `one` although `mid` was left out

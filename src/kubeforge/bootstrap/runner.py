"""Run phases as their needs allow, hosts in parallel: check, apply only what differs, record.

A phase starts once the phases it needs (`Phase.after`, transitively) have finished, so
independent tracks (load balancers, storage, Kubernetes machines) overlap; after a failure no
phase starts, the running ones finish, and the run stops naming every failed phase.

Per host and phase: one exec checks everything (the manifest), at most one more applies
the differences. Inputs that hash the same as at the last success are skipped unless
`recheck` is set. A failure stops after the phase, naming host, command, exit code and
the tail of stderr; the state file keeps what finished, so the next run resumes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from kubeforge import errors
from kubeforge.bootstrap import changes
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.ahead import CheckAhead
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.hostlog import HostLogs
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.session import AgentSession, Failure, Outcome
from kubeforge.bootstrap.ssh import REACH_WAIT, Target
from kubeforge.bootstrap.state import ApplyState

Status = Literal["skipped", "converged", "changed", "would-change", "failed"]
# The exit status of a failure where no command ran (the host could not be reached, its plan
# could not be made): its `stderr` holds the cause itself.
NO_COMMAND = -1


@dataclass(frozen=True)
class Selection:
    phases: tuple[str, ...] = ()  # --phase (repeatable): only these
    from_phase: str | None = None  # --from: this one and every phase it does not need
    hosts: frozenset[str] | None = None  # --hosts: only these machines

    def pick(self, phases: Sequence[Phase]) -> list[Phase]:
        names = [p.name for p in phases]
        for wanted in (*self.phases, *([self.from_phase] if self.from_phase else [])):
            if wanted not in names:
                raise errors.ApplyError(
                    f"unknown phase {wanted!r}; phases are: {', '.join(names)}")
        # --from X: X and every phase X does not need. Listed one after another that is "X and
        # every later one"; with tracks it keeps a phase of another track that never ran
        # because X failed (resuming with --from X must not skip it).
        before = needs_of(phases)[self.from_phase] if self.from_phase else set()
        return [p for p in phases if p.name not in before
                and (not self.phases or p.name in self.phases)]


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    recheck: bool = False  # check hosts even when their inputs did not change
    selection: Selection = Selection()
    reach_wait: float = REACH_WAIT  # per host: how long a booting machine is waited for


@dataclass
class HostReport:
    host: str
    status: Status
    changes: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    failure: Failure | None = None
    seconds: float = 0.0


@dataclass
class PhaseReport:
    name: str
    title: str
    dry_only: bool  # ran as dry-run although the apply was real (no Kubernetes binaries)
    hosts: list[HostReport] = field(default_factory=list)


class Reporter(Protocol):
    def phase_started(self, phase: Phase, hosts: list[str], dry: bool, dry_only: bool) -> None: ...
    def host_finished(self, phase: Phase, report: HostReport) -> None: ...
    def run_finished(self, reports: list[PhaseReport], dry_run: bool) -> None: ...


class Runner:
    def __init__(self, ctx: Context, phases: Sequence[Phase], targets: dict[str, Target],
                 session: AgentSession, state: ApplyState, logs: HostLogs,
                 reporter: Reporter, options: Options) -> None:
        self.ctx, self.phases, self.targets = ctx, phases, targets
        self.session, self.state, self.logs = session, state, logs
        self.reporter, self.options = reporter, options
        self.ahead = CheckAhead(session)

    async def run(self) -> list[PhaseReport]:
        reports: list[PhaseReport] = []
        selected = self.options.selection.pick(self.phases)
        warming = asyncio.ensure_future(self.warm_up(selected))
        try:
            self.check_ahead(selected)
            await self._run(selected, reports)
        finally:
            warming.cancel()
            self.ahead.cancel()
        return reports

    def check_ahead(self, phases: Sequence[Phase]) -> None:
        for phase in phases:
            if not CheckAhead.eligible(phase):
                continue
            for host in self.hosts_of(phase):
                if self._will_contact(phase, host):
                    self.ahead.start(phase, host, self.targets[host],
                                     phase.plan(self.ctx, host), self.is_dry(phase))

    def is_dry(self, phase: Phase) -> bool:
        return self.options.dry_run or (phase.needs_kubernetes
                                        and not self.ctx.kubernetes_binaries)

    async def warm_up(self, phases: Sequence[Phase]) -> None:
        """Open every connection the run will need at once, so handshakes overlap the first
        phases instead of adding up phase after phase. Errors surface in the phases."""
        warm = getattr(self.session.transport, "connection", None)
        if warm is None:
            return
        names = {h for p in phases for h in self.hosts_of(p) if self._will_contact(p, h)}
        await asyncio.gather(*(warm(n) for n in sorted(names)), return_exceptions=True)

    def _will_contact(self, phase: Phase, host: str) -> bool:
        if self.is_dry(phase) or self.options.recheck:
            return True
        try:
            digest = phase.plan(self.ctx, host).digest()
        except (errors.KubeforgeError, KeyError, ValueError):  # the phase reports it itself
            return True
        return not self.state.converged(phase.name, host, digest, self.identity(host))

    async def _run(self, selected: list[Phase], reports: list[PhaseReport]) -> None:
        names = {p.name for p in selected}
        needs = {name: wanted & names for name, wanted in needs_of(self.phases).items()}
        waiting, finished = list(selected), set[str]()
        running: dict[asyncio.Task[PhaseReport], Phase] = {}
        failures: list[tuple[Phase, list[HostReport]]] = []
        raised: list[Exception] = []  # not a host's failure (no address, a plan that broke)
        try:
            while waiting or running:
                stop = failures or raised
                for phase in [p for p in waiting if not stop and needs[p.name] <= finished]:
                    waiting.remove(phase)
                    running[asyncio.ensure_future(self.run_phase(phase))] = phase
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda t: selected.index(running[t])):
                    phase = running.pop(task)
                    try:
                        report = task.result()
                    # Whatever it is, it is raised once the phases still running have
                    # finished: the other tracks must not be left applying after we return.
                    except Exception as exc:  # noqa: BLE001
                        raised.append(exc)
                        continue
                    reports.append(report)
                    failed = [h for h in report.hosts if h.failure is not None]
                    if failed:
                        failures.append((phase, failed))
                    finished.add(phase.name)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if raised:
            raise raised[0]
        self.reporter.run_finished(reports, self.options.dry_run)
        if failures:
            lines = [failure_message(phase, failed) for phase, failed in failures]
            if waiting:
                lines.append("not started because of it: " + ", ".join(p.name for p in waiting))
            raise errors.ApplyError(self.logs.redact("\n".join(lines)))

    def hosts_of(self, phase: Phase) -> list[str]:
        hosts = phase.hosts(self.ctx)
        wanted = self.options.selection.hosts
        hosts = [h for h in hosts if wanted is None or h in wanted]
        missing = [h for h in hosts if h not in self.targets]
        if missing:
            raise errors.ApplyError(
                f"phase {phase.name}: no SSH address known for {', '.join(missing)}; is the "
                "machine provisioned (kubeforge up / lab up)?")
        return hosts

    async def run_phase(self, phase: Phase) -> PhaseReport:
        dry_only = phase.needs_kubernetes and not self.ctx.kubernetes_binaries
        dry = self.is_dry(phase)
        hosts = self.hosts_of(phase)
        report = PhaseReport(phase.name, phase.title, dry_only and not self.options.dry_run)
        self.reporter.phase_started(phase, hosts, dry, report.dry_only)
        if hosts:
            await phase.prepare(self.ctx, self.query, dry)
            first = await self.run_prerequisite(phase, hosts, dry)
            if first is not None:
                report.hosts.append(first)
                if first.failure:
                    return report
        if phase.serial:
            for host in hosts:
                report.hosts.append(await self.run_host(phase, host, dry))
        else:
            report.hosts = list(await asyncio.gather(
                *(self.run_host(phase, host, dry) for host in hosts)))
        return report

    async def run_prerequisite(self, phase: Phase, hosts: list[str],
                               dry: bool) -> HostReport | None:
        needed = phase.prerequisite(self.ctx)
        if needed is None or not any(self._will_contact(phase, h) for h in hosts):
            return None
        host, manifest = needed
        if host not in self.targets:
            raise errors.ApplyError(f"phase {phase.name}: no SSH address known for {host}, "
                                    "which it needs first")
        return await self.run_host(phase, host, dry, manifest)

    async def run_host(self, phase: Phase, host: str, dry: bool,
                       prerequisite: m.Manifest | None = None) -> HostReport:
        started = time.monotonic()
        try:
            report = await self._converge(phase, host, dry, prerequisite)
        except errors.KubeforgeError as exc:
            report = HostReport(host, "failed", failure=Failure(host, "", NO_COMMAND, str(exc)))
        report.seconds = time.monotonic() - started
        if report.failure:
            self.logs.write(host, phase.name, "failed", failure=report.failure.__dict__)
        self.reporter.host_finished(phase, report)
        return report

    async def _converge(self, phase: Phase, host: str, dry: bool,
                        prerequisite: m.Manifest | None = None) -> HostReport:
        """Check, apply what differs, record. A prerequisite is always checked (it expires)
        and never recorded."""
        manifest = prerequisite or phase.plan(self.ctx, host)
        digest = manifest.digest()
        identity = self.identity(host)
        if not dry and not self.options.recheck and prerequisite is None and self.state.converged(
                phase.name, host, digest, identity):
            return HostReport(host, "skipped")
        target = self.targets[host]
        self.logs.write(host, phase.name, "check", ops=[op.log_form() for op in manifest.ops])
        checked = await self.ahead.take(
            phase, host, digest, lambda: asyncio.ensure_future(
                self.session.check(target, manifest, diff=dry)))
        self.log_results(host, phase, "checked", checked)
        if checked.failure:
            return HostReport(host, "failed", failure=checked.failure)
        pending = checked.pending()
        described = describe(manifest, pending)
        if dry:
            return HostReport(host, "would-change" if pending else "converged", described,
                              diffs(manifest, pending))
        if pending:
            self.ahead.changed(phase)
            applied = await self.session.apply(target, manifest, {r["id"] for r in pending})
            self.log_results(host, phase, "applied", applied)
            if applied.failure:
                self.state.forget(phase.name, host)
                return HostReport(host, "failed", described, failure=applied.failure)
        if prerequisite is None:
            self.state.record(phase.name, host, digest, len(pending), self.identity(host))
        return HostReport(host, "changed" if pending else "converged", described)

    def identity(self, host: str) -> str | None:
        """The host key pinned for `host` ("" when none is pinned yet; None when the
        transport has no host keys): a machine re-created under the same name gets a new key,
        and the records about the old one no longer count."""
        known = getattr(self.session.transport, "known", None)
        if known is None or host not in self.targets:
            return None
        keys = known.pinned(self.targets[host])
        return ",".join(sorted(key.get_fingerprint() for key in keys))

    async def query(self, host: str, command: str) -> str | None:
        """Run one read-only command for a phase's prepare step; None if it fails."""
        if host not in self.targets:
            return None
        try:
            done = await self.session.transport.run(host, command, b"")
        except errors.KubeforgeError:
            return None
        self.logs.write(host, "prepare", "query", command=command, exit=done.exit_status)
        return done.stdout.decode("utf-8", "replace") if done.exit_status == 0 else None

    def log_results(self, host: str, phase: Phase, event: str, outcome: Outcome) -> None:
        # Current file contents (dry-run diffs) stay out of the logs: they may be large.
        slim = [{k: v for k, v in r.items() if k not in ("current", "diff")}
                for r in outcome.results]
        self.logs.write(host, phase.name, event, results=slim)


def needs_of(phases: Sequence[Phase]) -> dict[str, set[str]]:
    """Each phase's needs, transitively, so that a selection which leaves a phase out keeps
    the order around it. `after` None: the phase listed before. A need that is not in the
    list is met; one listed later is a mistake in the list."""
    listed = [p.name for p in phases]
    closed: dict[str, set[str]] = {}
    for index, phase in enumerate(phases):
        named = phase.after if phase.after is not None else tuple(listed[index - 1:index])
        later = [n for n in named if n in listed[index:]]
        if later:
            raise errors.ApplyError(f"phase {phase.name} needs {', '.join(later)}, which is "
                                    "listed after it")
        known = [n for n in named if n in closed]
        closed[phase.name] = set(known).union(*(closed[n] for n in known))
    return closed


def describe(manifest: m.Manifest, pending: list[dict[str, object]]) -> list[str]:
    ops = manifest.by_id()
    return [changes.describe(ops[str(r["id"])], r) for r in pending]


def diffs(manifest: m.Manifest, pending: list[dict[str, object]]) -> list[str]:
    ops = manifest.by_id()
    found = (changes.diff(ops[str(r["id"])], r) for r in pending)
    return [d for d in found if d]


def failure_message(phase: Phase, failed: list[HostReport]) -> str:
    lines = [(f"phase {phase.name} failed on {len(failed)} host(s); fix and re-run "
              "(converged phases and hosts are skipped):")]
    for report in failed:
        f = report.failure
        assert f is not None
        lines.append(f"  {f.host}: {what_failed(f)}")
        if f.exit_status != NO_COMMAND:  # else stderr is the cause, already said
            lines += [f"    | {line}" for line in f.stderr.strip().splitlines()[-12:]]
    return "\n".join(lines)


def what_failed(f: Failure) -> str:
    """`command` exited N; or, when no command ran, the cause itself (host name dropped)."""
    if f.exit_status != NO_COMMAND:
        return f"`{f.command}` exited {f.exit_status}"
    return f.stderr.strip().removeprefix(f"{f.host}: ")

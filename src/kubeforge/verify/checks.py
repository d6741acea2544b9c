"""Every phase's check, nothing applied: what `apply --dry-run --recheck` sees, per host.

One runner per phase, so a phase that fails on a host (unreachable, a failed precondition)
is reported and the others are still checked; nothing is recorded in the apply state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kubeforge import errors
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.hostlog import HostLogs, Redactor
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import HostReport, Options, PhaseReport, Runner
from kubeforge.bootstrap.session import AgentSession, Transport
from kubeforge.bootstrap.ssh import Target
from kubeforge.bootstrap.state import ApplyState


class Collector:
    """A runner reporter that keeps the reports instead of printing them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reports: list[PhaseReport] = []

    def phase_started(self, phase: Phase, hosts: list[str], dry: bool, dry_only: bool) -> None:
        lab_only = phase.needs_kubernetes and not self.ctx.kubernetes_binaries
        self.reports.append(PhaseReport(phase.name, phase.title, lab_only))

    def host_finished(self, phase: Phase, report: HostReport) -> None:
        self.reports[-1].hosts.append(report)

    def run_finished(self, reports: list[PhaseReport], dry_run: bool) -> None:
        """Nothing to print: the caller reads `reports`."""


async def check_all(ctx: Context, targets: dict[str, Target], transport: Transport,
                    state_dir: Path, phases: Sequence[Phase]) -> list[PhaseReport]:
    collector = Collector(ctx)
    logs = HostLogs(state_dir / "logs", Redactor(ctx.secret_values()))
    options = Options(dry_run=True, recheck=True)
    for phase in phases:
        runner = Runner(ctx, [phase], targets, AgentSession(transport),
                        ApplyState.load(state_dir), logs, collector, options)
        try:
            await runner.run()
        except errors.ApplyError:
            pass  # the failed hosts are in the collector's report
    return collector.reports

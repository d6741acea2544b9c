"""Rich output for an apply: a line when a phase starts, one per phase and host as they finish
(phases of different tracks overlap, so each names its phase), then a summary.

Dry-run prints per host the changes and unified diffs, and ends with "no changes would be
performed" when there is nothing to do (the k0sctl convention, which makes a dry-run
after an apply an idempotency test).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from kubeforge.bootstrap.hostlog import Redactor
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import HostReport, PhaseReport, what_failed

NO_CHANGES = "no changes would be performed"
DRY_ONLY_NOTE = ("dry-run only: these hosts have no kubeadm/kubelet binaries (the lab, or an "
                 "image from `kubeforge image build`); showing what a real apply would do")

STYLE = {"skipped": ("·", "dim"), "converged": ("✓", "green"), "changed": ("✓", "yellow"),
         "would-change": ("~", "yellow"), "failed": ("✗", "bold red")}


class RichReporter:
    def __init__(self, console: Console, redact: Redactor) -> None:
        self.console = console
        self.redact = redact

    def print(self, text: str) -> None:
        self.console.print(self.redact(text), highlight=False)

    def phase_started(self, phase: Phase, hosts: list[str], dry: bool, dry_only: bool) -> None:
        if not hosts:
            self.print(f"[dim]▶ {phase.name} — not needed for this spec (no hosts)[/]")
            return
        mode = " [yellow](dry-run)[/]" if dry else ""
        self.print(f"[bold]▶ {phase.name}[/] — {escape(phase.title)}{mode} "
                   f"[dim]({len(hosts)} host{'s' if len(hosts) != 1 else ''})[/]")
        if dry_only:
            self.print(f"  [yellow]{DRY_ONLY_NOTE}[/]")

    def host_finished(self, phase: Phase, report: HostReport) -> None:
        mark, style = STYLE[report.status]
        label = {"skipped": "inputs unchanged since last apply, skipped",
                 "converged": "converged, nothing to change",
                 "changed": f"changed {len(report.changes)}",
                 "would-change": f"would change {len(report.changes)}",
                 "failed": "failed"}[report.status]
        # Phases of different tracks overlap: each line names its phase.
        self.print(f"  [{style}]{mark}[/] {phase.name} · {escape(report.host)}: {label} "
                   f"[dim]{report.seconds:.2f}s[/]")
        if report.status == "changed":
            for line in report.changes:
                self.print(f"      {escape(line)}")
        if report.failure:
            self.print(f"      [red]{escape(what_failed(report.failure))}[/]")

    def waiting(self, host: str, reason: str, left: float) -> None:
        """The engine waits for a machine that is still booting: say which, and why."""
        self.print(f"  [yellow]…[/] waiting for {escape(host)}: {escape(reason)} "
                   f"[dim](giving up in {left:.0f} s)[/]")

    def run_finished(self, reports: list[PhaseReport], dry_run: bool) -> None:
        pending = [(p, h) for p in reports for h in p.hosts if h.status == "would-change"]
        if dry_run or any(p.dry_only for p in reports):
            self.dry_run_details(pending)
        if dry_run and not pending:
            self.print(f"[green]{NO_CHANGES}[/]")
        changed = sum(1 for p in reports for h in p.hosts if h.status == "changed")
        stopped = [(p.name, [h.host for h in p.hosts if h.status == "failed"])
                   for p in reports if any(h.status == "failed" for h in p.hosts)]
        if stopped:
            where = "; ".join(f"at phase {name}: failed on {', '.join(failed)}"
                              for name, failed in stopped)
            self.print(f"[bold red]stopped[/] {where}; {changed} host(s) changed")
        if not stopped and not dry_run:
            summary = f"{changed} host(s) changed" if changed else "nothing changed"
            self.print(f"[bold]done[/]: {len(reports)} phase(s), {summary}")

    def dry_run_details(self, pending: list[tuple[PhaseReport, HostReport]]) -> None:
        for phase, host in pending:
            self.print(f"\n[bold]{phase.name} @ {escape(host.host)}[/] would:")
            for line in host.changes:
                self.print(f"  - {escape(line)}")
            for diff in host.diffs:
                self.console.print(Syntax(self.redact(diff), "diff", theme="ansi_dark",
                                          background_color="default"))

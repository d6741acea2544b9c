"""One apply, wired: lock, state, logs, transport, session, runner, output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from kubeforge.bootstrap import ssh
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.hostlog import HostLogs, Redactor
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.output import RichReporter
from kubeforge.bootstrap.phases import all_phases
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Options, PhaseReport, Runner
from kubeforge.bootstrap.session import AgentSession, Transport
from kubeforge.bootstrap.state import ApplyState, ClusterLock


async def apply(ctx: Context, reach: Reach, state_dir: Path, options: Options,
                console: Console | None = None, transport: Transport | None = None,
                phases: Sequence[Phase] | None = None,
                bins: dict[str, str] | None = None) -> list[PhaseReport]:
    """Run the selected phases on the reachable machines; raises ApplyError on the first
    failed phase. `transport` replaces SSH (tests run the agent locally)."""
    redact = Redactor(ctx.secret_values())
    reporter = RichReporter(console or Console(), redact)
    with ClusterLock(state_dir):
        connector = None
        if transport is None:
            connector = ssh.Connector(state_dir, reach.targets, sock_factory=reach.sock_factory,
                                      known_hosts=reach.known_hosts,
                                      reach_wait=options.reach_wait, on_wait=reporter.waiting)
            transport = connector
        runner = Runner(ctx, phases or all_phases(), reach.targets,
                        AgentSession(transport, bins),
                        ApplyState.load(state_dir), HostLogs(state_dir / "logs", redact),
                        reporter, options)
        try:
            return await runner.run()
        finally:
            if connector is not None:
                await connector.close()

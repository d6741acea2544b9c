"""The lab as the demos use it: commands inside machines, and the engine converging phases.

Commands run like a root console (`lab exec`: nsenter, no network involved), so a demo's own
plumbing never depends on the paths it breaks. What the demos measure (the client's requests,
gluster's replication) goes over the lab's real networks.
"""

from __future__ import annotations

import asyncio
import shlex
import subprocess
from dataclasses import dataclass
from typing import IO

from rich.console import Console

from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.errors import LabError
from kubeforge.lab import lifecycle, seeds, sh
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Record
from kubeforge.plan.model import Plan
from kubeforge.provision import lab as provision_lab
from kubeforge.render import bundle
from kubeforge.spec.model import ClusterSpec
from kubeforge.workspace import Workspace


@dataclass
class DemoLab:
    workspace: Workspace
    paths: LabPaths
    plan: Plan  # the lab's plan for the user's spec: the machines as they were brought up
    console: Console

    @classmethod
    def open(cls, workspace: Workspace, paths: LabPaths | None = None,
             console: Console | None = None, timeout: float = 300.0) -> DemoLab:
        """Bring the lab up if it is not (lifecycle.up returns at once when every machine
        is ready). Machines an interrupted demo left switched off are switched on first:
        lifecycle.up would otherwise rebuild the whole lab from nothing."""
        sh.require_root()
        paths = paths or LabPaths.default()
        plan = seeds.lab_plan(workspace.operator_spec())
        lab = cls(workspace, paths, plan, console or Console())
        if Record.load(paths.record).made:
            from kubeforge.demo import power  # power builds on this module

            for machine in lifecycle.status(plan, paths):
                if not machine.running:
                    lab.console.print(f"{machine.name} is off (an interrupted demo?): "
                                      "switching it on")
                    power.power_on(lab, machine.name)
        lifecycle.up(plan, seeds.render_seeds(plan), paths, timeout,
                     identity=workspace.ssh_key_path)
        return lab

    def argv(self, host: str, command: str) -> list[str]:
        return lifecycle.console_argv(self.plan, host, ["sh", "-c", command], self.paths)

    def run(self, host: str, command: str, stdin: bytes | None = None,
            timeout: float = 120.0, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        try:
            done = subprocess.run(self.argv(host, command), input=stdin, capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{host}: `{command}` did not finish within {timeout:.0f} s") from exc
        if check and done.returncode != 0:
            raise LabError(f"{host}: `{command}` exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()[-1500:]}")
        return done

    def out(self, host: str, command: str, timeout: float = 120.0) -> str:
        return self.run(host, command, timeout=timeout).stdout.decode(errors="replace").strip()

    def python(self, host: str, program: str, args: list[str],
               timeout: float = 120.0) -> str:
        """Run a stdlib-only program with the machine's python3 (sent on stdin)."""
        command = "python3 - " + " ".join(shlex.quote(a) for a in args)
        return self.run(host, command, program.encode(), timeout).stdout.decode().strip()

    def start_python(self, host: str, program: str, args: list[str]) -> subprocess.Popen[bytes]:
        """The same in the background (the probe runs while the demo breaks things)."""
        command = "python3 - " + " ".join(shlex.quote(a) for a in args)
        proc = subprocess.Popen(self.argv(host, command), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stdin: IO[bytes] | None = proc.stdin
        assert stdin is not None
        stdin.write(program.encode())
        stdin.close()
        proc.stdin = None  # sent and closed: communicate() must not touch it again
        return proc

    def context(self, spec: ClusterSpec) -> Context:
        plan = seeds.lab_plan(spec)
        secrets = self.workspace.secrets()
        return Context(plan, tuple(bundle.render_all(plan, secrets)), secrets,
                       kubernetes_binaries=False)

    def converge(self, spec: ClusterSpec, phases: tuple[str, ...]) -> Context:
        """`kubeforge apply --lab --recheck --phase ...` for `spec` (a variant of the user's:
        the machines are the same). --recheck: the demos change machines behind the state
        file's back (they stop daemons, switch VIP managers), so look instead of trusting it."""
        ctx = self.context(spec)
        reach = inventory.from_handoff(ctx.plan, provision_lab.handoff(ctx.plan, self.paths))
        options = Options(recheck=True, selection=Selection(phases=phases))
        asyncio.run(engine.apply(ctx, reach, self.workspace.state_dir, options, self.console))
        return ctx

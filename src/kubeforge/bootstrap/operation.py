"""One day-2 command's hold on the machines: read facts and fetch files over the same SSH
connections the engine then runs its phases on (one connection per machine for the whole
command). Every change goes through the engine (`phases`), never through `read`."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from rich.console import Console

from kubeforge import errors
from kubeforge.bootstrap import engine, ssh
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Options, PhaseReport, Selection
from kubeforge.bootstrap.session import Transport

TAIL = 2000


class Operation:
    def __init__(self, ctx: Context, reach: Reach, state_dir: Path, console: Console,
                 transport: Transport | None = None) -> None:
        self.ctx, self.reach, self.state_dir, self.console = ctx, reach, state_dir, console
        self._connector: ssh.Connector | None = None
        if transport is None:
            self._connector = ssh.Connector(state_dir, reach.targets,
                                            sock_factory=reach.sock_factory,
                                            known_hosts=reach.known_hosts)
            transport = self._connector
        self.transport = transport

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._connector is not None:
            await self._connector.close()

    def _wrap(self, host: str, command: str) -> str:
        target = self.reach.targets.get(host)
        if target is None:
            raise errors.ApplyError(f"{host}: no SSH address known; is it provisioned "
                                    "(kubeforge up / lab up)?")
        return f"sudo -n sh -c {shlex.quote(command)}" if target.sudo else command

    async def try_read(self, host: str, command: str) -> bytes | None:
        """stdout of a read-only command on host, or None when it fails or is unreachable."""
        try:
            done = await self.transport.run(host, self._wrap(host, command), b"")
        except errors.KubeforgeError:
            return None
        return done.stdout if done.exit_status == 0 else None

    async def status(self, host: str, command: str) -> tuple[int, bytes, bytes]:
        """Exit status, stdout and stderr of a command whose failures the caller tells apart."""
        done = await self.transport.run(host, self._wrap(host, command), b"")
        return done.exit_status, done.stdout, done.stderr

    async def read(self, host: str, command: str) -> bytes:
        """stdout of a read-only command; ApplyError naming host, command and stderr."""
        done = await self.transport.run(host, self._wrap(host, command), b"")
        if done.exit_status != 0:
            stderr = done.stderr.decode("utf-8", "replace")[-TAIL:]
            raise errors.ApplyError(f"{host}: `{command}` exited {done.exit_status}:\n{stderr}")
        return done.stdout

    async def phases(self, phases: Sequence[Phase], dry_run: bool,
                     hosts: frozenset[str] | None = None,
                     recheck: bool = True) -> list[PhaseReport]:
        """Run `phases` (on `hosts` only, if given) through the engine. Day-2 steps always
        check their hosts (their guards decide), so a re-run after an interruption resumes
        where it stopped; apply's own phases pass recheck=False to skip what is unchanged."""
        options = Options(dry_run, recheck=recheck, selection=Selection(hosts=hosts))
        return await engine.apply(self.ctx, self.reach, self.state_dir, options, self.console,
                                  transport=self.transport, phases=phases)

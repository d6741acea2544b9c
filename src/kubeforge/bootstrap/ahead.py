"""Check ahead: start every phase's check at once, use a result only while it still holds.

Phases run in order because a change in one can alter what the next finds. When nothing
has changed yet, a check made early is as good as one made in turn, so all checks start
together at the beginning of a run and a no-op re-apply costs one overlapping round of
execs instead of one per phase in sequence. The first real change voids the results of
every later phase (they check again, in order). Phases that gather facts first (`prepare`)
are never checked ahead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kubeforge import errors
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.session import AgentSession, Outcome
from kubeforge.bootstrap.ssh import Target

Key = tuple[str, str]  # (phase, host)


class CheckAhead:
    def __init__(self, session: AgentSession) -> None:
        self.session = session
        self._pending: dict[Key, tuple[str, asyncio.Task[Outcome]]] = {}

    @staticmethod
    def eligible(phase: Phase) -> bool:
        return type(phase).prepare is Phase.prepare

    def start(self, phase: Phase, host: str, target: Target, manifest: m.Manifest,
              dry: bool) -> None:
        task = asyncio.ensure_future(self.session.check(target, manifest, diff=dry))
        self._pending[(phase.name, host)] = (manifest.digest(), task)

    async def take(self, phase: Phase, host: str, digest: str,
                   check: Callable[[], asyncio.Future[Outcome] | asyncio.Task[Outcome]]
                   ) -> Outcome:
        """The early result if it still holds (same inputs, nothing changed since), else
        a fresh check."""
        found = self._pending.pop((phase.name, host), None)
        if found is not None and found[0] == digest:
            try:
                return await found[1]
            except errors.KubeforgeError:
                pass  # check again in turn: its error is then reported the usual way
        elif found is not None:
            found[1].cancel()
        return await check()

    def changed(self, phase: Phase) -> None:
        """`phase` changes something: no early result of a later phase can be trusted.
        Its own hosts' results stay valid: hosts of one phase do not depend on each other."""
        for key in [k for k in self._pending if k[0] != phase.name]:
            self._pending.pop(key)[1].cancel()

    def cancel(self) -> None:
        for _, task in self._pending.values():
            task.cancel()
        self._pending.clear()

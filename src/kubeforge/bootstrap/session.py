"""Talk to the on-host checker: one exec to check, at most one more to apply."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap import onhost
from kubeforge.bootstrap.ssh import Completed, Target

STDERR_TAIL = 1500


class Transport(Protocol):
    async def run(self, name: str, command: str, stdin: bytes) -> Completed: ...


@dataclass(frozen=True)
class Failure:
    """Where it broke: enough to act on without opening the logs."""

    host: str
    command: str
    exit_status: int
    stderr: str


@dataclass
class Outcome:
    host: str
    results: list[dict[str, Any]] = field(default_factory=list)
    failure: Failure | None = None

    def pending(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] == "change"]

    def changed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] == "changed"]


class AgentSession:
    def __init__(self, transport: Transport, bins: dict[str, str] | None = None) -> None:
        self.transport = transport
        self.bins = bins or {}
        self._commands: dict[tuple[str, bool], str] = {}

    def _command(self, target: Target) -> str:
        key = (target.python, target.sudo)
        if key not in self._commands:
            self._commands[key] = onhost.remote_command(target.python, target.sudo)
        return self._commands[key]

    async def check(self, target: Target, manifest: m.Manifest, diff: bool) -> Outcome:
        payload = manifest.payload("check", target.root, diff, bins=self.bins)
        return await self._exec(target, manifest, payload)

    async def apply(self, target: Target, manifest: m.Manifest, ids: set[str]) -> Outcome:
        payload = manifest.payload("apply", target.root, False, only=ids, bins=self.bins)
        return await self._exec(target, manifest, payload)

    async def _exec(self, target: Target, manifest: m.Manifest, payload: bytes) -> Outcome:
        done = await self.transport.run(target.name, self._command(target), payload)
        outcome = Outcome(target.name)
        try:
            outcome.results = list(json.loads(done.stdout)["results"])
        except (ValueError, KeyError, TypeError):
            outcome.failure = agent_failure(target, done)
            return outcome
        outcome.failure = first_failure(target.name, manifest, outcome.results)
        return outcome


def agent_failure(target: Target, done: Completed) -> Failure:
    stderr = done.stderr.decode("utf-8", "replace")[-STDERR_TAIL:]
    if done.exit_status == 127:
        stderr += (f"\n{target.python} is missing on {target.name}: kubeforge runs its checker "
                   "with the host's python3 (Debian cloud images ship it; apt install python3)")
    return Failure(target.name, f"{target.python} (kubeforge on-host checker)",
                   done.exit_status, stderr)


def first_failure(host: str, manifest: m.Manifest, results: list[dict[str, Any]]) -> Failure | None:
    ops = manifest.by_id()
    for result in results:
        if result["status"] == "failed":
            op, error = ops[result["id"]], result["error"]
            command = op.describe() if op.secret else str(error["command"])
            return Failure(host, command, int(error["exit"]), str(error["stderr"])[-STDERR_TAIL:])
    return None

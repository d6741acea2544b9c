"""A transport that runs the agent on this machine, one temporary root per "host"."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kubeforge.bootstrap import onhost
from kubeforge.bootstrap.ssh import Completed, Target


class LocalTransport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def run(self, name: str, command: str, stdin: bytes) -> Completed:
        agent = "kubeforge-agent" in command
        self.calls.append((name, "agent" if agent else command))
        argv = onhost.local_argv() if agent else ["sh", "-c", command]
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate(stdin)
        return Completed(proc.returncode or 0, out, err)

    def agent_calls(self, host: str) -> int:
        return sum(1 for name, what in self.calls if name == host and what == "agent")


def local_targets(base: Path, names: list[str]) -> dict[str, Target]:
    targets = {}
    for name in names:
        root = base / name
        (root / ".fake").mkdir(parents=True)
        targets[name] = Target(name=name, address="127.0.0.1", root=str(root))
    return targets

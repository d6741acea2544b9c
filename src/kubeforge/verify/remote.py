"""What the operator commands need from a session on the machines: read-only commands.

`kubeforge.bootstrap.operation.Operation` (the day-2 commands' hold on the machines) is one;
tests pass their own."""

from __future__ import annotations

import shlex
from typing import Protocol


class Reader(Protocol):
    async def try_read(self, host: str, command: str) -> bytes | None:
        """stdout of a read-only command on `host`, or None if it failed or is unreachable."""
        ...


def text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace")


def quote(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in words)

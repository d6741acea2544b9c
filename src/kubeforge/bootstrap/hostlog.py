"""Per-host logs in the state directory, with every known secret value redacted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REDACTED = "<redacted>"
MIN_SECRET_LEN = 4  # shorter strings would redact ordinary words


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LEN}, key=len,
                             reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, REDACTED)
        return text


class HostLogs:
    """One JSON-lines file per host: `<state>/logs/<host>.log`."""

    def __init__(self, directory: Path, redact: Redactor) -> None:
        self.directory = directory
        self.redact = redact
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, host: str) -> Path:
        return self.directory / f"{host}.log"

    def write(self, host: str, phase: str, event: str, **data: Any) -> None:
        record = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "phase": phase,
                  "event": event, **data}
        line = self.redact(json.dumps(record, default=str))
        with self.path(host).open("a") as handle:
            handle.write(line + "\n")

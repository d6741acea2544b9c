"""The record of everything `lab up` made, written as each object is made.

`down` undoes exactly this list, newest first, so a half-finished `up` (crash, Ctrl-C) is torn
down as cleanly as a finished one, and nothing the lab did not make is ever touched.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["netns", "mount", "loop", "process", "dir", "cgroup"]


@dataclass(frozen=True)
class Made:
    kind: Kind
    name: str  # netns name, mount point, loop device, directory, cgroup, or a process label
    pid: int | None = None  # processes: the PID to end, checked against `match` first
    match: str | None = None  # processes: a string their command line must contain


@dataclass
class Record:
    path: Path
    release: str = ""
    made: list[Made] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Record:
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text())
        return cls(path, data.get("release", ""), [Made(**m) for m in data["made"]])

    def add(self, made: Made) -> None:
        self.made.append(made)
        self.save()

    def remove(self, made: Made) -> None:
        self.made.remove(made)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"release": self.release, "made": [asdict(m) for m in self.made]}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self.path)

    def of_kind(self, kind: Kind) -> list[Made]:
        return [m for m in self.made if m.kind == kind]

    def process(self, name: str) -> Made | None:
        return next((m for m in self.of_kind("process") if m.name == name), None)

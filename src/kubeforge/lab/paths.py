"""Where the lab keeps things: a cache that survives `down` (the base tree) and a state dir that
`down` removes (machine roots, PID files, the record of what `up` made)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = "kf"  # every lab object (namespace, machine, mount point) starts with this


@dataclass(frozen=True)
class LabPaths:
    cache: Path  # base trees and downloaded .debs: kept across `down`
    state: Path  # everything `up` made on disk: removed by `down`

    @classmethod
    def default(cls) -> LabPaths:
        return cls(
            cache=Path(os.environ.get("KUBEFORGE_LAB_CACHE", "/var/cache/kubeforge/lab")),
            state=Path(os.environ.get("KUBEFORGE_LAB_STATE", "/var/lib/kubeforge/lab")),
        )

    @property
    def record(self) -> Path:
        return self.state / "lab.json"

    def machine_dir(self, name: str) -> Path:
        return self.state / "machines" / name

    def base_tree(self, release: str) -> Path:
        return self.cache / f"base-{release}"

"""Where the lab keeps things: a cache that survives `down` (the base tree) and a state dir that
`down` removes (machine roots, PID files, the record of what `up` made)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from kubeforge.errors import LabError

PREFIX = "kf"  # every lab object (namespace, machine) starts with this


@dataclass(frozen=True)
class LabPaths:
    cache: Path  # base trees and downloaded .debs: kept across `down`
    state: Path  # everything `up` made on disk: removed by `down`
    # Names this lab's namespaces and machines (`kf-switch`, `kf-kube-mast01`). Two labs with
    # different prefixes (and state dirs) can be up at once: everything else is namespaced.
    prefix: str = PREFIX

    def __post_init__(self) -> None:
        # `kft` is taken: the engine's test fixtures use it for their own namespaces.
        if not re.fullmatch(rf"{PREFIX}[a-z0-9]{{0,6}}", self.prefix) or self.prefix.startswith("kft"):
            raise LabError(f"lab prefix {self.prefix!r}: must be `{PREFIX}` followed by at most "
                           "6 lowercase letters or digits, not `kft` (KUBEFORGE_LAB_PREFIX)")

    @classmethod
    def default(cls) -> LabPaths:
        return cls(
            cache=Path(os.environ.get("KUBEFORGE_LAB_CACHE", "/var/cache/kubeforge/lab")),
            state=Path(os.environ.get("KUBEFORGE_LAB_STATE", "/var/lib/kubeforge/lab")),
            prefix=os.environ.get("KUBEFORGE_LAB_PREFIX", PREFIX),
        )

    @property
    def record(self) -> Path:
        return self.state / "lab.json"

    def machine_dir(self, name: str) -> Path:
        return self.state / "machines" / name

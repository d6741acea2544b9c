"""What previous applies did: per phase and host, the hash of the inputs that converged.

A phase/host whose rendered inputs hash the same as at its last success is skipped (the
state file is rewritten after every host, so a killed run keeps what finished). A lock file
stops two applies on one cluster at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self, TypeGuard

from kubeforge import errors
from kubeforge.render import private

STATE_FILE = "apply-state.json"
LOCK_FILE = "apply.lock"


@dataclass
class ApplyState:
    path: Path
    phases: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> ApplyState:
        """The recorded state; StateError if the file is unsafe (symlink, foreign, open to
        others: render.private) or not the shape save() writes."""
        path = state_dir / STATE_FILE
        if not private.check(path, secret=False):  # digests only; written 0600 all the same
            return cls(path)
        try:
            phases = json.loads(private.read(path, secret=False))["phases"]
        except (ValueError, KeyError, TypeError):
            phases = None
        if not _well_formed(phases):
            raise errors.StateError(
                f"{path}: unreadable apply state; delete it to re-check every phase "
                "on every host (nothing is lost: converged hosts report no changes)")
        return cls(path, phases)

    def converged(self, phase: str, host: str, digest: str, identity: str | None = None) -> bool:
        """Same inputs converged on the same machine. `identity` (its pinned host key) tells a
        re-created machine at the same name from the one the record is about: "" (nothing
        pinned, e.g. a lab brought up anew) never matches; None means "not tracked"."""
        record = self.phases.get(phase, {}).get(host, {})
        if record.get("digest") != digest:
            return False
        return identity is None or (identity != "" and record.get("identity") == identity)

    def record(self, phase: str, host: str, digest: str, changed: int,
               identity: str | None = None) -> None:
        self.phases.setdefault(phase, {})[host] = {
            "digest": digest, "identity": identity, "changed": changed,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.save()

    def forget(self, phase: str, host: str) -> None:
        if self.phases.get(phase, {}).pop(host, None) is not None:
            self.save()

    def save(self) -> None:
        private.write(self.path, json.dumps({"version": 1, "phases": self.phases}, indent=1,
                                            sort_keys=True).encode())


def _well_formed(phases: object) -> TypeGuard[dict[str, dict[str, dict[str, Any]]]]:
    """phase -> host -> record, each record with a string digest."""
    return isinstance(phases, dict) and all(
        isinstance(hosts, dict) and all(
            isinstance(record, dict) and isinstance(record.get("digest"), str)
            for record in hosts.values())
        for hosts in phases.values())


class ClusterLock:
    """An exclusive, non-blocking lock on the state directory for the length of an apply."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._handle: IO[str] | None = None

    def __enter__(self) -> Self:
        private.ensure_dir(self.path.parent)
        private.check(self.path)  # never a lock file that is a link to somewhere else
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, private.FILE_MODE)
        handle = os.fdopen(fd, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise errors.ApplyError(
                f"another kubeforge apply (pid {holder}) is running on this cluster "
                f"({self.path}); wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

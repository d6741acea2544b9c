"""Desired state for one host and one phase: the ops sent to the on-host checker.

Ops are plain data (the pyinfra way: describe, then let facts decide what changes). The
controller keeps file contents; a check sends only hashes, an apply sends contents of the
files that differ.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["file", "line", "directory", "symlink", "sysctl", "service", "package", "command",
               "disk"]


@dataclass(frozen=True)
class Op:
    """One unit of desired state. `id` is stable across runs (triggers refer to it)."""

    id: str
    kind: Kind
    args: dict[str, Any]
    content: bytes | None = None
    secret: bool = False

    def describe(self) -> str:
        """A one-line, secret-free summary for output and logs."""
        a = self.args
        if self.kind == "command":
            return "run: " + ("<secret command>" if self.secret else str(a["cmd"]))
        if self.kind == "service":
            return f"service {a['name']}"
        if self.kind == "package":
            return "packages " + " ".join(a["names"])
        if self.kind == "sysctl":
            return f"sysctl {a['key']}={a['value']}"
        return f"{self.kind} {a['path']}"

    def wire(self, with_content: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, **self.args}
        if self.secret:
            data["secret"] = True
        if with_content and self.content is not None:
            data["content_b64"] = base64.b64encode(self.content).decode()
        return data

    def log_form(self) -> dict[str, Any]:
        """The wire form without contents, and without the command if it is secret."""
        data = self.wire(with_content=False)
        if self.secret:
            data.update({k: "<redacted>" for k in ("cmd", "unless", "line") if k in data})
        return data


@dataclass
class Manifest:
    ops: list[Op] = field(default_factory=list)

    def add(self, op: Op) -> Op:
        if any(o.id == op.id for o in self.ops):
            raise ValueError(f"duplicate op id {op.id!r}")
        self.ops.append(op)
        return op

    def by_id(self) -> dict[str, Op]:
        return {op.id: op for op in self.ops}

    def payload(self, mode: str, root: str, diff: bool, only: set[str] | None = None,
                bins: dict[str, str] | None = None) -> bytes:
        """JSON for the agent. Contents go only with `apply`, and only for `only` ids."""
        ops = [op.wire(mode == "apply" and (only is None or op.id in only)) for op in self.ops]
        doc = {"mode": mode, "root": root, "diff": diff, "ops": ops, "bin": bins or {}}
        return json.dumps(doc).encode()

    def digest(self) -> str:
        """Hash of the inputs: what the state file compares to skip converged phases."""
        h = hashlib.sha256()
        for op in self.ops:
            h.update(json.dumps(op.wire(False), sort_keys=True).encode())
            h.update(hashlib.sha256(op.content or b"").digest())
        return h.hexdigest()


# --- constructors: the only way phases build ops ----------------------------------------

def file(path: str, content: bytes, mode: int = 0o644, owner: str = "root",
         group: str = "root", secret: bool = False, id: str | None = None) -> Op:
    args = {"path": path, "sha256": hashlib.sha256(content).hexdigest(), "mode": mode,
            "owner": owner, "group": group}
    return Op(id or f"file:{path}", "file", args, content=content, secret=secret)


def line(path: str, text: str, match: str | None = None, id: str | None = None) -> Op:
    args: dict[str, Any] = {"path": path, "line": text}
    if match:
        args["match"] = match
    return Op(id or f"line:{path}:{text}", "line", args)


def directory(path: str, mode: int = 0o755, owner: str = "root", group: str = "root") -> Op:
    return Op(f"dir:{path}", "directory", {"path": path, "mode": mode, "owner": owner,
                                           "group": group})


def symlink(path: str, target: str) -> Op:
    return Op(f"link:{path}", "symlink", {"path": path, "target": target})


def sysctl(key: str, value: str | int) -> Op:
    return Op(f"sysctl:{key}", "sysctl", {"key": key, "value": str(value)})


def service(name: str, enabled: bool | None = True, active: bool | None = True,
            restart_on: list[Op] | None = None) -> Op:
    args = {"name": name, "enabled": enabled, "active": active,
            "restart_on": [op.id for op in restart_on or []]}
    return Op(f"service:{name}", "service", args)


def packages(*names: str) -> Op:
    return Op("packages:" + ",".join(names), "package", {"names": list(names)})


def command(id: str, cmd: str, unless: str | None = None, creates: str | None = None,
            on_change: list[Op] | None = None, secret: bool = False) -> Op:
    """A guarded command: skipped when `unless` exits 0 or `creates` exists."""
    args: dict[str, Any] = {"cmd": cmd}
    if unless:
        args["unless"] = unless
    if creates:
        args["creates"] = creates
    if on_change:
        args["on_change"] = [op.id for op in on_change]
    return Op(f"cmd:{id}", "command", args, secret=secret)


def blank_disk(candidates: list[dict[str, Any]], mount: str, fstype: str, label: str) -> Op:
    """The data disk: one of the planned paths (each {path, min_bytes, max_bytes}), formatted
    (fstype, label) only if blank, and listed in /etc/fstab at `mount` by that path."""
    args = {"path": candidates[0]["path"], "candidates": candidates, "mount": mount,
            "fstype": fstype, "label": label}
    return Op(f"disk:{mount}", "disk", args)

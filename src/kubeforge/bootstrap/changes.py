"""Say what a needed change is: one line per op, plus a unified diff for files and lines."""

from __future__ import annotations

import difflib
from typing import Any

from kubeforge.bootstrap import manifest as m


def describe(op: m.Op, result: dict[str, Any]) -> str:
    changes = ", ".join(result.get("changes", []))
    if op.kind == "command":
        return "run: " + ("<secret command>" if op.secret else str(op.args["cmd"]))
    if op.kind == "package":
        return "install: " + " ".join(result.get("missing", op.args["names"]))
    if op.kind == "service":
        return f"service {op.args['name']}: {changes}"
    if op.kind == "sysctl":
        return f"sysctl {op.args['key']}: {result.get('current', '?')} -> {op.args['value']}"
    return f"{op.kind} {op.args['path']}: {changes}"


def diff(op: m.Op, result: dict[str, Any]) -> str | None:
    """A unified diff of the file the op would change; never the content of a secret."""
    if op.kind == "line":
        return str(result["diff"]) if result.get("diff") else None
    if op.kind != "file" or not {"create", "content"} & set(result.get("changes", [])):
        return None
    path = op.args["path"]
    if op.secret:
        return f"--- {path}\n+++ {path}\n(secret file: content differs, not shown)\n"
    if result.get("current_binary"):
        return f"--- {path}\n+++ {path}\n(binary content differs)\n"
    try:
        new = (op.content or b"").decode("utf-8")
    except UnicodeDecodeError:
        return f"--- {path}\n+++ {path}\n(binary content)\n"
    old = str(result.get("current", ""))
    before = "/dev/null" if "create" in result["changes"] else path
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        before, path))

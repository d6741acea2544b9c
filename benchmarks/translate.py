"""The engine's manifests as an Ansible playbook and a pyinfra deploy: the same operations,
for the lab benchmark (benchmarks/reapply.py --lab).

Mapping (the idiom each tool uses for it):
  file      ansible copy (src)            pyinfra files.put
  line      ansible lineinfile            pyinfra files.line
  directory ansible file state=directory  pyinfra files.directory
  symlink   ansible file state=link       pyinfra files.link
  sysctl    ansible shell test-or-write   pyinfra server.sysctl
  service   ansible systemd_service       pyinfra systemd.service
  package   ansible shell dpkg-query||apt  pyinfra apt.packages (no python3-apt here)
  command   `creates`: ansible command creates / pyinfra shell `test -e || cmd`;
            `unless`: ansible check task + conditional task / pyinfra shell `unless || cmd`;
            `on_change` only: a handler in both (never runs when nothing changed) -> left out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kubeforge.bootstrap import manifest as m

Plans = dict[str, dict[str, m.Manifest]]  # phase -> host -> manifest


def write_files(plans: Plans, root: Path) -> None:
    """Every file op's content at root/<host>/<path>, for copy/put to send."""
    for by_host in plans.values():
        for host, man in by_host.items():
            for op in man.ops:
                if op.kind == "file":
                    path = root / host / op.args["path"].lstrip("/")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(op.content or b"")


# --- ansible -----------------------------------------------------------------------------

def playbook(plans: Plans, files: Path) -> list[dict[str, Any]]:
    """One play per phase over its hosts; an op some hosts lack runs `when` the host has it."""
    plays = []
    for phase, by_host in plans.items():
        tasks: list[dict[str, Any]] = []
        for op_id, hosts in union(by_host):
            op = by_host[hosts[0]].by_id()[op_id]
            when = None if len(hosts) == len(by_host) else f"inventory_hostname in {hosts}"
            for task in ansible_tasks(op, files):
                if when:
                    task["when"] = [when] + ([task["when"]] if "when" in task else [])
                tasks.append(task)
        plays.append({"name": phase, "hosts": ",".join(by_host), "gather_facts": False,
                      "become": True, "tasks": tasks})
    return plays


def union(by_host: dict[str, m.Manifest]) -> list[tuple[str, list[str]]]:
    """Op ids in first-seen order, each with the hosts that have it."""
    order: dict[str, list[str]] = {}
    for host, man in by_host.items():
        for op in man.ops:
            order.setdefault(op.id, []).append(host)
    return list(order.items())


def ansible_tasks(op: m.Op, files: Path) -> list[dict[str, Any]]:
    a = op.args
    if op.kind == "file":
        src = str(files) + "/{{ inventory_hostname }}" + a["path"]
        return [{"copy": {"src": src, "dest": a["path"], "mode": oct(a["mode"])[2:].zfill(4),
                          "owner": a["owner"], "group": a["group"]}}]
    if op.kind == "line":
        args = {"path": a["path"], "line": a["line"], "create": True}
        if a.get("match"):
            args["regexp"] = a["match"]
        return [{"lineinfile": args}]
    if op.kind == "directory":
        return [{"file": {"path": a["path"], "state": "directory",
                          "mode": oct(a["mode"])[2:].zfill(4)}}]
    if op.kind == "symlink":
        return [{"file": {"src": a["target"], "dest": a["path"], "state": "link"}}]
    if op.kind == "sysctl":
        proc = "/proc/sys/" + a["key"].replace(".", "/")
        return [{"shell": f"test \"$(cat {proc})\" = {a['value']} || echo {a['value']} > {proc}",
                 "changed_when": False}]
    if op.kind == "service":
        args = {"name": a["name"]}
        if a.get("enabled") is not None:
            args["enabled"] = a["enabled"]
        if a.get("active") is not None:
            args["state"] = "started" if a["active"] else "stopped"
        return [{"ansible.builtin.systemd_service": args}]
    if op.kind == "package":
        # Not the apt module: it needs python3-apt on the host, which Debian cloud images and
        # the (offline) lab lack. dpkg-query is what pyinfra and the engine read too.
        names = " ".join(a["names"])
        return [{"shell": f"dpkg-query -W {names} >/dev/null 2>&1 || "
                          f"apt-get install -y --no-install-recommends {names}",
                 "changed_when": False}]
    return command_tasks(op)


def command_tasks(op: m.Op) -> list[dict[str, Any]]:
    a = op.args
    if a.get("creates"):
        return [{"shell": a["cmd"], "args": {"creates": a["creates"]}}]
    if a.get("unless"):
        var = "kf_" + re.sub(r"\W", "_", op.id)
        return [{"shell": a["unless"], "register": var, "failed_when": False,
                 "changed_when": False},
                {"shell": a["cmd"], "when": f"{var}.rc != 0"}]
    return []  # on_change only: a handler


# --- pyinfra -----------------------------------------------------------------------------

DEPLOY = '''import json
from pyinfra import host
from pyinfra.operations import apt, files, server, systemd

DATA = json.load(open({ops!r}))
MINE = DATA["hosts"][host.name]
ROOT = {files!r} + "/" + host.name
# host.loop over one global order: an op gets the same position (hash) on every host that
# has it, so pyinfra's per-host orders stay consistent.
for key in host.loop(DATA["order"]):
    op = MINE.get(key)
    if op is None:
        continue
    kind, a = op["kind"], op["args"]
    if kind == "file":
        files.put(name=op["id"], src=ROOT + a["path"], dest=a["path"], mode=oct(a["mode"])[2:],
                  user=a["owner"], group=a["group"])
    elif kind == "line":
        files.line(name=op["id"], path=a["path"], line=a["line_re"], replace=a["line"])
    elif kind == "directory":
        files.directory(name=op["id"], path=a["path"], mode=oct(a["mode"])[2:])
    elif kind == "symlink":
        files.link(name=op["id"], path=a["path"], target=a["target"])
    elif kind == "sysctl":
        server.sysctl(name=op["id"], key=a["key"], value=a["value"])
    elif kind == "service":
        kwargs = {{}}
        if a.get("enabled") is not None:
            kwargs["enabled"] = a["enabled"]
        if a.get("active") is not None:
            kwargs["running"] = a["active"]
        systemd.service(name=op["id"], service=a["name"], **kwargs)
    elif kind == "package":
        apt.packages(name=op["id"], packages=a["names"])
    elif kind == "command" and (a.get("creates") or a.get("unless")):
        guard = a.get("unless") or "test -e " + a["creates"]
        server.shell(name=op["id"], commands=[guard + " || {{ " + a["cmd"] + "; }}"])
'''


def pyinfra_ops(plans: Plans) -> dict[str, Any]:
    """Every op key in one global order, and per host its ops by key, as plain data."""
    order: list[str] = []
    per_host: dict[str, dict[str, dict[str, Any]]] = {}
    for phase, by_host in plans.items():
        for op_id, _ in union(by_host):
            order.append(f"{phase}|{op_id}")
        for host, man in by_host.items():
            for op in man.ops:
                args = dict(op.args)
                if op.kind == "line":
                    args["line_re"] = args.get("match") or f"^{re.escape(args['line'])}$"
                per_host.setdefault(host, {})[f"{phase}|{op.id}"] = {
                    "id": op.id, "kind": op.kind, "args": args}
    return {"order": order, "hosts": per_host}


def pyinfra_deploy(plans: Plans, work: Path, files: Path) -> Path:
    ops = work / "ops.json"
    ops.write_text(json.dumps(pyinfra_ops(plans)))
    deploy = work / "deploy.py"
    deploy.write_text(DEPLOY.format(ops=str(ops), files=str(files)))
    return deploy

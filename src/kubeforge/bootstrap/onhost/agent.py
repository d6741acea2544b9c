"""kubeforge on-host checker: compare desired state with the host, and converge it.

Sent over SSH and run with the host's python3; stdlib only, no files left behind. Reads
one JSON manifest on stdin, writes one JSON report on stdout. `mode: "check"` only reads
facts; `mode: "apply"` re-checks and fixes what differs, in manifest order, stopping at
the first failure. Paths are prefixed with `root` (tests point it at a temporary tree).

Services and commands may depend on other ops (`restart_on` / `on_change`). Before a
trigger is changed a marker is written under /var/lib/kubeforge/pending, and removed
once the dependent ran: an apply killed in between still restarts on the next run.
"""

from __future__ import annotations

import fcntl
import grp
import hashlib
import json
import os
import pwd
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from typing import IO, Any

Op = dict[str, Any]
Result = dict[str, Any]

MAX_DIFF_BYTES = 512 * 1024
TAIL = 2000
SETTLE = 1.0  # seconds a started service must survive to count as started


class OpFailed(Exception):
    def __init__(self, command: str, code: int, stderr: str) -> None:
        Exception.__init__(self, command)
        self.command, self.code, self.stderr = command, code, stderr


class Host:
    """Facts and changes, resolved against the root prefix and binary overrides."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.root = manifest.get("root") or ""
        self.bins = manifest.get("bin") or {}
        self.env = dict(os.environ, KF_ROOT=self.root, DEBIAN_FRONTEND="noninteractive")
        self.daemon_reload = False  # a unit file changed: reload before the next service op

    def p(self, path: str) -> str:
        return self.root + path if self.root else path

    def bin(self, name: str) -> str:
        return str(self.bins.get(name, name))

    def run(self, argv: Any, check: bool = True, shell: bool = False) -> tuple[int, str]:
        proc = subprocess.run(argv, shell=shell, env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, check=False)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        if check and proc.returncode != 0:
            cmd = argv if shell else " ".join(argv)
            raise OpFailed(cmd, proc.returncode, err[-TAIL:] or out[-TAIL:])
        return proc.returncode, out


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomic(path: str, data: bytes, mode: int) -> None:
    """Write beside the target and rename: a reader never sees a half-written file."""
    import tempfile  # imported here: a check (the common case) never writes
    os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kf-", dir=os.path.dirname(path) or "/")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def owner_changes(path: str, op: Op) -> list[str]:
    st = os.lstat(path)
    changes = []
    if op.get("mode") is not None and (st.st_mode & 0o7777) != op["mode"]:
        changes.append("mode")
    if op.get("owner") and st.st_uid != pwd.getpwnam(op["owner"]).pw_uid:
        changes.append("owner")
    if op.get("group") and st.st_gid != grp.getgrnam(op["group"]).gr_gid:
        changes.append("group")
    return changes


def fix_owner(path: str, op: Op) -> None:
    if op.get("mode") is not None:
        os.chmod(path, op["mode"])
    uid = pwd.getpwnam(op["owner"]).pw_uid if op.get("owner") else -1
    gid = grp.getgrnam(op["group"]).gr_gid if op.get("group") else -1
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)


# --- checks: return a list of what differs (empty = converged) -------------------------

def check_file(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    path = host.p(op["path"])
    current = read_bytes(path)
    if current is None:
        changes = ["create"]
    else:
        changes = [] if hashlib.sha256(current).hexdigest() == op["sha256"] else ["content"]
        changes += owner_changes(path, op)
    shown = want_diff and "content" in changes and not op.get("secret")
    if shown and current is not None and len(current) <= MAX_DIFF_BYTES:
        try:
            result["current"] = current.decode("utf-8")
        except UnicodeDecodeError:
            result["current_binary"] = True
    return changes


def line_target(host: Host, op: Op) -> tuple[str, str]:
    """The file's text with the line in place: replaces the first match, else appends."""
    data = read_bytes(host.p(op["path"]))
    text = data.decode("utf-8") if data is not None else ""
    lines = text.splitlines(True)
    pattern = re.compile(op["match"]) if op.get("match") else None
    for i, line in enumerate(lines):
        if line.rstrip("\n") == op["line"]:
            return text, text
        if pattern and pattern.search(line):
            lines[i] = op["line"] + "\n"
            return text, "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return text, "".join(lines) + op["line"] + "\n"


def check_line(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    before, after = line_target(host, op)
    if before == after:
        return []
    if want_diff and not op.get("secret"):
        import difflib

        result["diff"] = "".join(difflib.unified_diff(
            before.splitlines(True), after.splitlines(True), op["path"], op["path"]))
    return ["line"]


def check_directory(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    path = host.p(op["path"])
    if not os.path.isdir(path):
        return ["create"]
    return owner_changes(path, op)


def check_symlink(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    path = host.p(op["path"])
    if not os.path.islink(path):
        return ["create"]
    return [] if os.readlink(path) == op["target"] else ["target"]


def sysctl_path(host: Host, key: str) -> str:
    return host.p("/proc/sys/" + key.replace(".", "/"))


def check_sysctl(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    data = read_bytes(sysctl_path(host, op["key"]))
    if data is None:
        raise OpFailed("read sysctl " + op["key"], 1, "no such sysctl key on this host")
    current = " ".join(data.decode().split())
    result["current"] = current
    return [] if current == str(op["value"]) else ["value"]


def check_service(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    changes = []
    if op.get("enabled") is not None:
        _, out = host.run([host.bin("systemctl"), "is-enabled", op["name"]], check=False)
        if (out.strip() == "enabled") != op["enabled"]:
            changes.append("enable" if op["enabled"] else "disable")
    if op.get("active") is not None:
        _, out = host.run([host.bin("systemctl"), "is-active", op["name"]], check=False)
        if (out.strip() == "active") != op["active"]:
            changes.append("start" if op["active"] else "stop")
    return changes


def installed_packages(host: Host, names: list[str]) -> set[str]:
    _, out = host.run([host.bin("dpkg-query"), "-W", "-f=${Package} ${Status}\\n"] + names,
                         check=False)
    return {ln.split()[0] for ln in out.splitlines() if ln.endswith("install ok installed")}


def check_package(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    missing = sorted(set(op["names"]) - installed_packages(host, op["names"]))
    result["missing"] = missing
    return ["install"] if missing else []


def check_command(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    if op.get("creates") and os.path.exists(host.p(op["creates"])):
        return []
    if op.get("unless"):
        code, _ = host.run(op["unless"], check=False, shell=True)
        return [] if code == 0 else ["run"]
    if op.get("on_change"):
        return []  # runs only when a trigger changes (see triggered())
    return ["run"]


def find_disk(host: Host, op: Op) -> tuple[str, str, dict[str, Any]]:
    """The planned data disk: (its planned path, the device, the candidate). Fails unless exactly
    one candidate path exists, it is a block device, and its size is the planned one."""
    found = [c for c in op["candidates"] if os.path.exists(host.p(c["path"]))]
    planned = ", ".join(c["path"] for c in op["candidates"])
    if len(found) != 1:
        what = "none of" if not found else "more than one of"
        raise OpFailed("find data disk", 1, f"{what} the planned data disk paths exists "
                       f"({planned}); block devices here: {block_devices(host)}. kubeforge "
                       "formats only the disk the plan names; nothing was touched")
    candidate = found[0]
    device = os.path.realpath(host.p(candidate["path"]))
    if not stat.S_ISBLK(os.stat(device).st_mode):
        raise OpFailed("find data disk", 1, f"{candidate['path']} ({device}) is not a block "
                       "device; nothing was touched")
    _, out = host.run([host.bin("blockdev"), "--getsize64", device])
    size = int(out.strip())
    if not candidate["min_bytes"] <= size <= candidate["max_bytes"]:
        raise OpFailed("find data disk", 1, f"{candidate['path']} ({device}) holds {size} bytes, "
                       f"the plan expects {span(candidate)}: not the planned disk; nothing was "
                       "touched")
    return candidate["path"], device, candidate


def span(candidate: dict[str, Any]) -> str:
    low, high = candidate["min_bytes"], candidate["max_bytes"]
    return f"{low} bytes" if low == high else f"{low} to {high} bytes"


def block_devices(host: Host) -> str:
    code, out = host.run(["lsblk", "-dn", "-o", "NAME,SIZE,SERIAL"], check=False)
    return "; ".join(" ".join(ln.split()) for ln in out.splitlines()) if code == 0 else "?"


def signatures(host: Host, device: str) -> list[str]:
    """Every signature wipefs finds (partition tables, file systems, RAID, LVM...), read-only."""
    _, out = host.run([host.bin("wipefs"), "--no-act", "--noheadings", "--output",
                       "TYPE,OFFSET,LABEL", device])
    return [" ".join(ln.split()) for ln in out.splitlines() if ln.strip()]


def probe(host: Host, device: str) -> dict[str, str]:
    """blkid's low-level probe (no cache): TYPE, LABEL, PTTYPE of what the device holds."""
    _, out = host.run([host.bin("blkid"), "-p", "-o", "export", device], check=False)
    return dict(ln.split("=", 1) for ln in out.splitlines() if "=" in ln)


def check_disk(host: Host, op: Op, result: Result, want_diff: bool) -> list[str]:
    """Converged: the planned disk holds kubeforge's labelled file system and is in fstab.
    A blank disk is to be formatted; anything else on it stops the phase, untouched."""
    path, device, _ = find_disk(host, op)
    result["device"] = device
    found = signatures(host, device)
    fields = probe(host, device)
    ours = fields.get("TYPE") == op["fstype"] and fields.get("LABEL") == op["label"]
    if found and not ours:
        raise OpFailed("check data disk", 1, f"{path} ({device}) is not blank: "
                       + "; ".join(found) + ". kubeforge formats only blank disks and touched "
                       f"nothing; if that data is not needed, wipe it yourself (wipefs -a {device})"
                       " and apply again")
    changes = [] if ours else ["format"]
    before, after = line_target(host, fstab_line(op, path))
    return changes + ([] if before == after else ["fstab"])


def fstab_line(op: Op, path: str) -> Op:
    line = f"{path} {op['mount']} {op['fstype']} defaults,nofail 0 2"
    return {"path": "/etc/fstab", "line": line, "match": rf"^\S+\s+{re.escape(op['mount'])}\s"}


CHECKS: dict[str, Callable[[Host, Op, Result, bool], list[str]]] = {"file": check_file, "line": check_line, "directory": check_directory,
          "symlink": check_symlink, "sysctl": check_sysctl, "service": check_service,
          "package": check_package, "command": check_command, "disk": check_disk}


# --- fixes ---------------------------------------------------------------------------

def fix_file(host: Host, op: Op, changes: list[str]) -> None:
    path = host.p(op["path"])
    if "create" in changes or "content" in changes:
        import base64

        data = base64.b64decode(op["content_b64"])
        if hashlib.sha256(data).hexdigest() != op["sha256"]:
            raise OpFailed("write " + op["path"], 1, "content does not match its sha256")
        mode = op.get("mode")
        write_atomic(path, data, int(mode) if mode is not None else 0o644)
    fix_owner(path, op)


def fix_line(host: Host, op: Op, changes: list[str]) -> None:
    path = host.p(op["path"])
    _, after = line_target(host, op)
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o644
    write_atomic(path, after.encode("utf-8"), mode)


def fix_directory(host: Host, op: Op, changes: list[str]) -> None:
    path = host.p(op["path"])
    os.makedirs(path, exist_ok=True)
    fix_owner(path, op)


def fix_symlink(host: Host, op: Op, changes: list[str]) -> None:
    path = host.p(op["path"])
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            raise OpFailed("link " + op["path"], 1, "a directory is in the way")
        os.unlink(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(op["target"], path)


def fix_sysctl(host: Host, op: Op, changes: list[str]) -> None:
    with open(sysctl_path(host, op["key"]), "w") as handle:
        handle.write(str(op["value"]) + "\n")


def fix_service(host: Host, op: Op, changes: list[str]) -> None:
    ctl = host.bin("systemctl")
    for change in changes:
        if change in ("enable", "disable", "start", "stop", "restart"):
            host.run([ctl, change, op["name"]])
    if {"start", "restart"} & set(changes):
        stays_active(host, op["name"])


def stays_active(host: Host, name: str) -> None:
    """`systemctl start` succeeds for a daemon that forks and then dies: look again a moment
    later, so a crash shows up here with its status rather than in a later phase."""
    time.sleep(SETTLE)
    _, state = host.run([host.bin("systemctl"), "is-active", name], check=False)
    if state.strip() != "active":
        _, status = host.run([host.bin("systemctl"), "status", "--no-pager", "-n", "20", name],
                             check=False)
        raise OpFailed(f"systemctl start {name}", 1,
                       f"{name} is {state.strip() or 'not active'} right after starting:\n"
                       + status[-TAIL:])


def fix_package(host: Host, op: Op, changes: list[str]) -> None:
    missing = sorted(set(op["names"]) - installed_packages(host, op["names"]))
    host.run([host.bin("apt-get"), "install", "-y", "--no-install-recommends"] + missing)


def fix_command(host: Host, op: Op, changes: list[str]) -> None:
    host.run(op["cmd"], shell=True)


def fix_disk(host: Host, op: Op, changes: list[str]) -> None:
    path, device, _ = find_disk(host, op)  # found again: the check ran in another process
    if "format" in changes:
        if signatures(host, device):
            raise OpFailed("format data disk", 1, f"{device} is no longer blank; not formatted")
        host.run([host.bin("mkfs." + op["fstype"]), "-q", "-L", op["label"], device])
    if "fstab" in changes:
        fix_line(host, fstab_line(op, path), [])


FIXES: dict[str, Callable[[Host, Op, list[str]], None]] = {"file": fix_file, "line": fix_line, "directory": fix_directory,
         "symlink": fix_symlink, "sysctl": fix_sysctl, "service": fix_service,
         "package": fix_package, "command": fix_command, "disk": fix_disk}


# --- triggers: restart/re-run when something it depends on changed --------------------

def marker_path(host: Host, op: Op) -> str:
    digest = hashlib.sha256(op["id"].encode()).hexdigest()[:16]
    return host.p("/var/lib/kubeforge/pending/" + digest)


def triggers(op: Op) -> list[str]:
    return op.get("restart_on") or op.get("on_change") or []


def triggered(host: Host, op: Op, results_by_id: dict[str, Result]) -> bool:
    """True if a trigger of `op` needs a change, or a previous apply left it pending."""
    fired = any(results_by_id.get(t, {}).get("status") == "change" for t in triggers(op))
    return bool(triggers(op)) and (fired or os.path.exists(marker_path(host, op)))


def check_all(host: Host, manifest: dict[str, Any]) -> list[Result]:
    want_diff = bool(manifest.get("diff"))
    results: list[Result] = []
    by_id: dict[str, Result] = {}
    for op in manifest["ops"]:
        result = {"id": op["id"], "kind": op["kind"]}
        try:
            changes = CHECKS[op["kind"]](host, op, result, want_diff)
        except OpFailed as exc:
            result.update(status="failed", error=error_dict(exc))
            results.append(result)
            return results
        if op["kind"] in ("service", "command") and triggered(host, op, by_id):
            if op["kind"] == "service" and "start" not in changes:
                changes.append("restart")
            elif op["kind"] == "command" and "run" not in changes:
                changes.append("run")
        result.update(status="change" if changes else "ok", changes=changes)
        by_id[op["id"]] = result
        results.append(result)
    return results


def error_dict(exc: OpFailed) -> dict[str, Any]:
    return {"command": exc.command, "exit": exc.code, "stderr": exc.stderr[-TAIL:]}


def mark_pending(host: Host, manifest: dict[str, Any], results: list[Result]) -> None:
    """Record dependents of changing triggers before touching anything (crash safety)."""
    by_id = {r["id"]: r for r in results}
    for op in manifest["ops"]:
        if op["kind"] in ("service", "command") and triggered(host, op, by_id):
            path = marker_path(host, op)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()


def apply_all(host: Host, manifest: dict[str, Any]) -> list[Result]:
    results = check_all(host, manifest)
    if any(r["status"] == "failed" for r in results):
        return results
    mark_pending(host, manifest, results)
    ops = {op["id"]: op for op in manifest["ops"]}
    failed = False
    for result in results:
        op = ops[result["id"]]
        if failed:
            result["status"] = "skipped"
        elif result["status"] == "change":
            failed = not apply_one(host, op, result)
    return results


def apply_one(host: Host, op: Op, result: Result) -> bool:
    try:
        if op["kind"] == "file" and op["path"].startswith(("/etc/systemd/", "/lib/systemd/")):
            host.daemon_reload = True
        if op["kind"] == "service" and host.daemon_reload:
            host.run([host.bin("systemctl"), "daemon-reload"])
            host.daemon_reload = False
        FIXES[op["kind"]](host, op, result["changes"])
    except OpFailed as exc:
        result.update(status="failed", error=error_dict(exc))
        return False
    except OSError as exc:
        result.update(status="failed", error={"command": op["kind"] + " " + op.get(
            "path", op.get("name", "")), "exit": exc.errno or 1, "stderr": str(exc)})
        return False
    if triggers(op) and os.path.exists(marker_path(host, op)):
        os.unlink(marker_path(host, op))
    result["status"] = "changed"
    return True


def locked(host: Host) -> IO[str]:
    """One apply at a time per host: a second kubeforge waits for the first."""
    path = host.p("/var/lib/kubeforge/agent.lock")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = open(path, "w")  # noqa: SIM115 (held open: the lock lives as long as the file)
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def main() -> None:
    manifest = json.load(sys.stdin)
    host = Host(manifest)
    if manifest.get("mode") == "apply":
        lock = locked(host)
        try:
            results = apply_all(host, manifest)
        finally:
            lock.close()
    else:
        results = check_all(host, manifest)
    json.dump({"results": results, "python": sys.version.split()[0]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

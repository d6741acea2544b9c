"""A fake host for the agent: a temporary root tree plus stand-in systemctl/dpkg/apt tools.

The tools keep their state under `<root>/.fake/` and log every call, so tests can assert
what the agent did without systemd or apt on the test machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from kubeforge.bootstrap import onhost

SYSTEMCTL = r'''#!/usr/bin/env python3
import os, sys
root = os.environ["KF_ROOT"]
state = os.path.join(root, ".fake", "systemd")
os.makedirs(state, exist_ok=True)
with open(os.path.join(root, ".fake", "calls.log"), "a") as log:
    log.write("systemctl " + " ".join(sys.argv[1:]) + "\n")
verb, name = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else (sys.argv[1], "")
flag = lambda kind: os.path.join(state, name + "." + kind)
if verb == "is-enabled":
    ok = os.path.exists(flag("enabled")); print("enabled" if ok else "disabled"); sys.exit(0 if ok else 1)
if verb == "is-active":
    ok = os.path.exists(flag("active")); print("active" if ok else "inactive"); sys.exit(0 if ok else 3)
if name == "broken":
    sys.stderr.write("Job for broken.service failed\n"); sys.exit(1)
if verb == "enable": open(flag("enabled"), "w").close()
if verb == "disable" and os.path.exists(flag("enabled")): os.unlink(flag("enabled"))
if verb in ("start", "restart") and name != "dies": open(flag("active"), "w").close()
if verb == "status": print(name + ".service: main process exited, code=exited, status=2")
if verb == "stop" and os.path.exists(flag("active")): os.unlink(flag("active"))
'''

DPKG_QUERY = r'''#!/usr/bin/env python3
import os, sys
root = os.environ["KF_ROOT"]
for name in sys.argv[3:]:
    if os.path.exists(os.path.join(root, ".fake", "dpkg", name)):
        print(name + " install ok installed")
'''

APT_GET = r'''#!/usr/bin/env python3
import os, sys
root = os.environ["KF_ROOT"]
with open(os.path.join(root, ".fake", "calls.log"), "a") as log:
    log.write("apt-get " + " ".join(sys.argv[1:]) + "\n")
os.makedirs(os.path.join(root, ".fake", "dpkg"), exist_ok=True)
for name in sys.argv[1:]:
    if not name.startswith("-") and name != "install":
        open(os.path.join(root, ".fake", "dpkg", name), "w").close()
'''


class FakeHost:
    def __init__(self, base: Path) -> None:
        self.root = base / "root"
        self.tools = base / "tools"
        (self.root / ".fake").mkdir(parents=True)
        self.tools.mkdir()
        self.bins = {}
        for name, text in (("systemctl", SYSTEMCTL), ("dpkg-query", DPKG_QUERY),
                           ("apt-get", APT_GET)):
            path = self.tools / name
            path.write_text(text)
            path.chmod(0o755)
            self.bins[name] = str(path)

    def load_facts(self, facts: dict[str, Any]) -> None:
        """Build the host from a golden case's `facts` block."""
        for path, content in facts.get("files", {}).items():
            self.write(path, content)
        for path, target in facts.get("links", {}).items():
            self.path(path).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, self.path(path))
        for key, value in facts.get("sysctl", {}).items():
            self.write("/proc/sys/" + key.replace(".", "/"), f"{value}\n")
        for name, flags in facts.get("services", {}).items():
            for flag in flags:
                self.write(f"/.fake/systemd/{name}.{flag}", "")
        for name in facts.get("packages", []):
            self.write(f"/.fake/dpkg/{name}", "")

    def path(self, abs_path: str) -> Path:
        return self.root / abs_path.lstrip("/")

    def write(self, abs_path: str, content: str, mode: int = 0o644) -> None:
        path = self.path(abs_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        path.chmod(mode)

    def calls(self) -> list[str]:
        log = self.root / ".fake" / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def agent(self, payload: bytes) -> dict[str, Any]:
        proc = subprocess.run(onhost.local_argv(), input=payload, capture_output=True, check=False)
        assert proc.returncode == 0, proc.stderr.decode()[-3000:]
        return dict(json.loads(proc.stdout))

    def run(self, manifest: Any, mode: str, diff: bool = False) -> list[dict[str, Any]]:
        payload = manifest.payload(mode, str(self.root), diff, bins=self.bins)
        return list(self.agent(payload)["results"])

"""Run the day-2 commands as a user does (the `kubeforge` CLI, `--lab`) on the session lab,
with its state root and the lab's prefix and state dir in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.lab.conftest import Lab

KUBEFORGE = str(Path(sys.executable).with_name("kubeforge"))
CERTS = "/etc/kubernetes/pki/etcd"
ETCDCTL = (f"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert={CERTS}/ca.crt "
           f"--cert={CERTS}/healthcheck-client.crt --key={CERTS}/healthcheck-client.key")
STANDIN = ("preflight", "gateway", "reachable", "etcd-standin", "etcd-standin-join")


def env(lab: Lab) -> dict[str, str]:
    return {**os.environ, "KUBEFORGE_LAB_STATE": str(lab.paths.state),
            "KUBEFORGE_LAB_PREFIX": lab.paths.prefix, "COLUMNS": "250"}


def argv(lab: Lab, args: tuple[str, ...], spec: Path | None) -> list[str]:
    found = [KUBEFORGE, *args, "--state", str(lab.workspace.state_dir.parent), "--lab"]
    return found + (["-f", str(spec)] if spec is not None else [])


def kubeforge(lab: Lab, *args: str, spec: Path | None = None,
              timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv(lab, args, spec), capture_output=True, text=True,
                          timeout=timeout, env=env(lab), check=False)


def kubeforge_plain(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    """A command without --state/--lab (init)."""
    return subprocess.run([KUBEFORGE, *args], capture_output=True, text=True, timeout=120,
                          env=env(lab), check=False)


def popen(lab: Lab, *args: str, spec: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(argv(lab, args, spec), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True, env=env(lab))


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done.stdout


def etcd_up(lab: Lab) -> None:
    ok(kubeforge(lab, "apply", *(f"--phase={p}" for p in STANDIN)))


def etcdctl(lab: Lab, host: str, command: str) -> str:
    return lab.out(host, f"{ETCDCTL} {command}")

"""SIGKILL an apply at a phase boundary and in the middle of a phase; the re-run must
converge to exactly what an uninterrupted run leaves: no duplicated line, rule or resource,
and a restart that was due when the run died still happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .fakehost import FakeHost
from .interrupt_driver import HOSTS

REPO = Path(__file__).resolve().parents[2]
IGNORED = {"calls.log"}


def start(tmp: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bootstrap.interrupt_driver", str(tmp / "state"),
         str(tmp / "hosts"), str(tmp / "tools")], cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def setup(tmp: Path) -> None:
    tools = FakeHost(tmp / "fake")
    os.symlink(tools.tools, tmp / "tools")
    for host in HOSTS:
        (tmp / "hosts" / host / ".fake").mkdir(parents=True)
        (tmp / "hosts" / host / "etc").mkdir()
        (tmp / "hosts" / host / "etc/hosts").write_text("127.0.0.1 localhost\n")


def snapshot(tmp: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted((tmp / "hosts").rglob("*")):
        if path.is_file() and path.name not in IGNORED and ".kf-" not in path.name:
            found[str(path.relative_to(tmp / "hosts"))] = path.read_bytes()
    return found


def run_to_end(tmp: Path) -> None:
    proc = start(tmp)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]


def kill_at(tmp: Path, point: str) -> None:
    for host in HOSTS:
        (tmp / "hosts" / host / "slow").write_text(point + "\n")
    proc = start(tmp)
    deadline = time.monotonic() + 60
    while not any((tmp / "hosts" / h / f"reached-{point}").exists() for h in HOSTS):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, f"{point} never reached"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for host in HOSTS:
        (tmp / "hosts" / host / "slow").unlink()
    # Agents started before the kill run on (as on a real host) and may still reach the
    # point: kill every sleeper until none has appeared for a second.
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 1.0:
        for reached in (tmp / "hosts").glob("*/reached-*"):
            os.kill(int(reached.read_text()), signal.SIGKILL)  # the sleeper, by its PID
            reached.unlink()
            quiet_since = time.monotonic()
        time.sleep(0.05)


@pytest.fixture
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("uninterrupted")
    setup(tmp)
    run_to_end(tmp)
    return snapshot(tmp)


@pytest.mark.parametrize("point", ["mid", "boundary"])
def test_killed_apply_resumes_to_the_same_state(point: str, tmp_path: Path,
                                                 reference: dict[str, bytes]) -> None:
    setup(tmp_path)
    kill_at(tmp_path, point)
    run_to_end(tmp_path)
    assert snapshot(tmp_path) == reference
    rules = (tmp_path / "hosts/n1/etc/app/rules").read_text().splitlines()
    assert len(rules) == 1
    hosts = (tmp_path / "hosts/n1/etc/hosts").read_text()
    assert hosts.count("api.kube.local") == 1
    assert (tmp_path / "hosts/n1/.fake/systemd/app.active").exists()

"""kubeforge.readiness: what counts as ready, how long it waits, what it says while waiting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kubeforge import readiness
from kubeforge.readiness import Verdict

# What OpenSSH prints when pam_nologin refuses the login of a machine still booting.
NOLOGIN = ("System is booting up. Unprivileged users are not permitted to log in yet. "
           "Please come back later. For technical details, see pam_nologin(8).\n"
           "Connection closed by 192.168.4.21 port 22\n")


@pytest.mark.parametrize(("code", "stdout", "stderr", "ready", "reason"), [
    (0, f"{readiness.MARK} system running\n", "", True, ""),
    (0, f"{readiness.MARK} system degraded\n", "", True, ""),
    (0, f"{readiness.MARK} system starting\n", "", False, "'starting', not running"),
    (0, f"{readiness.MARK} nologin\n", "", False, "/run/nologin"),
    (0, f"{readiness.MARK} cloud-init\n", "", False, "cloud-init has not finished"),
    (255, "", NOLOGIN, False, "no SSH login yet: System is booting up"),
    (255, "", "ssh: connect to host 10.0.2.15 port 22: Connection refused\n", False,
     "Connection refused"),
    (255, "", ("channel 0: open failed: connect failed: No route to host\nstdio forwarding "
               "failed\nConnection closed by UNKNOWN port 65535\n"), False,
     "open failed: connect failed: No route to host"),
    (255, "", "Connection closed by 10.0.2.15 port 22\n", False, "Connection closed"),
    (255, "", "", False, "exit status 255, no output"),
])
def test_judge_reads_the_probe_and_openssh_the_way_a_person_would(
    code: int, stdout: str, stderr: str, ready: bool, reason: str
) -> None:
    verdict = readiness.judge("kube-mast01", code, stdout, stderr)
    assert verdict.ready is ready and reason in verdict.reason


def test_probe_command_checks_boot_logins_and_cloud_init() -> None:
    command = readiness.command()
    assert "systemctl is-system-running --wait" in command and "timeout 60" in command
    assert "/run/nologin" in command and readiness.BOOT_FINISHED in command
    assert "--wait" not in readiness.command(wait=False)


def test_probe_command_runs_in_a_real_shell_and_is_judged() -> None:
    """The command is valid sh; on this host (no systemd as init, no cloud-init instance) it
    must not be judged ready."""
    import subprocess

    done = subprocess.run(["sh", "-c", readiness.command(wait=False)], capture_output=True,
                          text=True, timeout=30, check=False)
    assert readiness.MARK in done.stdout
    assert not readiness.judge("here", done.returncode, done.stdout, done.stderr).ready


def test_wait_asks_again_until_ready_and_tells_each_new_reason() -> None:
    answers = {"a": ["refused", "booting", "booting", ""], "b": [""]}
    heard: list[str] = []

    def probe(host: str) -> Verdict:
        reason = answers[host].pop(0)
        return Verdict(host, not reason, reason)

    pending = readiness.wait(["a", "b"], probe, timeout=30, interval=0.01,
                             progress=lambda v: heard.append(f"{v.host}: {v.reason}"))
    assert pending == {} and answers == {"a": [], "b": []}
    assert heard == ["a: refused", "a: booting"]  # each reason once, none for a ready host


def test_wait_respects_its_deadline_and_returns_the_last_reason() -> None:
    started = time.monotonic()
    pending = readiness.wait(["a"], lambda h: Verdict(h, False, "Connection refused"),
                             timeout=1.0, interval=0.2)
    assert 0.8 < time.monotonic() - started < 3.0
    assert pending["a"].reason == "Connection refused"
    assert readiness.describe(pending) == "  a: Connection refused"


def test_wait_stops_at_a_final_verdict() -> None:
    calls: list[str] = []

    def probe(host: str) -> Verdict:
        calls.append(host)
        return Verdict(host, False, "stopped while booting", final=True)

    assert readiness.wait(["a"], probe, timeout=30)["a"].final and calls == ["a"]


def test_openssh_argv_jumps_with_the_same_key_and_known_hosts() -> None:
    ssh = readiness.OpenSSH(Path("/state/ssh/id_ed25519"), Path("/state/known_hosts"))
    argv = ssh.argv("debian", "192.168.4.21", 22, ["true"], jump=("debian", "127.0.0.1", 2222))
    assert argv[0] == "ssh" and argv[-2:] == ["debian@192.168.4.21", "true"]
    proxy = next(a for a in argv if a.startswith("ProxyCommand="))
    assert "-W %h:%p debian@127.0.0.1" in proxy and "-p 2222" in proxy
    assert proxy.count("/state/ssh/id_ed25519") == 1 and "UserKnownHostsFile=/state/known_hosts" in proxy
    assert "BatchMode=yes" in argv and "StrictHostKeyChecking=accept-new" in argv

"""When a machine is ready: one definition for the lab and every provider's `up --wait`.

Ready means a person could use it now: an SSH login by the operator's route works, the machine
has left boot (`systemctl is-system-running --wait` answers running or degraded), logins are no
longer refused (no /run/nologin: pam_nologin answers "System is booting up" until boot ends),
and cloud-init has finished (`boot-finished`). An open port 22 is none of these.

One probe command, one judge of its output; the callers only say how to run it on a host (an
OpenSSH argv by their route, or the lab's console for `lab status`). Kept at the bottom of the
layers (stdlib only), so the lab and the providers share it.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

READY_STATES = ("running", "degraded")  # degraded: booted, some unit failed; logins work
BOOT_FINISHED = "/var/lib/cloud/instance/boot-finished"
MARK = "kubeforge-readiness:"


def command(wait: bool = True) -> str:
    """The probe, run inside the machine as the login user (no sudo needed). With `wait` it
    waits for boot to end, bounded: a machine stuck in boot answers "starting" and is probed
    again until the caller's deadline. Without, it only reads (`lab status`)."""
    query = "timeout 60 systemctl is-system-running --wait" if wait else "systemctl is-system-running"
    return (f"state=$({query} 2>/dev/null); "
            f"if [ -e /run/nologin ]; then echo '{MARK} nologin'; "
            f"elif [ ! -e {BOOT_FINISHED} ]; then echo '{MARK} cloud-init'; "
            f"else echo \"{MARK} system ${{state:-unknown}}\"; fi")

ATTEMPT_TIMEOUT = 90.0  # one probe: the login (ConnectTimeout 10 s per hop) and the 60 s wait


@dataclass(frozen=True)
class Verdict:
    host: str
    ready: bool
    reason: str = ""  # why not, for a person: "System is booting up", "no SSH answer: ..."
    final: bool = False  # no point in asking again (the machine stopped)


Probe = Callable[[str], Verdict]
# argv that runs a command on `host` by the caller's route, the command as its last element.
Runner = Callable[[str, str], list[str]]


def judge(host: str, returncode: int, stdout: str, stderr: str) -> Verdict:
    """What a run of `command()` says about `host` (pure: tests feed it real outputs)."""
    marks = [line for line in stdout.splitlines() if line.startswith(MARK)]
    if not marks:
        return Verdict(host, False, _login_failure(returncode, stderr))
    words = marks[-1].removeprefix(MARK).split()
    if words[0] == "nologin":
        return Verdict(host, False, "logins still refused (/run/nologin: system is booting up)")
    if words[0] == "cloud-init":
        return Verdict(host, False, "cloud-init has not finished (no boot-finished)")
    state = words[-1]
    if state in READY_STATES:
        return Verdict(host, True)
    return Verdict(host, False, f"systemd reports the system {state!r}, not running yet")


# OpenSSH's lines that name a cause, most telling first ("Connection closed by ..." names none:
# through a jump host it follows "channel 0: open failed: connect failed: No route to host").
TELLING = ("booting up", "nologin", "Permission denied", "open failed", "refused", "No route",
           "timed out", "Host key verification failed")


def _login_failure(returncode: int, stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    telling = [line for word in TELLING for line in lines if word in line]
    detail = (telling or lines[-1:] or [f"exit status {returncode}, no output"])[0]
    return f"no SSH login yet: {detail}"


def login_probe(runner: Runner, attempt_timeout: float = ATTEMPT_TIMEOUT) -> Probe:
    """A probe that runs `command()` through `runner` (the caller's SSH route to the host)."""

    def probe(host: str) -> Verdict:
        try:
            done = subprocess.run(runner(host, command()), capture_output=True, text=True,
                                  timeout=attempt_timeout, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Verdict(host, False, f"no answer within {attempt_timeout:.0f} s")
        return judge(host, done.returncode, done.stdout, done.stderr)

    return probe


def wait(hosts: Sequence[str], probe: Probe, timeout: float,
         progress: Callable[[Verdict], None] | None = None,
         interval: float = 1.0, longest: float = 5.0) -> dict[str, Verdict]:
    """Probe every host in parallel until it is ready, its verdict is final, or `timeout`
    seconds passed. Returns the last verdict of each host that is not ready (empty: all are).
    `progress` hears each new reason a host gives, so a person sees what is being waited for."""
    deadline = time.monotonic() + timeout

    def one(host: str) -> Verdict:
        said, pause = "", interval
        while True:
            verdict = probe(host)
            if verdict.ready or verdict.final or time.monotonic() + pause > deadline:
                return verdict
            if progress is not None and verdict.reason != said:
                progress(verdict)
            said = verdict.reason
            time.sleep(pause)
            pause = min(pause * 1.5, longest)

    if not hosts:
        return {}
    with ThreadPoolExecutor(max_workers=min(len(hosts), 16)) as pool:
        verdicts = list(pool.map(one, hosts))
    return {v.host: v for v in verdicts if not v.ready}


def describe(pending: dict[str, Verdict]) -> str:
    """One line per host that is not ready, with its last reason."""
    return "\n".join(f"  {host}: {v.reason}" for host, v in sorted(pending.items()))


@dataclass(frozen=True)
class OpenSSH:
    """OpenSSH argv for a machine reached directly or through one jump host (ProxyCommand, so
    the key and known_hosts options apply to both hops). Providers' endpoints map onto it."""

    identity: Path
    known_hosts: Path

    def options(self, port: int) -> list[str]:
        return ["-i", str(self.identity), "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=10", "-p", str(port)]

    def argv(self, user: str, host: str, port: int, command: list[str],
             jump: tuple[str, str, int] | None = None) -> list[str]:
        """`jump`: (user, host, port) of the jump host, or None."""
        argv = ["ssh", *self.options(port)]
        if jump is not None:
            juser, jhost, jport = jump
            inner = ["ssh", *self.options(jport), "-W", "%h:%p", f"{juser}@{jhost}"]
            argv += ["-o", f"ProxyCommand={shlex.join(inner)}"]
        return [*argv, f"{user}@{host}", *command]

"""FAKE logins for provider tests: no VM boots here, so OpenSSH to one is stood in for by `sh`
printing what a booting machine answers (the real probe's judge is tested in
tests/test_readiness.py with real outputs). Records which host was probed when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kubeforge import readiness

REFUSED = "ssh: connect to host {host} port 22: Connection refused"
BOOTING = "System is booting up. Unprivileged users are not permitted to log in yet."


@dataclass
class FakeMachines:
    """Each host refuses `refused` probes, then answers "booting up" once, then is ready."""

    refused: int = 0
    booting: int = 0
    probes: list[str] = field(default_factory=list)
    before_probe: Callable[[str], None] | None = None  # what a test checks at each probe

    def runner(self, host: str, command: str) -> list[str]:
        assert readiness.MARK in command  # the real probe command was asked for
        if self.before_probe is not None:
            self.before_probe(host)
        seen = self.probes.count(host)
        self.probes.append(host)
        if seen < self.refused:
            return ["sh", "-c", f"echo '{REFUSED.format(host=host)}' >&2; exit 255"]
        if seen < self.refused + self.booting:
            return ["sh", "-c", f"echo '{BOOTING}' >&2; exit 255"]
        return ["sh", "-c", f"echo '{readiness.MARK} system running'"]

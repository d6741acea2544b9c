"""The one place where provider commands run: act, or in dry-run only record.

Read-only queries (`VBoxManage list vms`, `showvminfo`) run in dry-run too: a dry-run must read
facts to know what is missing, or it could not say "no changes".
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass, field

from kubeforge.errors import ProviderError
from kubeforge.provision.base import Action

STDERR_TAIL = 20


@dataclass
class Executor:
    dry_run: bool = False
    recorded: list[Action] = field(default_factory=list)

    def run(self, action: Action) -> None:
        """Run one command action; a failure names the command, exit code and stderr tail."""
        self.recorded.append(action)
        if self.dry_run:
            return
        result = self._run(list(action.argv))
        if result.returncode != 0:
            raise ProviderError(_failure(action.argv, result))

    def query(self, argv: list[str]) -> str | None:
        """Run a read-only command and return stdout; None when the program is not installed.
        A query that fails is an error: a wrong fact would make the plan wrong."""
        if shutil.which(argv[0]) is None:
            return None
        result = self._run(argv)
        if result.returncode != 0:
            raise ProviderError(_failure(tuple(argv), result))
        return result.stdout

    def query_status(self, argv: list[str]) -> tuple[int, str]:
        """A read-only command whose non-zero exit is an answer (e.g. 'no such VM')."""
        result = self._run(argv)
        return result.returncode, result.stdout

    @staticmethod
    def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise ProviderError(
                f"{argv[0]}: not found on PATH; install it or use --dry-run "
                "to see the commands kubeforge would run"
            ) from None


def _failure(argv: tuple[str, ...], result: subprocess.CompletedProcess[str]) -> str:
    tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-STDERR_TAIL:])
    return f"command failed (exit {result.returncode}): {shlex.join(argv)}\n{tail}"

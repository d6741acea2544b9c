"""Where a run's inputs live: the spec (a file or the built-in default) and the state directory.

The state directory holds what kubeforge generates once and must keep: secrets.json, the
operator's SSH key pair, known_hosts, apply state and logs. Everything in it is private (0600/0700)
and is refused when it is not (symlinks, foreign owners, group/world access): see
`render.secrets.check_state_dir`.

`Workspace.check` is the library half of the one gate every command passes
(`kubeforge.cli.console.checked_workspace`): load, validate, plan, check the state.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from kubeforge.errors import SpecError
from kubeforge.plan import findings as findings_mod
from kubeforge.plan import validate as validate_mod
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import private
from kubeforge.render import secrets as secrets_store
from kubeforge.spec import default, load
from kubeforge.spec.model import ClusterSpec

SSH_KEY = "ssh/id_ed25519"
_T = TypeVar("_T")
# What a bug in a rule or in the planner raises on a spec it did not expect: reported as a spec
# problem (exit 2, no traceback) instead of escaping to the user.
_PLANNING_BUGS = (KeyError, IndexError, ValueError, TypeError, AttributeError, ArithmeticError,
                  RecursionError)


def _silent(_: str) -> None:
    """Default for Workspace.notify: library callers that print nothing."""


@dataclass
class Workspace:
    spec_path: Path | None = None  # None: the built-in default spec
    state_root: Path | None = None  # None: ./.kubeforge (or $KUBEFORGE_STATE)
    notify: Callable[[str], None] = _silent  # tells the user what changed in the state (no values)
    findings: list[findings_mod.Finding] = field(default_factory=list)  # set by check()

    @cached_property
    def spec(self) -> ClusterSpec:
        """The spec as written by the user (validation reads this one)."""
        return load.load(self.spec_path) if self.spec_path else default.default_spec()

    def check(self, state: bool = True) -> list[findings_mod.Finding]:
        """Load, validate and plan the spec; check the state directory (read only: nothing is
        written). SpecError/StateError for what cannot be read; otherwise every finding, and
        the plan is built only when none is an error."""
        found = self.findings = _guarded(lambda: validate_mod.validate(self.spec))
        if findings_mod.has_errors(found):
            return found
        _guarded(lambda: build_plan(self.spec))  # names and addresses: key-independent
        if state:
            secrets_store.check_state(self.state_dir, self.spec)
            self._check_key()
        return found

    def _check_key(self) -> None:
        """A generated key pair, if there is one, is ours alone and well formed."""
        if not self.spec.ssh_public_key and private.check(self.ssh_key_path):
            secrets_store.read_ssh_public_key(self.ssh_key_path.with_suffix(".pub"),
                                              self.ssh_key_path)

    @property
    def state_root_dir(self) -> Path:
        return self.state_root or Path(os.environ.get("KUBEFORGE_STATE", ".kubeforge"))

    @property
    def state_dir(self) -> Path:
        return self.state_root_dir / self.spec.name

    def protected_paths(self) -> dict[str, Path]:
        """What no output may replace (nor an ancestor of it), by what it is."""
        spec_dir = {"the spec's directory": self.spec_path.absolute().parent} if self.spec_path else {}
        return {**spec_dir, "the current directory": Path.cwd(), "the state root": self.state_root_dir,
                "the state directory": self.state_dir}

    @property
    def ssh_key_path(self) -> Path:
        return self.state_dir / SSH_KEY

    def operator_spec(self) -> ClusterSpec:
        """The spec with the operator key filled in, generating a key pair on first use."""
        if self.spec.ssh_public_key:
            return self.spec
        return self.spec.model_copy(update={"ssh_public_key": self._generated_public_key()})

    def plan(self) -> Plan:
        return build_plan(self.operator_spec())

    def secrets(self) -> secrets_store.Secrets:
        return secrets_store.load_or_create(self.state_dir, self.spec, self.notify)

    def _generated_public_key(self) -> str:
        import asyncssh  # imported late: only runs that need a key pay for it

        key_path = self.ssh_key_path
        public = key_path.with_suffix(".pub")
        private.ensure_dir(self.state_dir)
        if not private.check(key_path):
            key = asyncssh.generate_private_key("ssh-ed25519", comment=f"kubeforge@{self.spec.name}")
            private.write(key_path, key.export_private_key())
            private.write(public, key.export_public_key())
        return secrets_store.read_ssh_public_key(public, key_path)


def _guarded(step: Callable[[], _T]) -> _T:
    try:
        return step()
    except _PLANNING_BUGS as exc:
        # The type only: a message could quote a spec value, and spec values may be secrets.
        raise SpecError([(f"the spec could not be checked ({type(exc).__name__}); "
                          "run `kubeforge validate` and fix what it reports; if it reports nothing, "
                          "this is a kubeforge bug: please report it with the spec")]) from None

"""Where a run's inputs live: the spec (a file or the built-in default) and the state directory.

The state directory holds what kubeforge generates once and must keep: secrets.json, the
operator's SSH key pair, known_hosts, apply state and logs. Everything in it is private (0600/0700).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import secrets as secrets_store
from kubeforge.spec import default, load
from kubeforge.spec.model import ClusterSpec

SSH_KEY = "ssh/id_ed25519"


@dataclass
class Workspace:
    spec_path: Path | None = None  # None: the built-in default spec
    state_root: Path | None = None  # None: ./.kubeforge (or $KUBEFORGE_STATE)

    @cached_property
    def spec(self) -> ClusterSpec:
        """The spec as written by the user (validation reads this one)."""
        return load.load(self.spec_path) if self.spec_path else default.default_spec()

    @property
    def state_dir(self) -> Path:
        root = self.state_root or Path(os.environ.get("KUBEFORGE_STATE", ".kubeforge"))
        return root / self.spec.name

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
        return secrets_store.load_or_create(self.state_dir, self.spec)

    def _generated_public_key(self) -> str:
        import asyncssh  # imported late: only runs that need a key pay for it

        private = self.ssh_key_path
        public = private.with_suffix(".pub")
        if not private.exists():
            key = asyncssh.generate_private_key("ssh-ed25519", comment=f"kubeforge@{self.spec.name}")
            secrets_store.write_private(private, key.export_private_key())
            public.write_bytes(key.export_public_key())
        return public.read_text().strip()

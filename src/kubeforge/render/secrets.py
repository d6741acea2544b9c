"""Secrets generated once per cluster, kept 0600 in the state directory, reused on re-render.

Nothing here prints or logs a value. Same spec + same state -> byte-identical rendered output.
"""

from __future__ import annotations

import base64
import json
import os
import secrets as random
import string
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kubeforge.errors import StateError
from kubeforge.spec.model import ClusterSpec

FILE = "secrets.json"
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class Secrets:
    haproxy_stats_password: str
    corosync_authkey_b64: str  # 256 random bytes, as corosync-keygen makes
    kubeadm_token: str  # [a-z0-9]{6}.[a-z0-9]{16}
    kubeadm_certificate_key: str  # 32 bytes hex: decrypts the uploaded control-plane certs
    keepalived_password: str  # VRRP PASS auth uses at most 8 characters
    storage_admin_key: str
    storage_user_key: str

    @property
    def corosync_authkey(self) -> bytes:
        return base64.b64decode(self.corosync_authkey_b64)

    def values(self) -> list[str]:
        """Every secret value, for tests and log redaction."""
        return [getattr(self, f.name) for f in fields(self)]

    def __repr__(self) -> str:  # never leak through a debug print
        return "Secrets(<redacted>)"


def generate(spec: ClusterSpec) -> Secrets:
    token = "".join(random.choice(_TOKEN_ALPHABET) for _ in range(22))
    return Secrets(
        haproxy_stats_password=spec.loadbalancer.stats_password or random.token_urlsafe(24),
        corosync_authkey_b64=base64.b64encode(random.token_bytes(256)).decode(),
        kubeadm_token=f"{token[:6]}.{token[6:]}",
        kubeadm_certificate_key=random.token_hex(32),
        keepalived_password=random.token_urlsafe(6)[:8],
        storage_admin_key=spec.storage.admin_key or random.token_urlsafe(32),
        storage_user_key=spec.storage.user_key or random.token_urlsafe(32),
    )


def load_or_create(state_dir: Path, spec: ClusterSpec) -> Secrets:
    path = state_dir / FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    if path.exists():
        return _read(path)
    created = generate(spec)
    write_private(path, json.dumps(asdict(created), indent=2, sort_keys=True).encode())
    return created


def _read(path: Path) -> Secrets:
    try:
        data = json.loads(path.read_text())
        return Secrets(**{f.name: data[f.name] for f in fields(Secrets)})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StateError(
            f"{path}: unreadable secrets ({type(exc).__name__}); restore it from backup, or delete "
            "it to generate new secrets (running clusters then need a re-apply)"
        ) from None


def write_private(path: Path, content: bytes) -> None:
    """Write atomically with mode 0600: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)

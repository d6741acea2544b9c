"""Secrets generated once per cluster, kept 0600 in the state directory, reused on re-render.

Nothing here prints or logs a value. Same spec + same state -> byte-identical rendered output.
Every secret read back is checked against the format it was generated in (a 0-byte authkey or
`token: 123` is refused with the file, the entry and how to regenerate it). A secret the spec
sets replaces the stored one, and the user is told (by field name, never the value).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets as random
import string
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from kubeforge.errors import SpecError, StateError
from kubeforge.render import private
from kubeforge.spec.model import ClusterSpec

FILE = "secrets.json"
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits
# The spec fields that may set a secret, by Secrets field.
SPEC_FIELDS = {
    "haproxy_stats_password": "loadbalancer.stats_password",
}


@dataclass(frozen=True)
class Secrets:
    haproxy_stats_password: str
    corosync_authkey_b64: str  # 256 random bytes, as corosync-keygen makes
    kubeadm_token: str  # [a-z0-9]{6}.[a-z0-9]{16}
    kubeadm_certificate_key: str  # 32 bytes hex: decrypts the uploaded control-plane certs
    keepalived_password: str  # VRRP PASS auth uses at most 8 characters
    # The storage VIP's own Corosync cluster (storage.vip_manager: pacemaker): its own key, so
    # a load balancer's key does not admit anyone to the gluster machines' cluster.
    storage_corosync_authkey_b64: str

    @property
    def corosync_authkey(self) -> bytes:
        return base64.b64decode(self.corosync_authkey_b64)

    @property
    def storage_corosync_authkey(self) -> bytes:
        return base64.b64decode(self.storage_corosync_authkey_b64)

    def values(self) -> list[str]:
        """Every secret value, for tests and log redaction."""
        return [getattr(self, f.name) for f in fields(self)]

    def __repr__(self) -> str:  # never leak through a debug print
        return "Secrets(<redacted>)"


def _authkey_problem(value: str) -> str | None:
    try:
        size = len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return "not base64"
    # corosync 3 takes keys of 1024 to 4096 bits; kubeforge makes 2048.
    return None if 128 <= size <= 512 else f"{size} bytes once decoded (corosync needs 128 to 512)"


def _pattern(regex: str, what: str) -> Callable[[str], str | None]:
    compiled = re.compile(regex)
    return lambda value: None if compiled.fullmatch(value) else f"not {what}"


# Why each secret must look the way it does; the message names the rule, never the value.
CHECKS: dict[str, Callable[[str], str | None]] = {
    "haproxy_stats_password": _pattern(r"[^\s\"'#\\$:]{12,4096}",
                                       "12+ characters without space, quote, #, \\, $ or :"),
    "corosync_authkey_b64": _authkey_problem,
    "kubeadm_token": _pattern(r"[a-z0-9]{6}\.[a-z0-9]{16}", "a kubeadm token ([a-z0-9]{6}.[a-z0-9]{16})"),
    "kubeadm_certificate_key": _pattern(r"[0-9a-f]{64}", "64 hex digits (kubeadm certificate key)"),
    "keepalived_password": _pattern(r"[A-Za-z0-9_-]{6,8}", "6 to 8 URL-safe characters (VRRP PASS)"),
    "storage_corosync_authkey_b64": _authkey_problem,
}


def _generators() -> dict[str, Callable[[], str]]:
    def token() -> str:
        chars = "".join(random.choice(_TOKEN_ALPHABET) for _ in range(22))
        return f"{chars[:6]}.{chars[6:]}"

    return {
        "haproxy_stats_password": lambda: random.token_urlsafe(24),
        "corosync_authkey_b64": lambda: base64.b64encode(random.token_bytes(256)).decode(),
        "kubeadm_token": token,
        "kubeadm_certificate_key": lambda: random.token_hex(32),
        "keepalived_password": lambda: random.token_urlsafe(6)[:8],
        "storage_corosync_authkey_b64": lambda: base64.b64encode(random.token_bytes(256)).decode(),
    }


def spec_given(spec: ClusterSpec) -> dict[str, str]:
    """The secrets the spec sets, by Secrets field (plain text; SecretStr unwrapped)."""
    values = {"haproxy_stats_password": spec.loadbalancer.stats_password}
    return {name: _plain(value) for name, value in values.items() if value}


def _plain(value: object) -> str:
    reveal = getattr(value, "get_secret_value", None)
    return str(reveal() if reveal else value)


def generate(spec: ClusterSpec) -> Secrets:
    given = spec_given(spec)
    return Secrets(**{name: given.get(name) or make() for name, make in _generators().items()})


def check_state(state_dir: Path, spec: ClusterSpec) -> None:
    """Everything load_or_create would refuse, refused now, reading only (the gate calls it)."""
    _spec_checked(spec)
    private.check(state_dir.parent, secret=False)
    if private.check(state_dir):
        private.check_tree(state_dir)
        _stored(state_dir / FILE)


def load_or_create(state_dir: Path, spec: ClusterSpec,
                   notify: Callable[[str], None] = lambda _: None) -> Secrets:
    """The cluster's secrets: the stored ones, the spec's where it sets one (told through
    notify), new ones for what is missing. Written back only when something changed."""
    private.ensure_dir(state_dir)
    path = state_dir / FILE
    stored = _stored(path)
    merged = dict(stored)
    for name, value in _spec_checked(spec).items():
        if name in stored and stored[name] != value:
            notify(f"{SPEC_FIELDS[name]}: the spec's value replaces the one kept in {path}; "
                   "`kubeforge apply` rolls it out")
        merged[name] = value
    for name, make in _generators().items():
        if name not in merged:
            if stored:
                notify(f"{path}: {name} was missing; generated a new one")
            merged[name] = make()
    if merged != stored:
        private.write(path, json.dumps(merged, indent=2, sort_keys=True).encode())
    return Secrets(**merged)


def _spec_checked(spec: ClusterSpec) -> dict[str, str]:
    given = spec_given(spec)
    problems = [f"{SPEC_FIELDS[name]}: {_problem(name, value)}; fix it, or remove it to have one "
                "generated" for name, value in given.items() if _problem(name, value)]
    if problems:
        raise SpecError(problems)
    return given


def _stored(path: Path) -> dict[str, str]:
    """The secrets in path, each checked; {} if there is no file."""
    if not private.check(path):
        return {}
    try:
        data = json.loads(private.read(path))
    except ValueError:
        raise StateError(f"{path}: not JSON; restore it from a backup, or delete it to generate "
                         "new secrets (running clusters then need `kubeforge apply`)") from None
    if not isinstance(data, dict):
        raise StateError(f"{path}: not a JSON object; restore it from a backup, or delete it to "
                         "generate new secrets (running clusters then need `kubeforge apply`)")
    stored = {name: data[name] for name in CHECKS if name in data}
    _check_values(path, stored)
    return stored


def _check_values(path: Path, values: dict[str, object]) -> None:
    problems = [f"{path}: {name}: {_problem(name, value)}; delete the \"{name}\" entry and "
                "kubeforge generates a new one (running clusters then need `kubeforge apply`)"
                for name, value in values.items() if _problem(name, value)]
    if problems:
        raise StateError("\n".join(problems))


def _problem(name: str, value: object) -> str | None:
    if not isinstance(value, str):
        return f"not a string (a JSON {type(value).__name__})"
    return CHECKS[name](value)


def write_private(path: Path, content: bytes) -> None:
    """Write a state file atomically, 0600 (see render.private.write)."""
    private.write(path, content)


def read_ssh_public_key(public: Path, key: Path) -> str:
    """The operator's generated public key line, checked (type and base64 blob)."""
    private.check(key)
    line = private.read(public, secret=False).strip()
    kind, _, rest = line.partition(" ")
    blob = rest.split(" ", 1)[0]
    try:
        ok = kind == "ssh-ed25519" and base64.b64decode(blob, validate=True)[4:15] == b"ssh-ed25519"
    except (binascii.Error, ValueError):
        ok = False
    if not ok or "\n" in line:
        raise StateError(f"{public}: not an ssh-ed25519 public key line; delete {key} and {public} "
                         "to have a new pair generated (then `kubeforge apply` installs it)")
    return line

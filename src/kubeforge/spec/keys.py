"""The operator's OpenSSH public key(s), parsed; private keys recognised and refused unread.

A public key line is `TYPE BASE64 [COMMENT]`; the blob is a sequence of length-prefixed
strings whose first one repeats TYPE (RFC 4253 6.6). Error messages never quote the input: a
pasted private key must not come back on the terminal or in a CI log.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

KEY_TYPES = frozenset({
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})
MAX_KEYS = 32
_COMMENT = re.compile(r"[\x20-\x7e]{0,256}")
# PEM/OpenSSH/PuTTY private key markers, also folded onto one line; the base64 of the OpenSSH
# private format's magic ("openssh-key-v1") catches a blob pasted without its header lines.
_PRIVATE = re.compile(r"PRIVATE[\s_-]*KEY|PuTTY-User-Key-File|b3BlbnNzaC1rZXktdjE", re.IGNORECASE)
FIX = "paste the one line of your ~/.ssh/id_*.pub (ssh-ed25519 AAAA... you@host), or leave it unset"


class KeyProblem(ValueError):
    """What is wrong with a key, worded without the key itself."""


def looks_private(text: str) -> bool:
    return _PRIVATE.search(text) is not None


def check_public_key(line: str) -> str:
    """The key line, stripped, if it is one OpenSSH public key; else KeyProblem (no echo)."""
    if looks_private(line):
        raise KeyProblem("this is a private key: never put it in the spec (nothing is echoed); "
                         "give the public half, the .pub file")
    if "\n" in line.strip():
        raise KeyProblem("one key per line: give several keys as a YAML list (- ssh-ed25519 ...)")
    parts = line.strip().split(" ", 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise KeyProblem(f"not an OpenSSH public key of a known type ({', '.join(sorted(KEY_TYPES))}); {FIX}")
    if len(parts) == 3 and not _COMMENT.fullmatch(parts[2]):
        raise KeyProblem("the comment after the key holds control or non-ASCII characters, or is "
                         "over 256 characters; shorten it to user@host")
    _check_blob(parts[0], parts[1])
    return line.strip()


def _check_blob(key_type: str, text: str) -> None:
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"the key's second word is not valid base64; {FIX}") from None
    fields = _ssh_strings(blob)
    if not fields or fields[0] != key_type.encode():
        raise KeyProblem(f"the key's data does not start with its type {key_type} (truncated or "
                         f"edited key?); {FIX}")
    if key_type == "ssh-ed25519" and (len(fields) != 2 or len(fields[1]) != 32):
        raise KeyProblem(f"an ssh-ed25519 key holds 32 bytes of key data; this one does not; {FIX}")


def _ssh_strings(blob: bytes) -> list[bytes]:
    """The blob as uint32-length-prefixed strings; [] if it is not exactly such a sequence."""
    fields, offset = [], 0
    while offset < len(blob):
        size = int.from_bytes(blob[offset:offset + 4], "big")
        offset += 4
        if offset + size > len(blob):
            return []
        fields.append(blob[offset:offset + size])
        offset += size
    return fields


def _public_keys(value: object) -> str | list[str]:
    """One key line, or a YAML list of key lines; anything else refused without echo."""
    try:
        if isinstance(value, str):
            return check_public_key(value)
        if isinstance(value, list) and 0 < len(value) <= MAX_KEYS and all(isinstance(v, str) for v in value):
            return [check_public_key(v) for v in value]
    except KeyProblem as problem:
        raise PydanticCustomError("ssh_public_key", str(problem)) from None
    raise PydanticCustomError("ssh_public_key", f"give one key line, or a YAML list of 1-{MAX_KEYS} "
                              f"key lines; {FIX}")


PublicKeys = Annotated[str | list[str], BeforeValidator(_public_keys)]

"""Check a VBoxManage argv against the allowed-flags table (data/vboxmanage_flags.json).

Used by the tests on every generated command and by the fake VBoxManage on every call it gets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

TABLE = Path(__file__).parent / "data" / "vboxmanage_flags.json"


def load() -> dict[str, Any]:
    commands: dict[str, Any] = json.loads(TABLE.read_text())["commands"]
    return commands


def problems(argv: list[str], table: dict[str, Any] | None = None) -> list[str]:
    """Every way argv breaks the table; empty when the command is valid."""
    table = table or load()
    if len(argv) < 2 or argv[0] != "VBoxManage":
        return [f"not a VBoxManage command: {argv}"]
    spec = table.get(argv[1])
    if spec is None:
        return [f"subcommand {argv[1]!r} is not in the table"]
    rest = argv[2:]
    found = [
        f"{argv[1]}: the VM name must come first, got option {token}"
        for token in rest[: spec["first"]]
        if token.startswith("-")
    ]
    if len(rest) < spec["first"]:
        found.append(f"{argv[1]}: missing the VM name")
    seen, positionals = _walk(argv[1], spec, rest[spec["first"] :], found)
    found += _check_positionals(argv[1], spec, positionals)
    found += [
        f"{argv[1]}: required {flag} missing"
        for flag in spec.get("required", [])
        if flag not in seen
    ]
    return found


def _walk(
    sub: str, spec: dict[str, Any], tokens: list[str], found: list[str]
) -> tuple[set[str], list[str]]:
    seen: set[str] = set()
    positionals: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("-"):
            positionals.append(token)
            i += 1
            continue
        flag, kind, index_problem = _resolve(spec, token)
        if flag is None:
            found.append(f"{sub}: unknown option {token}")
            i += 1
            continue
        if index_problem:
            found.append(f"{sub}: {token}: {index_problem}")
        seen.add(flag)
        if kind == "flag":
            i += 1
            continue
        if i + 1 >= len(tokens):
            found.append(f"{sub}: {token} needs a value")
            break
        found += _check_value(sub, spec, flag, token, tokens[i + 1])
        i += 2
    return seen, positionals


def _resolve(spec: dict[str, Any], token: str) -> tuple[str | None, str, str]:
    if token in spec.get("options", {}):
        return token, spec["options"][token], ""
    match = re.fullmatch(r"(--[a-z-]+?)(\d+)", token)
    if match and match[1] in spec.get("indexed", {}):
        low, high = spec["indexed"][match[1]]
        ok = low <= int(match[2]) <= high
        return match[1], "value", "" if ok else f"index outside {low}..{high}"
    return None, "", ""


def _check_value(sub: str, spec: dict[str, Any], flag: str, token: str, value: str) -> list[str]:
    allowed = spec.get("values", {}).get(flag)
    if allowed and value.lower() not in {v.lower() for v in allowed}:
        return [f"{sub}: {token} {value!r} is not one of {allowed}"]
    pattern = spec.get("patterns", {}).get(flag)
    if pattern and not re.search(pattern, value):
        return [f"{sub}: {token} {value!r} does not match {pattern}"]
    return []


def _check_positionals(sub: str, spec: dict[str, Any], positionals: list[str]) -> list[str]:
    found = []
    if len(positionals) > spec["positional"]:
        found.append(f"{sub}: too many arguments {positionals} (at most {spec['positional']})")
    for value, pattern in zip(positionals, spec.get("positional_patterns", []), strict=False):
        if not re.search(pattern, value):
            found.append(f"{sub}: argument {value!r} does not match {pattern}")
    keywords = spec.get("keywords") or []
    if spec.get("keyword_required") and (not positionals or positionals[0] not in keywords):
        found.append(f"{sub}: expected one of {keywords}, got {positionals}")
    return found

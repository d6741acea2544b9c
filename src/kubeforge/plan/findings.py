"""A validation finding: which field, what is wrong, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    field: str
    message: str  # says what is wrong and the fix

    def __str__(self) -> str:
        return f"{self.severity}: {self.field}: {self.message}"


def error(field: str, message: str) -> Finding:
    return Finding("error", field, message)


def warning(field: str, message: str) -> Finding:
    return Finding("warning", field, message)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)

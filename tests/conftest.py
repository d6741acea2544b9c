"""Shared fixtures: the default spec as data, so each test can break one thing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from kubeforge.spec import default


@pytest.fixture
def raw() -> dict[str, Any]:
    """The built-in default spec as a plain dict (a fresh deep copy per test)."""
    return copy.deepcopy(yaml.safe_load(default.default_text()))

"""Fixtures for provider tests: the default plan, options in a temp state dir, seed ISOs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.provision.base import Endpoint, Options, Provider
from kubeforge.spec import default
from kubeforge.spec.model import ClusterSpec
from tests.provision.fake_login import FakeMachines

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def fake_logins(monkeypatch: pytest.MonkeyPatch) -> FakeMachines:
    """Readiness logs in by SSH; no machine runs here: every provider test gets FAKE logins
    (machines ready at the first probe unless a test says otherwise)."""
    machines = FakeMachines()

    def runner(self: Provider, endpoints: dict[str, Endpoint]) -> object:
        return machines.runner

    monkeypatch.setattr(Provider, "login_runner", runner)
    return machines


@pytest.fixture
def plan() -> Plan:
    return build_plan(default.default_spec())


@pytest.fixture
def small_plan(raw: dict[str, Any]) -> Plan:
    """One machine per role (5): the same code paths as the default plan, fewer fake calls."""
    for role in ("loadbalancer", "control_plane", "worker", "gluster"):
        raw["hosts"][role]["count"] = 1
    return build_plan(ClusterSpec.model_validate(raw))


@pytest.fixture
def raw_image(tmp_path: Path) -> Path:
    """A tiny disk that looks raw (an MBR signature), standing in for a Debian cloud image."""
    image = tmp_path / "images" / "debian-13-generic-amd64.raw"
    image.parent.mkdir()
    image.write_bytes(b"\0" * 510 + b"\x55\xaa")
    return image


@pytest.fixture
def options(tmp_path: Path, plan: Plan, raw_image: Path) -> Options:
    state = tmp_path / "state" / plan.name
    seeds = state / "out" / "seeds"
    for machine in plan.machines:
        (seeds / machine.name).mkdir(parents=True)
        (seeds / machine.name / "cidata.iso").write_bytes(b"seed")
    return Options(state_dir=state, seeds_dir=seeds, image=raw_image)


@pytest.fixture
def fake_vbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the FAKE VBoxManage (tests/provision/fake_vboxmanage.py) first on PATH; returns the
    log of every argv it received."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    wrapper = bindir / "VBoxManage"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -S {HERE / "fake_vboxmanage.py"} "$@"\n')
    wrapper.chmod(0o755)
    log = tmp_path / "fake-vbox.log"
    monkeypatch.setenv("FAKE_VBOX_STATE", str(tmp_path / "fake-vbox.json"))
    monkeypatch.setenv("FAKE_VBOX_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log

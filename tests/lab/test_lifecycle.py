"""`lab up` is idempotent; `lab down` removes exactly what `up` made (runs last)."""

from __future__ import annotations

import pytest

from kubeforge.lab import leftovers, lifecycle
from kubeforge.lab.record import Record
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def test_up_again_changes_nothing(lab: Lab) -> None:
    before = Record.load(lab.paths.record).made
    lifecycle.up(lab.plan, {}, lab.paths)  # no seeds needed: nothing is booted again
    assert Record.load(lab.paths.record).made == before


def test_machines_have_private_shm_big_enough_for_pacemaker(lab: Lab) -> None:
    for machine in lab.plan.by_role("loadbalancer"):
        size_kb = int(lab.out(machine.name, "df -k --output=size /dev/shm | tail -1"))
        assert size_kb >= 256 * 1024


def test_down_removes_everything_up_made(lab: Lab) -> None:
    assert leftovers.find(lab.paths) != []  # the check sees a running lab...
    lifecycle.down(lab.paths)
    assert leftovers.find(lab.paths) == []  # ...and nothing once it is down

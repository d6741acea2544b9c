"""`kubeforge demo volumes` on the shared session lab: nothing written to the replica-3
volume is lost when a gluster machine goes away and comes back (heal time: benchmarks)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from kubeforge.demo import volumes
from kubeforge.demo.onlab import DemoLab
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab
COUNT = 40


@pytest.fixture(scope="module")
def demo(lab: Lab) -> volumes.VolumeDemo:
    on_lab = DemoLab(lab.workspace, lab.paths, lab.plan, Console(file=io.StringIO(), width=200))
    return volumes.run(on_lab, COUNT, 64 * 1024)


def test_everything_reads_back_while_a_gluster_machine_is_down(demo: volumes.VolumeDemo) -> None:
    assert demo.read_while_down == COUNT
    assert demo.written_while_down == COUNT


def test_no_byte_lost_after_heal(demo: volumes.VolumeDemo) -> None:
    assert demo.files == 2 * COUNT and demo.bytes_written == 2 * COUNT * 64 * 1024
    assert demo.bytes_lost == 0 and demo.lost == []


def test_the_returned_machine_holds_every_file_after_heal(demo: volumes.VolumeDemo) -> None:
    # Written while it was off: only the heal can have put them on its brick.
    assert demo.brick_missing == []


def test_the_demo_leaves_no_mount_behind(demo: volumes.VolumeDemo, lab: Lab) -> None:
    assert lab.exec(demo.client, f"mountpoint -q {volumes.MOUNT}").returncode != 0

"""The storage VIP on the shared session lab: on exactly one gluster machine, reachable by
NFS clients, and moved to another when its holder loses power."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from kubeforge.demo import storage_vip
from kubeforge.demo.onlab import DemoLab
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def move(lab: Lab) -> storage_vip.VipMove:
    on_lab = DemoLab(lab.workspace, lab.paths, lab.plan, Console(file=io.StringIO(), width=200))
    return storage_vip.run(on_lab)


def test_the_vip_is_served_by_one_gluster_machine(move: storage_vip.VipMove, lab: Lab) -> None:
    assert move.before in {m.name for m in lab.plan.by_role("gluster")}
    assert move.served_before  # a worker reaches NFS-Ganesha on VIP:2049


def test_power_loss_moves_the_vip_to_one_other_machine(move: storage_vip.VipMove) -> None:
    assert move.after != move.before
    assert move.served_after


def test_the_returning_machine_does_not_take_it_back(move: storage_vip.VipMove) -> None:
    assert move.holders_after_return == [move.after]


def test_volume_options_are_set_on_debian_gluster(move: storage_vip.VipMove, lab: Lab) -> None:
    volume = lab.plan.spec.storage.volume
    done = lab.exec(move.after, f"gluster volume get {volume} all")
    options = dict(line.split()[:2] for line in done.stdout.splitlines() if len(line.split()) >= 2)
    assert options["network.ping-timeout"] == "3"
    assert options["cluster.quorum-type"] == "auto"
    assert options["cluster.server-quorum-type"] == "server"
    # Bricks drop a silent client (a dead VIP holder's Ganesha) and its locks within ~3 s.
    assert options["server.tcp-user-timeout"] == "3"
    assert [options[f"server.keepalive-{k}"] for k in ("time", "interval", "count")] == \
        ["1", "1", "2"]


def test_every_ganesha_runs_the_rendered_export(move: storage_vip.VipMove, lab: Lab) -> None:
    for machine in lab.plan.by_role("gluster"):
        done = lab.exec(machine.name, "systemctl is-active nfs-ganesha keepalived")
        assert done.stdout.split() == ["active", "active"], (machine.name, done.stdout)


@pytest.fixture(scope="module")
def hung(lab: Lab, move: storage_vip.VipMove) -> storage_vip.HungMove:
    on_lab = DemoLab(lab.workspace, lab.paths, lab.plan, Console(file=io.StringIO(), width=200))
    return storage_vip.hang(on_lab)


def test_a_hung_ganesha_gives_the_vip_up_though_systemd_calls_it_active(
        hung: storage_vip.HungMove) -> None:
    # The check asks Ganesha for its exports; `systemctl is-active` kept the VIP on it.
    assert hung.active_while_hung == "active"
    assert hung.after != hung.before
    assert hung.served_after


def test_the_thawed_ganesha_serves_again_and_does_not_take_the_vip_back(
        hung: storage_vip.HungMove) -> None:
    assert hung.serves_again
    assert hung.holders_after_return == [hung.after]

"""The storage VIP under Pacemaker (storage.vip_manager: pacemaker) on a lab of its own (prefix
`kfsp`): the smallest valid spec that has the three gluster machines (gateway, one balancer,
one control plane, one worker, three gluster machines). The storage phases converge; Corosync
and Pacemaker hold the VIP on exactly one gluster machine, keepalived runs on none; the VIP
moves to exactly one other when its holder loses power (demo/storage_vip.py) and stays there
when it returns; it leaves a holder whose Ganesha hangs; a second apply changes nothing; a
keepalived spec is refused on this cluster.

The shared session lab stays keepalived (its failover tests and figures are measured with it).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from kubeforge.demo import storage_vip
from kubeforge.demo.onlab import DemoLab
from kubeforge.errors import KubeforgeError
from kubeforge.lab import lifecycle, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.render import storage_pacemaker as pcmk
from kubeforge.spec import default
from kubeforge.workspace import Workspace

pytestmark = pytest.mark.lab

COUNTS = {"loadbalancer": 1, "control_plane": 1, "worker": 1, "gluster": 3}


@dataclass
class PacemakerLab:
    lab: DemoLab
    out: io.StringIO

    @property
    def gluster(self) -> list[str]:
        return [m.name for m in self.lab.plan.by_role("gluster")]

    def sh(self, host: str, command: str) -> str:
        return self.lab.run(host, command, check=False).stdout.decode(errors="replace").strip()

    def converge(self, manager: str = "pacemaker") -> str:
        """The storage phases for this lab's spec (or its keepalived twin); the engine's output."""
        spec = self.lab.workspace.operator_spec()
        spec = spec.model_copy(update={"storage": spec.storage.model_copy(
            update={"vip_manager": manager})})
        start = self.out.tell()
        self.lab.converge(spec, storage_vip.PHASES)
        return self.out.getvalue()[start:]


def write_spec(path: Path) -> Path:
    raw = yaml.safe_load(default.default_text())
    for role, count in COUNTS.items():
        raw["hosts"][role]["count"] = count
    raw["storage"]["vip_manager"] = "pacemaker"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def kfsp(lab_turn: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PacemakerLab]:
    base = tmp_path_factory.mktemp("storage-pacemaker")
    workspace = Workspace(write_spec(base / "cluster.yaml"), base / "state")
    plan = seeds.lab_plan(workspace.operator_spec())
    paths = LabPaths(cache=LabPaths.default().cache, prefix="kfsp", state=base / "lab")
    out = io.StringIO()
    started = time.monotonic()
    try:
        lifecycle.up(plan, seeds.render_seeds(plan), paths, identity=workspace.ssh_key_path)
        print(f"\nkfsp lab up: {time.monotonic() - started:.0f} s")
        yield PacemakerLab(DemoLab(workspace, paths, plan, Console(file=out, width=200,
                                                                   color_system=None)), out)
    finally:
        lifecycle.down(paths)
        print(f"kfsp lab, up to down: {time.monotonic() - started:.0f} s")


@pytest.fixture(scope="module")
def move(kfsp: PacemakerLab) -> storage_vip.VipMove:
    """Converges the storage phases, then cuts the holder's power and powers it on again."""
    done = storage_vip.run(kfsp.lab)
    print(f"storage VIP moved in {done.move_s} s")
    return done


def test_the_vip_is_on_exactly_one_gluster_machine(move: storage_vip.VipMove,
                                                   kfsp: PacemakerLab) -> None:
    assert move.before in kfsp.gluster
    assert move.served_before  # a worker reaches NFS-Ganesha on VIP:2049


def test_power_loss_moves_it_to_exactly_one_other(move: storage_vip.VipMove) -> None:
    assert move.after != move.before  # wait_one_holder: exactly one holder among the others
    assert move.served_after


def test_the_returning_machine_does_not_take_it_back(move: storage_vip.VipMove) -> None:
    assert move.holders_after_return == [move.after]


@pytest.fixture(scope="module")
def hung(move: storage_vip.VipMove, kfsp: PacemakerLab) -> storage_vip.HungMove:
    """After the power loss: the holder's Ganesha frozen (SIGSTOP), then thawed."""
    done = storage_vip.hang(kfsp.lab)
    print(f"storage VIP left a hung Ganesha in {done.move_s} s")
    return done


def test_a_hung_ganesha_gives_the_vip_up(hung: storage_vip.HungMove) -> None:
    """The health clone's attribute drops to 0 on the holder (ganesha-serves times out), and
    the location rule moves the VIP; thawed, that machine serves again and takes nothing back."""
    assert hung.active_while_hung == "active"  # systemd alone would never have noticed
    assert hung.after != hung.before and hung.served_after
    assert hung.serves_again
    assert hung.holders_after_return == [hung.after]


def test_pacemaker_places_it_and_keepalived_runs_nowhere(hung: storage_vip.HungMove,
                                                         kfsp: PacemakerLab) -> None:
    located = kfsp.sh(hung.after, f"crm_resource --locate -r {pcmk.VIP_RESOURCE}")
    assert located.endswith(hung.after), located
    for host in kfsp.gluster:
        units = kfsp.sh(host, "systemctl is-active corosync pacemaker nfs-ganesha keepalived")
        assert units.split() == ["active", "active", "active", "inactive"], (host, units)
    # Three members, quorate: the returned machine rejoined.
    quorum = kfsp.sh(hung.after, "corosync-quorumtool -s")
    assert "Quorate:          Yes" in quorum and "Total votes:      3" in quorum, quorum


def test_a_second_apply_changes_nothing(hung: storage_vip.HungMove, kfsp: PacemakerLab) -> None:
    out = kfsp.converge()
    assert "nothing changed" in out, out[-3000:]
    assert "storage-vip" in out


def test_switching_the_running_cluster_to_keepalived_is_refused(
        hung: storage_vip.HungMove, kfsp: PacemakerLab) -> None:
    with pytest.raises(KubeforgeError):
        kfsp.converge("keepalived")
    assert "storage.vip_manager: keepalived, but corosync runs" in kfsp.out.getvalue()
    for host in kfsp.gluster:  # nothing was changed: still Pacemaker's, no keepalived
        assert kfsp.sh(host, "systemctl is-active keepalived") == "inactive"
        assert not kfsp.sh(host, "test -e /etc/keepalived/keepalived.conf && echo there")
    located = kfsp.sh(hung.after, f"crm_resource --locate -r {pcmk.VIP_RESOURCE}")
    assert located.endswith(hung.after), located

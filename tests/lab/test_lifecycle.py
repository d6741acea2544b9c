"""`lab up` is idempotent; `lab down` removes exactly what `up` made (runs last)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubeforge.lab import cgroup, leftovers, lifecycle, seeds
from kubeforge.lab.machine import leader
from kubeforge.lab.record import Record
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def test_up_again_changes_nothing(lab: Lab) -> None:
    before = Record.load(lab.paths.record).made
    # No seeds needed: nothing is booted again (it only checks every machine takes a login).
    lifecycle.up(lab.plan, {}, lab.paths, identity=lab.workspace.ssh_key_path)
    assert Record.load(lab.paths.record).made == before


def test_machines_have_private_shm_big_enough_for_pacemaker(lab: Lab) -> None:
    for machine in lab.plan.by_role("loadbalancer"):
        size_kb = int(lab.out(machine.name, "df -k --output=size /dev/shm | tail -1"))
        assert size_kb >= 256 * 1024


def test_every_machine_has_a_cgroup_of_its_own(lab: Lab) -> None:
    """Shared, every machine's systemd removed the others' unit cgroups: a unit then failed to
    start ("Failed to spawn executor"), and cloud-init hung (issue 9's lab flake)."""
    record = Record.load(lab.paths.record)
    seen = set()
    for planned in lab.plan.machines:
        made = record.process(f"nspawn:{planned.name}")
        assert made is not None and made.pid is not None
        init = leader(made.pid)
        own = next(line for line in Path(f"/proc/{init}/cgroup").read_text().splitlines()
                   if line.startswith("0::"))
        assert f"/{lab.topology.machine(planned.name).machine_name}{cgroup.SUFFIX}/payload" in own
        seen.add(own)
    assert len(seen) == len(lab.plan.machines)
    # ...and each unit's cgroup holds that machine's processes only (its sshd, not twelve)
    for planned in lab.plan.machines:
        made = record.process(f"nspawn:{planned.name}")
        init = leader(made.pid)  # type: ignore[union-attr, arg-type]
        tree = cgroup.for_machine(lab.topology.machine(planned.name).machine_name)
        pids = (tree / "payload/system.slice/ssh.service/cgroup.procs").read_text().split()
        assert pids
        assert {os.readlink(f"/proc/{pid}/ns/net") for pid in pids} == {
            os.readlink(f"/proc/{init}/ns/net")}


def test_grown_lab_boots_only_the_machine_added_to_the_plan(lab: Lab) -> None:
    """A worker added to the spec: `up` boots that one machine; the others keep running. As
    docs/lab.md says, the gateway phase runs first: the new machine's DHCP reservation."""
    record = Record.load(lab.paths.record)
    pids = {m.name: record.process(f"nspawn:{m.name}").pid for m in lab.plan.machines}  # type: ignore[union-attr]
    spec = lab.plan.spec
    worker = spec.hosts.worker.model_copy(update={"count": spec.hosts.worker.count + 1})
    bigger = seeds.lab_plan(spec.model_copy(
        update={"hosts": spec.hosts.model_copy(update={"worker": worker})}))
    lab.apply(bigger, ("gateway",))  # raises ApplyError if it fails
    lifecycle.up(bigger, seeds.render_seeds(bigger), lab.paths,
                 identity=lab.workspace.ssh_key_path)  # returns once it takes a login
    grown = Record.load(lab.paths.record)
    assert {name: grown.process(f"nspawn:{name}").pid for name in pids} == pids  # type: ignore[union-attr]
    ready = {s.name: s.ready for s in lifecycle.status(bigger, lab.paths)}
    assert ready[bigger.by_role("worker")[-1].name] and all(ready.values())


def test_down_removes_everything_up_made(lab: Lab) -> None:
    assert leftovers.find(lab.paths) != []  # the check sees a running lab...
    lifecycle.down(lab.paths)
    assert leftovers.find(lab.paths) == []  # ...and nothing once it is down

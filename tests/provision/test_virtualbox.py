"""VirtualBox: the command plan (golden), every command against the VBoxManage flag table, and a
real run through the FAKE VBoxManage proving that a re-run adopts and changes nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kubeforge.cli import up as up_cmd
from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision import virtualbox
from kubeforge.provision.base import Options
from tests.provision import vbox_flags
from tests.provision.fake_login import FakeMachines

GOLDEN = Path(__file__).parent / "golden" / "virtualbox-default-dry-run.txt"
IMAGE = "/srv/images/debian-13-generic-amd64.qcow2"


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("up")(up_cmd.up)
    app.command("destroy")(up_cmd.destroy)
    return app


def _dry_run_output(tmp_path: Path) -> str:
    result = CliRunner().invoke(
        _cli(),
        ["up", "--provider", "virtualbox", "--dry-run", "--state", str(tmp_path), "--image", IMAGE],
    )
    assert result.exit_code == 0, result.output
    return result.stdout.replace(str(tmp_path.absolute()), "<STATE>")


@pytest.mark.skipif(shutil.which("VBoxManage") is not None, reason="a real VirtualBox is installed")
def test_dry_run_prints_the_golden_command_plan(tmp_path: Path) -> None:
    output = _dry_run_output(tmp_path)
    if os.environ.get("KUBEFORGE_UPDATE_GOLDEN"):
        GOLDEN.write_text(output)
    assert output == GOLDEN.read_text()
    assert not (tmp_path / "kube").exists(), "a dry-run must write nothing"


def test_every_golden_command_is_allowed_by_the_vboxmanage_reference() -> None:
    table = vbox_flags.load()
    text = GOLDEN.read_text().replace("<STATE>", "/state")  # the placeholder for tmp_path
    commands = [shlex.split(line) for line in text.splitlines() if line.startswith("VBoxManage ")]
    assert len(commands) > 90
    for argv in commands:
        assert vbox_flags.problems(argv, table) == [], " ".join(argv)


def test_golden_plan_matches_the_reference_topology() -> None:
    text = GOLDEN.read_text()
    gateway = next(
        line for line in text.splitlines() if line.startswith("VBoxManage modifyvm kube-gate01")
    )
    assert "--nic1 nat" in gateway and "--nat-pf1 ssh,tcp,127.0.0.1,2222,,22" in gateway
    for index, subnet in enumerate(("mast", "node", "glus", "dmz"), start=2):
        assert f"--nic{index} intnet" in gateway and f"--intnet{index} kube-{subnet}" in gateway
    assert text.count("createmedium disk") == 3 and "--size 512000" in text  # 500 GB gluster disks
    assert text.count("--type dvddrive --medium <STATE>/kube/out/seeds/") == 12
    assert text.count("startvm") == 12 and "qemu-img convert -f qcow2 -O vdi" in text


def test_each_data_disk_gets_the_planned_serial_on_its_sata_port(plan: Plan) -> None:
    """The serial is what makes /dev/disk/by-id/ata-VBOX_HARDDISK_<serial> in the guest: the
    path the plan gives the storage phase (never a guessed /dev/sdb)."""
    text = GOLDEN.read_text()
    for machine in plan.by_role("gluster"):
        assert machine.data_disk is not None
        line = (f"VBoxManage setextradata {machine.name} "
                f"VBoxInternal/Devices/ahci/0/Config/Port1/SerialNumber {machine.data_disk.serial}")
        assert line in text.splitlines()
        identity = machine.data_disk.on("virtualbox")
        assert identity and identity.path.endswith(machine.data_disk.serial)
        assert f"--size {identity.min_bytes // 1024**2} " in text  # MB: exactly the planned size


@pytest.mark.parametrize(
    "argv",
    [
        ["VBoxManage", "setextradata", "vm", "VBoxInternal/Devices/ahci/0/Config/Port1/Serial",
         "kf1"],
        ["VBoxManage", "setextradata", "vm",
         "VBoxInternal/Devices/ahci/0/Config/Port1/SerialNumber", "x" * 21],
        ["VBoxManage", "modifyvm", "vm", "--nic9", "nat"],
        ["VBoxManage", "modifyvm", "vm", "--nic1", "bogus"],
        ["VBoxManage", "modifyvm", "vm", "--nictypo1", "virtio"],
        ["VBoxManage", "modifyvm", "vm", "--mac-address1", "02:00:00:00:00:01"],
        ["VBoxManage", "modifyvm", "--cpus", "2", "vm"],
        [
            "VBoxManage",
            "storageattach",
            "vm",
            "--storagectl",
            "SATA",
            "--port",
            "0",
            "--type",
            "hdd",
        ],
        ["VBoxManage", "startvm", "vm", "--type", "invisible"],
        ["VBoxManage", "createmedium", "disk", "--filename", "/d.vdi"],
        ["VBoxManage", "controlvm", "vm"],
    ],
)
def test_the_flag_checker_rejects_wrong_commands(argv: list[str]) -> None:
    assert vbox_flags.problems(argv) != []


def test_machine_mac_is_the_planned_one_without_colons(plan: Plan, options: Options) -> None:
    provider = virtualbox.VirtualBox(plan, dataclasses.replace(options, dry_run=True))
    for machine in plan.machines:
        argv = provider.modifyvm(machine)
        for index, nic in enumerate(machine.nics, start=1):
            position = argv.index(f"--mac-address{index}")
            assert argv[position + 1] == nic.mac.replace(":", "").upper()


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_up_through_the_fake_vboxmanage_then_rerun_adopts_and_changes_nothing(
    plan: Plan, options: Options, fake_vbox: Path
) -> None:
    first = virtualbox.VirtualBox(plan, options).up()
    assert len(first) == 106  # base disk, 7 steps per VM, 3 per data disk, 12 starts
    mutating = [c for c in _calls(fake_vbox) if c[0] not in ("list", "showvminfo")]
    assert len(mutating) == len(first)
    fake_vbox.unlink()

    again = virtualbox.VirtualBox(plan, options)
    assert again.plan_actions() == []
    assert again.up() == []
    assert {c[0] for c in _calls(fake_vbox)} <= {"list", "showvminfo"}
    assert again.notes == []  # nothing drifted


def test_adopted_vm_that_drifted_is_reported_not_changed(
    small_plan: Plan, options: Options, fake_vbox: Path
) -> None:
    virtualbox.VirtualBox(small_plan, options).up()
    state_file = Path(os.environ["FAKE_VBOX_STATE"])
    state = json.loads(state_file.read_text())
    state["vms"]["kube-node01"]["info"]["cpus"] = "8"
    state_file.write_text(json.dumps(state))

    provider = virtualbox.VirtualBox(small_plan, options)
    assert provider.plan_actions() == []
    assert any("kube-node01" in note and "cpus is '8'" in note for note in provider.notes)


def test_stopped_vm_is_started_and_nothing_else(
    small_plan: Plan, options: Options, fake_vbox: Path
) -> None:
    virtualbox.VirtualBox(small_plan, options).up()
    state_file = Path(os.environ["FAKE_VBOX_STATE"])
    state = json.loads(state_file.read_text())
    state["vms"]["kube-mast01"]["info"]["VMState"] = "poweroff"
    state_file.write_text(json.dumps(state))

    actions = virtualbox.VirtualBox(small_plan, options).plan_actions()
    assert [a.describe() for a in actions] == ["VBoxManage startvm kube-mast01 --type headless"]


def test_destroy_removes_exactly_what_up_made(
    small_plan: Plan, options: Options, fake_vbox: Path
) -> None:
    provider = virtualbox.VirtualBox(small_plan, options)
    provider.up()
    assert provider.base_disk.exists()
    done = virtualbox.VirtualBox(small_plan, options).destroy()
    assert [a.verb for a in done].count("unregistervm") == 5
    fake_state = json.loads(Path(os.environ["FAKE_VBOX_STATE"]).read_text())
    assert fake_state["vms"] == {} and fake_state["dvds"] == []  # seed ISOs forgotten too
    assert not provider.base_disk.exists()
    assert all(options.seed_iso(m).exists() for m in small_plan.machines), (
        "seeds are render's, kept"
    )
    assert virtualbox.VirtualBox(small_plan, options).destroy() == []


def test_missing_seed_iso_stops_before_creating_the_vm(
    plan: Plan, options: Options, fake_vbox: Path
) -> None:
    options.seed_iso(plan.gateway).unlink()
    with pytest.raises(ProviderError, match="kube-gate01: seed ISO .* is missing"):
        virtualbox.VirtualBox(plan, options).up()
    assert "createvm" not in {c[0] for c in _calls(fake_vbox)}


def test_parsers_read_vboxmanage_output() -> None:
    assert virtualbox.parse_list_vms('"kube-gate01" {0b1e-22}\n"other vm" {ab-cd}\n') == [
        "kube-gate01",
        "other vm",
    ]
    info = virtualbox.parse_machinereadable(
        'name="kube-gate01"\nmemory=512\nVMState="running"\n"SATA-0-0"="/x/y.vdi"\n'
        'Forwarding(0)="ssh,tcp,127.0.0.1,2222,,22"\ndescription="say \\"hi\\""\n'
    )
    assert info["memory"] == "512" and info["VMState"] == "running"
    assert info["SATA-0-0"] == "/x/y.vdi" and info["Forwarding(0)"].startswith("ssh,tcp")
    assert info["description"] == 'say "hi"'
    dvds = "UUID:           1-2\nState:          created\nLocation:       /s/kube-gate01/cidata.iso\n\n"
    assert virtualbox.parse_locations(dvds) == ["/s/kube-gate01/cidata.iso"]


def test_up_starts_the_gateway_first_and_the_others_once_it_takes_a_login(
    small_plan: Plan, options: Options, fake_vbox: Path, fake_logins: FakeMachines
) -> None:
    """The gateway serves DHCP from its seed: the others must not boot before it is ready."""
    started_at_probe: list[list[str]] = []
    fake_logins.booting = 2
    fake_logins.before_probe = lambda host: started_at_probe.append(
        [c[1] for c in _calls(fake_vbox) if c[0] == "startvm"])
    virtualbox.VirtualBox(small_plan, options).up()
    gateway = small_plan.gateway.name
    assert fake_logins.probes == [gateway] * 3  # up waits for the gateway alone
    assert all(started == [gateway] for started in started_at_probe)
    starts = [c[1] for c in _calls(fake_vbox) if c[0] == "startvm"]
    assert starts[0] == gateway and sorted(starts) == sorted(m.name for m in small_plan.machines)

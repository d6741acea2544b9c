"""`kubeforge up` / `kubeforge destroy` as a user runs them (typer), per provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from kubeforge.bootstrap.inventory import Reach
from kubeforge.cli import apply as apply_cmd
from kubeforge.cli import up as up_cmd
from kubeforge.errors import ProviderError
from kubeforge.lab import lifecycle
from kubeforge.plan.model import Plan
from kubeforge.provision import images, lab
from kubeforge.provision.base import Options


def _run(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    app.command("up")(up_cmd.up)
    app.command("destroy")(up_cmd.destroy)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_libvirt_dry_run_lists_every_definition(tmp_path: Path) -> None:
    code, out = _run(
        "up",
        "--provider",
        "libvirt",
        "--dry-run",
        "--uri",
        "test:///default",
        "--state",
        str(tmp_path),
        "--image",
        "/srv/debian-13-generic-amd64.qcow2",
    )
    assert code == 0, out
    assert out.count("define-domain") == 12 and out.count("define-network") == 5
    assert out.count("create-volume") == 28 and "libvirt: would run" in out
    assert not (tmp_path / "kube").exists()


def test_existing_dry_run_changes_nothing_and_says_so(tmp_path: Path, plan: Plan) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        yaml.safe_dump({"hosts": {m.name: {"address": str(m.address)} for m in plan.machines}})
    )
    code, out = _run(
        "up",
        "--provider",
        "existing",
        "--dry-run",
        "--state",
        str(tmp_path),
        "--inventory",
        str(inventory),
    )
    assert code == 0, out
    assert "existing: no changes would be performed" in out


def test_destroy_dry_run_with_nothing_made(tmp_path: Path) -> None:
    code, out = _run(
        "destroy",
        "--provider",
        "libvirt",
        "--dry-run",
        "--uri",
        "test:///default",
        "--state",
        str(tmp_path),
    )
    assert code == 0, out
    assert "no changes would be performed" in out


def test_unknown_provider_is_an_error_naming_the_choices(tmp_path: Path) -> None:
    code, out = _run("up", "--provider", "vmware", "--dry-run", "--state", str(tmp_path))
    assert code != 0 and "virtualbox, libvirt, existing, lab" in out


def test_image_format_is_read_from_the_header(tmp_path: Path) -> None:
    qcow = tmp_path / "disk.img"
    qcow.write_bytes(b"QFI\xfb" + b"\0" * 508)
    assert images.detect(qcow) == "qcow2"  # the content wins over the .img suffix
    assert images.detect(tmp_path / "absent.raw") == "raw"
    assert images.default_path("trixie").name == "debian-13-generic-amd64.qcow2"
    with pytest.raises(ProviderError, match="unknown image format"):
        images.detect(tmp_path / "absent.iso")


def test_lab_adapter_plans_one_lab_up_and_has_nothing_to_destroy(
    plan: Plan, options: Options, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEFORGE_LAB_STATE", str(tmp_path / "lab-state"))
    monkeypatch.setenv("KUBEFORGE_LAB_CACHE", str(tmp_path / "lab-cache"))
    provider = lab.Lab(plan, options)
    actions = provider.plan_actions()
    assert [a.verb for a in actions] == ["lab-up"] and "12 machines not ready" in actions[0].target
    assert provider.destroy_actions() == []


def test_virtualbox_up_renders_seeds_creates_vms_and_a_rerun_changes_nothing(
    tmp_path: Path, raw_image: Path, fake_vbox: Path
) -> None:
    args = (
        "up",
        "--provider",
        "virtualbox",
        "--state",
        str(tmp_path),
        "--image",
        str(raw_image),
        "--no-wait",
    )
    code, out = _run(*args)
    assert code == 0, out
    assert "virtualbox: ran 106 actions" in out
    seeds = tmp_path / "kube" / "out" / "seeds"
    assert len(list(seeds.glob("*/cidata.iso"))) == 12  # rendered before the VMs were made
    endpoints = json.loads((tmp_path / "kube" / up_cmd.ENDPOINTS_FILE).read_text())
    gateway = next(e for e in endpoints["endpoints"] if e["name"] == "kube-gate01")
    assert (gateway["host"], gateway["port"], gateway["jump"]) == ("127.0.0.1", 2222, None)

    code, out = _run(*args)
    assert code == 0 and "virtualbox: nothing to change" in out, out


def test_libvirt_up_on_the_test_driver_through_the_cli(tmp_path: Path) -> None:
    code, out = _run(
        "up",
        "--provider",
        "libvirt",
        "--uri",
        "test:///default",
        "--state",
        str(tmp_path),
        "--image",
        "/srv/debian-13-generic-amd64.qcow2",
        "--no-wait",
    )
    assert code == 0, out
    # 5 networks x2, 28 volumes (base, overlays, data, seeds), 13 uploads, 12 domains x2
    assert "libvirt: ran 75 actions" in out
    # The test driver stores no data: each upload is skipped with its reason printed.
    assert "kube-node01-cidata.iso: this libvirt driver cannot upload volumes" in out


def test_missing_libvirt_pool_is_named_with_the_fix(tmp_path: Path) -> None:
    code, out = _run(
        "up",
        "--provider",
        "libvirt",
        "--dry-run",
        "--uri",
        "test:///default",
        "--pool",
        "kf-no-such-pool",
        "--state",
        str(tmp_path),
    )
    assert code != 0
    assert "no storage pool 'kf-no-such-pool'" in out and "virsh pool-define-as" in out


# -- the handoff: `apply` after `up` needs no route flag, whatever the provider ----------------


def _apply_reach(state: Path, monkeypatch: pytest.MonkeyPatch, *flags: str) -> Reach:
    """Run `kubeforge apply` as a user does; the engine is replaced by a recorder of the
    route it was given (no machine exists behind these providers' test doubles)."""
    seen: list[Reach] = []

    async def record(ctx: object, reach: Reach, *args: object, **kwargs: object) -> list[object]:
        seen.append(reach)
        return []

    monkeypatch.setattr(apply_cmd.engine, "apply", record)
    app = typer.Typer()
    app.command("apply")(apply_cmd.apply)
    app.command("noop")(lambda: None)  # two commands: typer then expects the name
    result = CliRunner().invoke(app, ["apply", "--state", str(state), *flags])
    assert result.exit_code == 0, result.output + str(result.exception)
    return seen[0]


def _via_gateway(reach: Reach, address: str, port: int) -> None:
    gateway = reach.targets["kube-gate01"]
    assert (gateway.address, gateway.port, gateway.jump) == (address, port, None)
    assert all(t.jump == "kube-gate01" for n, t in reach.targets.items() if n != "kube-gate01")
    assert len(reach.targets) == 12


def test_apply_after_virtualbox_up_uses_the_port_forward(
    tmp_path: Path, raw_image: Path, fake_vbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = _run("up", "--provider", "virtualbox", "--state", str(tmp_path), "--image",
                     str(raw_image), "--no-wait")
    assert code == 0, out
    _via_gateway(_apply_reach(tmp_path, monkeypatch), "127.0.0.1", 2222)


def test_apply_after_libvirt_up_uses_the_uplink_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = _run("up", "--provider", "libvirt", "--uri", "test:///default", "--state",
                     str(tmp_path), "--image", "/srv/debian-13-generic-amd64.qcow2", "--no-wait")
    assert code == 0, out
    recorded = json.loads((tmp_path / "kube" / up_cmd.ENDPOINTS_FILE).read_text())
    gateway = next(e for e in recorded["endpoints"] if e["name"] == "kube-gate01")
    _via_gateway(_apply_reach(tmp_path, monkeypatch), gateway["host"], 22)


def test_apply_after_existing_up_uses_the_inventory_and_flags_override(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts: dict[str, dict[str, object]] = {"kube-gate01": {"address": "203.0.113.10",
                                                           "port": 2200, "user": "ops"}}
    hosts |= {m.name: {"address": str(m.address), "jump": "kube-gate01"}
              for m in plan.machines if m.name != "kube-gate01"}
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(yaml.safe_dump({"hosts": hosts}))
    code, out = _run("up", "--provider", "existing", "--state", str(tmp_path), "--inventory",
                     str(inventory), "--no-wait")
    assert code == 0, out
    reach = _apply_reach(tmp_path, monkeypatch)
    _via_gateway(reach, "203.0.113.10", 2200)
    assert reach.targets["kube-gate01"].user == "ops" and reach.kubernetes_binaries
    direct = _apply_reach(tmp_path, monkeypatch, "--direct")  # a flag still overrides
    assert direct.targets["kube-gate01"].address == str(plan.gateway.address)


def test_apply_after_lab_up_dials_the_recorded_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEFORGE_LAB_STATE", str(tmp_path / "lab-state"))
    monkeypatch.setenv("KUBEFORGE_LAB_PREFIX", "kfho")

    def all_ready(plan: Plan, paths: object = None) -> list[lifecycle.MachineStatus]:
        return [lifecycle.MachineStatus(m.name, m.role, str(m.address), 1, True, True)
                for m in plan.machines]

    monkeypatch.setattr(lab.lifecycle, "status", all_ready)  # a lab that is up (stand-in)
    code, out = _run("up", "--provider", "lab", "--state", str(tmp_path))
    assert code == 0 and "lab: nothing to change" in out, out
    monkeypatch.delenv("KUBEFORGE_LAB_PREFIX")  # recorded at `up`: apply needs no lab settings
    reach = _apply_reach(tmp_path, monkeypatch)
    _via_gateway(reach, "10.0.2.15", 22)
    assert reach.known_hosts == tmp_path / "lab-state" / "known_hosts"
    assert not reach.kubernetes_binaries and reach.sock_factory is not None

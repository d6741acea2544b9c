"""`kubeforge up` / `kubeforge destroy` as a user runs them (typer), per provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from kubeforge.cli import up as up_cmd
from kubeforge.errors import ProviderError
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

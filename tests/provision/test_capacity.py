"""Does the spec fit this host? What `plan` reports and `up` warns about."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kubeforge.cli import spec_cmds
from kubeforge.cli import up as up_cmd
from kubeforge.plan.model import Plan
from kubeforge.provision import capacity

BIG = capacity.Host(memory_mb=64 * 1024, cpus=32, disk_free_gb=4000, disk_path=Path("/srv"))


def test_the_default_spec_fits_a_big_host(plan: Plan) -> None:
    for provider in ("virtualbox", "libvirt", "lab", "existing"):
        assert capacity.fit(plan, provider, BIG) == []


def test_ram_cpus_and_thin_disks_over_committed_are_named(plan: Plan) -> None:
    small = capacity.Host(memory_mb=8192, cpus=1, disk_free_gb=100, disk_path=Path("/srv"))
    found = {f.field: f.message for f in capacity.fit(plan, "libvirt", small)}
    need = capacity.Demand.of(plan)
    assert f"reserves {need.memory_mb} MB" in found["hosts.*.memory_mb"]
    assert "more CPUs than the host has" in found["hosts.*.cpus"]
    assert "thin" in found["hosts.*.disk_gb"] and f"{need.disk_gb} GB" in found["hosts.*.disk_gb"]


def test_vcpus_over_committed_is_only_slower(plan: Plan) -> None:
    two = capacity.Host(memory_mb=64 * 1024, cpus=2, disk_free_gb=4000, disk_path=Path("/srv"))
    (finding,) = capacity.fit(plan, "virtualbox", two)
    assert "over-committed (works, slower under load)" in finding.message


def test_the_lab_and_existing_hosts_reserve_nothing_here(plan: Plan) -> None:
    tiny = capacity.Host(memory_mb=512, cpus=1, disk_free_gb=1, disk_path=Path("/srv"))
    assert capacity.fit(plan, "lab", tiny) == [] and capacity.fit(plan, "existing", tiny) == []
    assert "not reserved" in capacity.summary(plan, "lab", tiny)[0][1]


def test_this_host_is_read(tmp_path: Path) -> None:
    host = capacity.read_host(tmp_path / "not" / "yet")
    assert host.memory_mb > 0 and host.cpus >= 1 and host.disk_path == tmp_path


def test_up_warns_before_it_over_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = capacity.Host(memory_mb=2048, cpus=2, disk_free_gb=10, disk_path=tmp_path)
    monkeypatch.setattr(capacity, "read_host", lambda path: tiny)
    app = typer.Typer()
    app.command("up")(up_cmd.up)
    app.command("plan")(spec_cmds.plan)
    result = CliRunner().invoke(app, ["up", "--provider", "libvirt", "--dry-run", "--uri",
                                      "test:///default", "--state", str(tmp_path)])
    assert "warning: hosts.*.memory_mb" in result.output, result.output
    result = CliRunner().invoke(app, ["plan", "--provider", "libvirt", "--state", str(tmp_path)])
    assert "fits this host? (libvirt)" in result.output and "over-commit: hosts.*.memory_mb" \
        in result.output, result.output


def test_plan_names_the_providers_for_an_unknown_one(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("plan")(spec_cmds.plan)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["plan", "--provider", "vmware", "--state", str(tmp_path)])
    assert result.exit_code == 2 and "virtualbox, libvirt, existing, lab" in result.output
    assert "Hosts" not in result.output  # refused before anything is printed

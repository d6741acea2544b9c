"""The CLI as a user runs it: real processes, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml


def kubeforge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubeforge", *args], cwd=cwd, text=True, check=False,
                          capture_output=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_init_then_validate(tmp_path: Path) -> None:
    assert kubeforge("init", "c.yaml", cwd=tmp_path).returncode == 0
    assert "ERRATA 1" in (tmp_path / "c.yaml").read_text()  # commented
    result = kubeforge("validate", "-f", "c.yaml", cwd=tmp_path)
    assert result.returncode == 0 and "valid" in result.stdout
    again = kubeforge("init", "c.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr


def test_bad_spec_exits_2_listing_every_problem(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["network"]["subnets"]["glus"]["dhcp_pool"] = {"start": "192.168.2.50", "end": "192.168.2.200"}
    raw["network"]["api_vip"] = "192.168.1.20"
    raw["hosts"]["control_plane"]["count"] = 2
    raw["hosts"]["control_plane"]["memory_mb"] = 1024
    raw["loadbalancer"]["stats_password"] = "admin"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(raw))
    result = kubeforge("validate", "-f", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    for text in ("network.subnets.glus.dhcp_pool", "network.api_vip", "hosts.control_plane.memory_mb",
                 "loadbalancer.stats_password", "warning: hosts.control_plane.count"):
        assert text in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_and_malformed_specs_exit_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("name: [unclosed")
    for args in (("validate", "-f", "missing.yaml"), ("validate", "-f", "x.yaml"), ("render", "-f", "x.yaml")):
        result = kubeforge(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "error:" in result.stderr


def test_invalid_spec_renders_nothing(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["hosts"]["control_plane"]["count"] = 0
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(raw))
    result = kubeforge("render", "-f", "bad.yaml", "--out", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "out").exists() and not (tmp_path / ".kubeforge").exists()


def test_schema_is_json_schema(tmp_path: Path) -> None:
    result = kubeforge("schema", cwd=tmp_path)
    schema = json.loads(result.stdout)
    assert schema["title"] == "ClusterSpec" and "network" in schema["properties"]


def test_plan_prints_host_and_network_tables(tmp_path: Path) -> None:
    result = kubeforge("plan", cwd=tmp_path)
    assert result.returncode == 0
    assert "kube-mast01" in result.stdout and "192.168.1.201" in result.stdout
    assert "DHCP - glus" in result.stdout and "192.168.3.50 - 192.168.3.200" in result.stdout

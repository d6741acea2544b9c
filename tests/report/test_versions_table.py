"""The versions table: one source for `kubeforge versions`, the HTML report and docs/versions.md."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kubeforge.plan.build import build_plan
from kubeforge.render import addon_versions as pins
from kubeforge.report import html, versions
from kubeforge.spec import default
from kubeforge.spec.model import ClusterSpec

DOC = Path(__file__).parents[2] / "docs" / "versions.md"
BLOCK = re.compile(r"<!-- BEGIN kubeforge versions --markdown -->\n(.*?)<!-- END", re.DOTALL)


def kubeforge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubeforge", *args], cwd=cwd, text=True, check=False,
                          capture_output=True, timeout=120, env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"})


def test_docs_hold_the_table_kubeforge_versions_prints(tmp_path: Path) -> None:
    documented = BLOCK.search(DOC.read_text())
    assert documented, "docs/versions.md lost its generated block"
    result = kubeforge("versions", "--markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == documented.group(1) == versions.markdown(versions.rows(default.default_spec()))


def test_the_table_names_every_pin_and_its_source() -> None:
    table = {row[0]: row for row in versions.rows(default.default_spec())}
    assert table["flannel"][1:] == (pins.FLANNEL_VERSION, pins.FLANNEL_IMAGE)
    assert table["MetalLB"][1:] == (pins.METALLB_VERSION, pins.METALLB_MANIFEST_URL)
    assert table["Headlamp"][1:] == (pins.HEADLAMP_VERSION, pins.HEADLAMP_IMAGE)
    assert table["pause image"][1] == "registry.k8s.io/pause:3.10.2"
    assert table["containerd"][1:] == ("containerd.io 2.x (config version 3)",
                                       "https://download.docker.com/linux/debian trixie stable")
    assert "containerd" not in table["Debian packages: workers"][1].split(", ")
    assert "haproxy" in table["Debian packages: load balancers"][1]


def test_the_table_follows_the_spec(raw: dict[str, Any]) -> None:
    raw.update(kubernetes_version="1.35", containerd_source="debian")
    raw["addons"]["dashboard"] = {"kind": "none"}
    table = {row[0]: row for row in versions.rows(ClusterSpec.model_validate(raw))}
    assert table["containerd"][1:] == ("containerd 1.7.24 (config version 2)", "Debian trixie")
    assert table["pause image"][1] == "registry.k8s.io/pause:3.10.1"
    assert "Headlamp" not in table
    assert "containerd" in table["Debian packages: workers"][1].split(", ")


def test_the_window_as_of_a_day() -> None:
    rows = {row[0]: row[1:] for row in versions.window_rows(date(2026, 12, 1))}
    assert rows["1.34"] == ("2026-10-27", "refused (end of life)")
    assert rows["1.35"] == ("2027-02-28", "supported (oldest supported: warned)")
    assert rows["1.37"][1].startswith("supported (default")


def test_the_report_has_the_table(raw: dict[str, Any]) -> None:
    page = html.page(build_plan(ClusterSpec.model_validate(raw)), [])
    assert '<h2 id="versions">Versions</h2>' in page
    for row in versions.rows(ClusterSpec.model_validate(raw)):
        assert all(cell.replace("'", "&#x27;") in page for cell in row), row


def test_versions_refuses_an_end_of_life_spec(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["kubernetes_version"] = "1.34"
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(raw))
    result = kubeforge("versions", "-f", "old.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "1.35" in result.stderr and "Traceback" not in result.stderr

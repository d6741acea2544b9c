"""The plan report: the SVG names what the plan decided; the page renders in a real browser."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat

from kubeforge.plan.build import build_plan
from kubeforge.plan.findings import error, warning
from kubeforge.plan.model import Plan
from kubeforge.report import diagram, html, tables
from kubeforge.spec.default import default_spec
from kubeforge.spec.model import ClusterSpec

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class ForeignFinding:
    """Any object with severity/field/message is accepted, not only plan.findings.Finding."""

    severity: str
    field: str
    message: str


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(default_spec())


def _wide_plan(raw: dict[str, Any], workers: int) -> Plan:
    """The default spec with `workers` workers and the node subnet widened to hold them."""
    raw["network"]["subnets"]["node"] = {
        "cidr": "192.168.16.0/21",
        "gateway": "192.168.23.254",
        "dhcp_pool": {"start": "192.168.16.50", "end": "192.168.16.200"},
    }
    raw["network"]["metallb_pool"] = {"start": "192.168.16.10", "end": "192.168.16.49"}
    raw["hosts"]["worker"]["count"] = workers
    return build_plan(ClusterSpec.model_validate(raw))


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


# --- the diagram ------------------------------------------------------------------------------


def test_svg_names_every_machine_and_every_address(plan: Plan) -> None:
    texts = _texts(diagram.diagram(plan))
    joined = "\n".join(texts)
    for machine in plan.machines:
        assert machine.name in texts, machine.name
        for nic in machine.nics:
            if nic.address is not None:
                assert str(nic.address) in joined, (machine.name, nic.name)


def test_svg_shows_subnets_vip_pools_and_pod_cidr(plan: Plan) -> None:
    joined = "\n".join(_texts(diagram.diagram(plan)))
    network = plan.network
    expected = [
        str(network.supernet),
        str(network.pod_cidr),
        str(network.service_cidr),
        f"{network.api_vip}:{network.api_port}",
        tables.span(network.metallb_pool),
    ]
    for subnet in plan.subnets.values():
        expected += [
            f"{subnet.name}  {subnet.cidr}",
            str(subnet.gateway),
            tables.span(subnet.dhcp_pool),
        ]
    for value in expected:
        assert value in joined, value


def test_svg_text_is_readable_at_full_size(plan: Plan) -> None:
    root = ET.fromstring(diagram.diagram(plan))
    assert int(root.get("width", "0")) <= 1400  # fits a laptop screen without scaling
    assert min(int(t.get("font-size", "0")) for t in root.iter(f"{SVG}text")) >= 12


def test_gateway_is_connected_to_every_subnet(plan: Plan) -> None:
    root = ET.fromstring(diagram.diagram(plan))
    gateway = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "gateway")
    lines = list(gateway.iter(f"{SVG}line"))
    assert len(lines) == 1 + len(plan.subnets)  # the uplink, then one per subnet


def test_large_role_collapses_to_one_box(raw: dict[str, Any]) -> None:
    plan = _wide_plan(raw, 100)
    svg = diagram.diagram(plan)
    texts = _texts(svg)
    assert "kube-node01..kube-node100 (100 machines)" in texts
    assert "kube-node050" not in svg
    first, last = plan.by_role("worker")[0], plan.by_role("worker")[-1]
    assert any(str(first.address) in t and str(last.address) in t for t in texts)
    assert "kube-mast01" in texts  # small roles are still drawn one box per machine


def test_thousand_workers_stay_a_small_picture(raw: dict[str, Any]) -> None:
    small = diagram.diagram(_wide_plan(raw, 3))
    large = diagram.diagram(_wide_plan(raw, 1000))
    assert len(large) < len(small) + 1000  # one summary box, not a thousand


def test_diagram_is_deterministic(plan: Plan) -> None:
    assert diagram.diagram(plan) == diagram.diagram(build_plan(default_spec()))


# --- the page -----------------------------------------------------------------------------------


def test_page_holds_svg_tables_and_findings(plan: Plan) -> None:
    findings: list[html.FindingLike] = [
        error("network.api_vip", "outside dmz; move it"),
        ForeignFinding("warning", "hosts.x", "odd"),
    ]
    page = html.page(plan, findings)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    for machine in plan.machines:
        assert f"<td>{machine.name}</td>" in page
        assert machine.nics[-1].mac in page
    assert "<td>DHCP - glus</td>" in page and "192.168.3.50 - 192.168.3.200" in page
    assert "network.api_vip" in page and "hosts.x" in page and "1 error(s), 1 warning(s)" in page


def test_page_escapes_what_users_wrote(plan: Plan) -> None:
    page = html.page(plan, [warning("name", "<script>alert(1)</script> & more")])
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_page_without_findings_says_so(plan: Plan) -> None:
    assert "No problems found." in html.page(plan, [])


def test_page_is_self_contained(plan: Plan) -> None:
    page = html.page(plan, [])
    # The versions table names its sources' URLs as text; nothing links or loads them.
    before, versions_table = page.split('<h2 id="versions">')
    for reference in ("http://", "https://", "<script", "<link", "src="):
        assert reference not in before.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for reference in ("href=", "<script", "<link", "src=", "<a "):
        assert reference not in versions_table


def test_host_rows_list_every_gateway_nic(plan: Plan) -> None:
    row = dict(zip(tables.HOST_COLUMNS, tables.host_rows(plan)[0], strict=True))
    assert row["Name"] == plan.gateway.name
    assert row["IP"].splitlines() == [str(s.gateway) for s in plan.subnets.values()]


# --- a real browser -------------------------------------------------------------------------------


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium not found: install the packages in scripts/apt-packages.txt")
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    # The timeout only guards against a hung browser; nothing is asserted about speed.
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


@pytest.fixture(scope="module")
def page_file(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "plan.html"
    path.write_text(html.page(plan, [warning("hosts.worker.count", "example warning")]))
    return path


@pytest.mark.checkers
def test_chromium_screenshot_shows_the_diagram(page_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,1200", page_file.as_uri())
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1400, 1200)
        assert ImageStat.Stat(rgb.convert("L")).var[0] > 500  # a blank page has variance ~0
        colors = {color for _, color in rgb.getcolors(maxcolors=1 << 20) or []}
    for role in ("gateway", "control_plane", "worker", "gluster", "loadbalancer"):
        fill = tuple(int(diagram.ROLE_FILL[role][i : i + 2], 16) for i in (1, 3, 5))
        assert fill in colors, f"no {role} box painted"


@pytest.mark.checkers
def test_chromium_dom_contains_the_svg(plan: Plan, page_file: Path, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, "--dump-dom", page_file.as_uri()).stdout
    assert "<svg" in dom and "kube-gate01" in dom
    assert all(m.name in dom for m in plan.machines)

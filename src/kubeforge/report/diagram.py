"""The network plan as one SVG picture, readable at 100 % zoom.

Layout: the supernet is a box; each subnet is a band (left column: first half of the subnets,
right column: the rest); the gateway sits between the columns with one line per subnet drawn
from the NIC that holds the subnet's .254; its uplink leaves the supernet at the top. Each band
names its CIDR, gateway and DHCP pool; the API VIP and the MetalLB pool are dashed boxes in
their band; the pod and service networks are dashed overlays outside the supernet. A role with
many machines in one subnet collapses to one box ("kube-node01..kube-node100 (100 machines)"),
so a 1,000-worker plan stays a readable picture.

Built with the stdlib xml module: every label is escaped and the output is always well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from ipaddress import IPv4Address

from kubeforge.plan.model import Machine, Plan, PlannedSubnet
from kubeforge.report.tables import ROLE_LABELS, span

COLLAPSE_AT = 13  # more machines of one role in one subnet than this: draw one summary box
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Liberation Mono, monospace"
ROLE_FILL = {
    "gateway": "#fde68a",
    "loadbalancer": "#fbcfe8",
    "control_plane": "#bfdbfe",
    "worker": "#bbf7d0",
    "gluster": "#ddd6fe",
}
INK, MUTED, LINE, POOL = "#0f172a", "#475569", "#64748b", "#0e7490"

MARGIN, COLUMN, CENTER, PAD, GAP = 20, 520, 240, 14, 10
BOX_H, POOL_H, HEADER_H, BAND_GAP = 44, 30, 56, 18
TITLE_H, UPLINK_H, SUPERNET_HEADER = 40, 70, 34
GW_ROW, GW_HEAD = 20, 50
CHAR_W = 7.6  # average width of a 13 px DejaVu Sans character, for box sizing
WIDTH = 2 * MARGIN + 2 * COLUMN + CENTER + 2 * PAD  # 1348: fits a 1400 px window unscaled


@dataclass(frozen=True)
class Item:
    """One box inside a band: a machine, a collapsed role, or a pool / virtual address."""

    title: str
    detail: str
    role: str | None  # None: a pool or virtual address (dashed outline)
    wide: bool  # takes the full band width


@dataclass(frozen=True)
class Band:
    subnet: PlannedSubnet
    items: tuple[Item, ...]
    height: int


def diagram(plan: Plan) -> str:
    """The SVG document as text (UTF-8, no XML declaration: it is inlined into HTML too)."""
    box_w = _box_width(plan)
    subnets = list(plan.subnets.values())
    half = (len(subnets) + 1) // 2
    left = [_band(plan, s, box_w) for s in subnets[:half]]
    right = [_band(plan, s, box_w) for s in subnets[half:]]
    gateway = plan.by_role("gateway")
    gw_h = GW_HEAD + GW_ROW * (len(gateway[0].nics) if gateway else 1)
    content_h = max(_stack_height(left), _stack_height(right), gw_h)
    top = TITLE_H + UPLINK_H
    supernet_h = SUPERNET_HEADER + content_h + 2 * PAD
    height = top + supernet_h + 150
    svg = _root(plan, WIDTH, height)
    _title(svg, plan)
    _supernet(svg, plan, MARGIN, top, WIDTH - 2 * MARGIN, supernet_h)
    inner_y = top + SUPERNET_HEADER + PAD
    left_x, right_x = MARGIN + PAD, MARGIN + PAD + COLUMN + CENTER
    anchors = _draw_stack(svg, left, left_x, inner_y, box_w, "right")
    anchors += _draw_stack(svg, right, right_x, inner_y, box_w, "left")
    gw_x, gw_y = left_x + COLUMN + 30, inner_y + (content_h - gw_h) // 2
    _gateway(svg, plan, gateway[0] if gateway else None, gw_x, gw_y, CENTER - 60, anchors)
    _overlays(svg, plan, MARGIN, top + supernet_h + 16, WIDTH - 2 * MARGIN)
    _legend(svg, MARGIN, height - 34)
    ET.indent(svg, space=" ")
    return ET.tostring(svg, encoding="unicode") + "\n"


# --- bands -----------------------------------------------------------------------------------


def _band(plan: Plan, subnet: PlannedSubnet, box_w: int) -> Band:
    items = (*_pools(plan, subnet), *_machine_items(plan, subnet))
    return Band(subnet, items, _band_height(items, box_w))


def _pools(plan: Plan, subnet: PlannedSubnet) -> list[Item]:
    network = plan.network
    pools = []
    if network.api_vip in subnet.cidr:
        holders = ", ".join(m.name for m in plan.by_role("loadbalancer")) or "no load balancer"
        pools.append(
            Item(f"API VIP {network.api_vip}:{network.api_port}", f"held by {holders}", None, True)
        )
    if plan.spec.addons.metallb and network.metallb_pool.start in subnet.cidr:
        pools.append(
            Item(f"MetalLB pool {span(network.metallb_pool)}", "LoadBalancer services", None, True)
        )
    return pools


def _machine_items(plan: Plan, subnet: PlannedSubnet) -> list[Item]:
    members = [m for m in plan.in_subnet(subnet.name) if m.role != "gateway"]
    items: list[Item] = []
    for role in ROLE_LABELS:
        group = [m for m in members if m.role == role]
        if len(group) > COLLAPSE_AT:
            items.append(_collapsed(group, subnet.name))
        else:
            items += [Item(m.name, str(_address(m, subnet.name)), role, False) for m in group]
    return items


def _collapsed(group: list[Machine], subnet: str) -> Item:
    first, last = group[0], group[-1]
    title = f"{first.name}..{last.name} ({len(group)} machines)"
    addresses = f"{_address(first, subnet)} ... {_address(last, subnet)}"
    detail = f"{addresses}, {first.cpus} CPU, {first.memory_mb} MB each"
    return Item(title, detail, first.role, True)


def _address(machine: Machine, subnet: str) -> IPv4Address | None:
    return next((nic.address for nic in machine.nics if nic.subnet == subnet), None)


def _rows(items: tuple[Item, ...], box_w: int) -> list[list[Item]]:
    """Wide items take a row each; machines flow left to right."""
    per_row = max(1, (COLUMN - 2 * PAD + GAP) // (box_w + GAP))
    rows: list[list[Item]] = []
    for item in items:
        if item.wide or not rows or rows[-1][0].wide or len(rows[-1]) == per_row:
            rows.append([item])
        else:
            rows[-1].append(item)
    return rows


def _row_height(row: list[Item]) -> int:
    return POOL_H if row[0].role is None else BOX_H


def _band_height(items: tuple[Item, ...], box_w: int) -> int:
    rows = _rows(items, box_w)
    body = sum(_row_height(r) + GAP for r in rows) if rows else BOX_H
    return HEADER_H + body + PAD


def _stack_height(bands: list[Band]) -> int:
    return sum(b.height for b in bands) + BAND_GAP * max(0, len(bands) - 1)


def _draw_stack(
    svg: ET.Element, bands: list[Band], x: int, y: int, box_w: int, facing: str
) -> list[tuple[str, int, int]]:
    """Draw bands top to bottom; return where each subnet's gateway line should end."""
    anchors = []
    for band in bands:
        _draw_band(svg, band, x, y, box_w)
        anchors.append((band.subnet.name, x + COLUMN if facing == "right" else x, y + 24))
        y += band.height + BAND_GAP
    return anchors


def _draw_band(svg: ET.Element, band: Band, x: int, y: int, box_w: int) -> None:
    s = band.subnet
    group = ET.SubElement(svg, "g", {"class": "subnet", "id": f"subnet-{s.name}"})
    _rect(group, x, y, COLUMN, band.height, fill="#f1f5f9", stroke=LINE, rx=8)
    _text(group, x + PAD, y + 22, f"{s.name}  {s.cidr}", size=16, weight="bold")
    _text(
        group,
        x + PAD,
        y + 42,
        f"gateway/DNS {s.gateway}  ·  DHCP {span(s.dhcp_pool)}",
        size=12,
        fill=MUTED,
    )
    row_y = y + HEADER_H
    rows = _rows(band.items, box_w)
    if not rows:
        _text(group, x + PAD, row_y + 20, "no machines", size=12, fill=MUTED)
    for row in rows:
        for column, item in enumerate(row):
            w = COLUMN - 2 * PAD if item.wide else box_w
            _item(group, item, x + PAD + column * (box_w + GAP), row_y, w, _row_height(row))
        row_y += _row_height(row) + GAP


def _item(parent: ET.Element, item: Item, x: int, y: int, w: int, h: int) -> None:
    if item.role is None:  # a pool or virtual address: dashed, one line
        _rect(parent, x, y, w, h, fill="#ecfeff", stroke=POOL, rx=4, dash="6 4")
        _text(parent, x + 10, y + 20, item.title, size=13, weight="bold", fill=POOL)
        _text(parent, x + w - 10, y + 20, item.detail, size=12, fill=MUTED, anchor="end")
        return
    group = ET.SubElement(parent, "g", {"class": f"machine role-{item.role}"})
    _rect(group, x, y, w, h, fill=ROLE_FILL[item.role], stroke=LINE, rx=4)
    _text(group, x + 10, y + 18, item.title, size=13, weight="bold")
    _text(group, x + 10, y + 36, item.detail, size=12, family=MONO)


def _box_width(plan: Plan) -> int:
    longest = max((len(m.name) for m in plan.machines), default=10)
    return min(max(150, int(longest * CHAR_W) + 24), COLUMN - 2 * PAD)


# --- gateway, supernet, overlays -------------------------------------------------------------


def _gateway(
    svg: ET.Element,
    plan: Plan,
    gateway: Machine | None,
    x: int,
    y: int,
    w: int,
    anchors: list[tuple[str, int, int]],
) -> None:
    group = ET.SubElement(svg, "g", {"class": "machine role-gateway", "id": "gateway"})
    center = x + w // 2
    _line(group, center, TITLE_H + 40, center, y)  # the uplink, out of the supernet
    rows = gateway.nics if gateway else ()
    _rect(
        group,
        x,
        y,
        w,
        GW_HEAD + GW_ROW * max(1, len(rows)),
        fill=ROLE_FILL["gateway"],
        stroke=INK,
        rx=6,
    )
    _text(
        group,
        center,
        y + 20,
        gateway.name if gateway else "no gateway",
        size=14,
        weight="bold",
        anchor="middle",
    )
    _text(group, center, y + 38, "router, DNS, DHCP, NAT", size=12, fill=MUTED, anchor="middle")
    ends = {name: (ax, ay) for name, ax, ay in anchors}
    for index, nic in enumerate(rows):
        row_y = y + GW_HEAD + GW_ROW * index + 12
        address = str(nic.address) if nic.address else "DHCP (uplink)"
        _text(group, x + 10, row_y, nic.name, size=12, family=MONO)
        _text(group, x + w - 10, row_y, address, size=12, family=MONO, anchor="end")
        if nic.subnet in ends:
            ax, ay = ends[nic.subnet]
            _line(group, x if ax < x else x + w, row_y - 4, ax, ay)


def _title(svg: ET.Element, plan: Plan) -> None:
    _text(svg, MARGIN, 26, f"{plan.name}  ({plan.domain})  network plan", size=18, weight="bold")
    center = WIDTH // 2
    _rect(svg, center - 130, TITLE_H, 260, 40, fill="#ffffff", stroke=LINE, rx=20, dash="4 3")
    uplink = "uplink: provider NAT / DHCP"
    _text(svg, center, TITLE_H + 25, uplink, size=12, fill=MUTED, anchor="middle")


def _supernet(svg: ET.Element, plan: Plan, x: int, y: int, w: int, h: int) -> None:
    _rect(svg, x, y, w, h, fill="#ffffff", stroke=INK, rx=10, width=2)
    _text(svg, x + PAD, y + 23, f"supernet {plan.network.supernet}", size=15, weight="bold")


def _overlays(svg: ET.Element, plan: Plan, x: int, y: int, w: int) -> None:
    """Pod and service networks: addresses Kubernetes hands out, not routed by the gateway."""
    network = plan.network
    nodes = ", ".join(
        _role_span(plan, role) for role in ("control_plane", "worker") if plan.by_role(role)
    )
    rows = (
        (f"pod CIDR {network.pod_cidr}", f"flannel overlay across {nodes or 'no nodes'}"),
        (
            f"service CIDR {network.service_cidr}",
            "virtual ClusterIPs (kube-proxy), inside the cluster only",
        ),
    )
    for index, (title, detail) in enumerate(rows):
        _item(svg, Item(title, detail, None, True), x, y + index * (POOL_H + GAP), w, POOL_H)


def _role_span(plan: Plan, role: str) -> str:
    machines = plan.by_role(role)  # type: ignore[arg-type]
    return machines[0].name if len(machines) == 1 else f"{machines[0].name}..{machines[-1].name}"


def _legend(svg: ET.Element, x: int, y: int) -> None:
    for role, label in ROLE_LABELS.items():
        _rect(svg, x, y, 16, 16, fill=ROLE_FILL[role], stroke=LINE, rx=3)
        _text(svg, x + 22, y + 13, label, size=12)
        x += 36 + int(len(label) * 6.8)
    _rect(svg, x, y, 16, 16, fill="#ecfeff", stroke=POOL, rx=3, dash="4 2")
    _text(svg, x + 22, y + 13, "pool or virtual address", size=12)


# --- primitives ------------------------------------------------------------------------------


def _root(plan: Plan, width: int, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": FONT,
            "role": "img",
        },
    )
    ET.SubElement(svg, "title").text = f"{plan.name}: network plan"
    _rect(svg, 0, 0, width, height, fill="#ffffff", stroke="none")
    return svg


def _rect(
    parent: ET.Element,
    x: int,
    y: int,
    w: int,
    h: int,
    *,
    fill: str,
    stroke: str,
    rx: int = 0,
    dash: str | None = None,
    width: int = 1,
) -> None:
    attrs = {
        "x": str(x),
        "y": str(y),
        "width": str(w),
        "height": str(h),
        "rx": str(rx),
        "fill": fill,
        "stroke": stroke,
        "stroke-width": str(width),
    }
    if dash:
        attrs["stroke-dasharray"] = dash
    ET.SubElement(parent, "rect", attrs)


def _text(
    parent: ET.Element,
    x: int,
    y: int,
    content: str,
    *,
    size: int,
    weight: str = "normal",
    fill: str = INK,
    anchor: str = "start",
    family: str | None = None,
) -> None:
    attrs = {"x": str(x), "y": str(y), "font-size": str(size), "fill": fill}
    if weight != "normal":
        attrs["font-weight"] = weight
    if anchor != "start":
        attrs["text-anchor"] = anchor
    if family:
        attrs["font-family"] = family
    ET.SubElement(parent, "text", attrs).text = content


def _line(parent: ET.Element, x1: int, y1: int, x2: int, y2: int) -> None:
    ET.SubElement(
        parent,
        "line",
        {
            "x1": str(x1),
            "y1": str(y1),
            "x2": str(x2),
            "y2": str(y2),
            "stroke": LINE,
            "stroke-width": "2",
        },
    )

"""The plan report: one self-contained HTML page (no scripts, no external files).

Title and summary, the validation findings, the network diagram (inline SVG), the host table
and the network table of the reference deck's "Networking Diagram" slide. No timestamp: the same
plan and findings give the same bytes, so reports can be diffed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Protocol

from kubeforge.plan.model import Plan
from kubeforge.report import diagram, tables, versions

STYLE = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #0f172a;
       margin: 24px; background: #ffffff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
p.summary { color: #475569; margin: 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #cbd5e1; padding: 4px 10px; text-align: left; vertical-align: top;
         white-space: pre; }
td.message { white-space: normal; }
th { background: #f1f5f9; }
td.mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
tr.error td.severity { color: #b91c1c; font-weight: bold; }
tr.warning td.severity { color: #a16207; font-weight: bold; }
p.ok { color: #15803d; font-weight: bold; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #e2e8f0; }
"""
MONO_COLUMNS = {"IP", "MAC", "Value"}
# Marks a page as ours: `plan --html --force` replaces only a file that carries it.
GENERATOR = '<meta name="generator" content="kubeforge plan --html">'


class FindingLike(Protocol):
    """What the report needs of a validation finding (kubeforge.plan.findings.Finding fits)."""

    @property
    def severity(self) -> str: ...

    @property
    def field(self) -> str: ...

    @property
    def message(self) -> str: ...


def page(plan: Plan, findings: Sequence[FindingLike]) -> str:
    title = f"kubeforge plan: {plan.name}"
    body = "\n".join(
        (
            f"<h1>{escape(title)}</h1>",
            f'<p class="summary">{escape(_summary(plan, findings))}</p>',
            '<h2 id="findings">Validation</h2>',
            _findings(findings),
            '<h2 id="diagram">Network diagram</h2>',
            f"<figure>\n{diagram.diagram(plan)}</figure>",
            '<h2 id="hosts">Hosts</h2>',
            _table(tables.HOST_COLUMNS, tables.host_rows(plan)),
            '<h2 id="network">Network</h2>',
            _table(("Item", "Value"), tables.network_rows(plan)),
            '<h2 id="versions">Versions</h2>',
            _table(versions.COLUMNS, versions.rows(plan.spec)),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en">\n<head>\n<meta charset="utf-8">\n{GENERATOR}\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _summary(plan: Plan, findings: Sequence[FindingLike]) -> str:
    spec = plan.spec
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    return (
        f"{len(plan.machines)} machines in {plan.network.supernet} ({plan.domain}), "
        f"Kubernetes {spec.kubernetes_version} on Debian {spec.debian_release}, "
        f"API {plan.network.api_vip}:{plan.network.api_port} via {spec.loadbalancer.vip_manager}; "
        f"{errors} error(s), {warnings} warning(s)"
    )


def _findings(findings: Sequence[FindingLike]) -> str:
    if not findings:
        return '<p class="ok">No problems found.</p>'
    rows = ["<table>", "<tr><th>Severity</th><th>Field</th><th>Problem and fix</th></tr>"]
    for finding in sorted(findings, key=lambda f: (f.severity != "error", f.field)):
        severity = escape(finding.severity)
        rows.append(
            f'<tr class="{severity}"><td class="severity">{severity}</td>'
            f'<td class="mono">{escape(finding.field)}</td>'
            f'<td class="message">{escape(finding.message)}</td></tr>'
        )
    rows.append("</table>")
    return "\n".join(rows)


def _table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    mono = [c in MONO_COLUMNS for c in columns]
    lines = ["<table>", "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"]
    for row in rows:
        cells = (
            f'<td class="mono">{escape(v)}</td>' if m else f"<td>{escape(v)}</td>"
            for v, m in zip(row, mono, strict=True)
        )
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)

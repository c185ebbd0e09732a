"""One self-contained HTML report for auditors and managers: no network, no CDN.

Charts are inline SVG drawn here (horizontal bars); tables are sortable by a few lines of inline
JS; the CSP meta tag forbids every fetch. The page lists coverage gaps, the internet exposure
(exposure-check findings, plus ``report.extra["exposure"]`` rows when an audit attaches them),
the drift from the baseline, every finding, and the suppressed ones.

Finding tables fit a 1280 px window: cells wrap (long ids anywhere), peers and messages go
through the shared cell helpers (`cloudfw.export.cells`), and a collapsed details row under a
finding holds its evidence and, where a cell shortened them, the exact message and peers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from html import escape
from importlib import resources
from string import Template

import orjson

from cloudfw.export.cells import (
    message_text,
    peers_cell,
    resource_name,
    rule_name,
    traffic_cell,
)
from cloudfw.model import Finding, Severity
from cloudfw.model.humanize import tokens_text
from cloudfw.model.report import Report

EXPOSURE_CHECKS = frozenset({"internet-ingress", "allow-all", "wide-public-source"})
DRIFT_CHECKS = frozenset({"unexpectedly-authorized", "revoked", "modified"})
SEVERITY_COLOUR = {
    "critical": "#82071e",
    "high": "#cf222e",
    "medium": "#d4a72c",
    "low": "#0969da",
    "info": "#8c959f",
}
BAR_COLOUR = "#0969da"
BAR_W, ROW_H, LABEL_W, MAX_BARS = 260, 22, 190, 20
#: peers listed in a cell (and in a message's peer list) before "+N more"
PEER_LIMIT = 8


@cache
def _template() -> Template:
    text = resources.files("cloudfw").joinpath("data/report.html.tmpl").read_text("utf-8")
    return Template(text)


def bar_chart(name: str, items: Sequence[tuple[str, int]], colours: Mapping[str, str]) -> str:
    """Horizontal bars, one ``rect.bar`` per item, largest first (top ``MAX_BARS``)."""
    if not items:
        return '<p class="empty">No findings.</p>'
    items = list(items)[:MAX_BARS]
    top = max(n for _, n in items) or 1
    height = ROW_H * len(items) + 4
    width = LABEL_W + BAR_W + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" data-chart="{name}" '
        f'width="{width}" height="{height}" role="img" aria-label="findings by {name}">'
    ]
    for i, (label, n) in enumerate(items):
        y = i * ROW_H + 2
        w = max(1, round(BAR_W * n / top)) if n else 0
        colour = colours.get(label, BAR_COLOUR)
        lab = escape(label if len(label) <= 30 else label[:29] + "…")
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12">{lab}</text>'
            f'<rect class="bar" data-label="{escape(label)}" data-value="{n}" x="{LABEL_W}" '
            f'y="{y + 3}" width="{w}" height="{ROW_H - 6}" fill="{colour}"><title>{lab}: {n}'
            f'</title></rect><text x="{LABEL_W + w + 4}" y="{y + 15}" font-size="12">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(
    table_id: str,
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    details: Sequence[str] = (),
    cls: str = "",
) -> str:
    """``rows`` cells are already-escaped HTML ``<td>`` contents (or full ``<td ...>`` tags);
    ``details[i]``, when not empty, is a full-width row under row ``i`` (it sorts with it)."""
    body = []
    for i, row in enumerate(rows):
        cells = "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row)
        body.append(f"<tr>{cells}</tr>")
        if i < len(details) and details[i]:
            body.append(f'<tr class="details"><td colspan="{len(head)}">{details[i]}</td></tr>')
    if not body:
        return '<p class="empty">None.</p>'
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    classes = f"sortable {cls}".strip()
    return (
        f'<table class="{classes}" id="{table_id}"><thead><tr>{ths}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _sev_cell(sev: Severity) -> str:
    return f'<td class="sev {sev.label}" data-sort="{int(sev)}">{sev.label}</td>'


def _resource_cell(f: Finding) -> str:
    """ARM ids and GCP paths are long: show the name, keep the id in the tooltip."""
    short = resource_name(f.asset)
    if short == f.asset.label():
        return escape(short)
    return f'<td title="{escape(f.asset.resource_id)}">{escape(short)}</td>'


def _details(f: Finding, message: str, peers: str) -> str:
    """A collapsed ``<details>``: the evidence, and the exact message and peers when the row
    shows them shortened."""
    items: list[tuple[str, str]] = []
    if message != f.message:
        items.append(("Message", escape(f.message)))
    if peers != tokens_text(f.peers):
        items.append(("Peers (exact)", escape(", ".join(f.peers))))
    if f.evidence:
        text = orjson.dumps(f.evidence, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        items.append(("Evidence", f"<pre>{escape(text)}</pre>"))
    if not items:
        return ""
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    names = ", ".join(k.lower() for k, _ in items)
    return f"<details><summary>{escape(names)}</summary><dl>{dl}</dl></details>"


def _finding_rows(
    findings: Iterable[Finding], with_suppression: bool = False
) -> tuple[list[list[str]], list[str]]:
    rows, details = [], []
    for f in findings:
        a = f.asset
        traffic = f"{f.direction} {traffic_cell(f)}".strip()
        message = message_text(f, PEER_LIMIT, short=True)
        peers = peers_cell(f, PEER_LIMIT)
        row = [
            _sev_cell(f.severity),
            f"<code>{escape(f.check)}</code>",
            escape(a.provider),
            escape(a.account),
            escape(a.region),
            _resource_cell(f),
            escape(", ".join(rule_name(k, a) for k in f.rule_keys)),
            escape(traffic),
            escape(peers),
            escape(message),
        ]
        if with_suppression:
            row.append(escape(f.suppressed_by))
        rows.append(row)
        details.append(_details(f, message, peers))
    return rows, details


FINDING_HEAD = (
    "Severity",
    "Check",
    "Provider",
    "Account",
    "Region",
    "Resource",
    "Rules",
    "Traffic",
    "Peers",
    "Message",
)


def _findings_table(table_id: str, findings: Iterable[Finding], suppressed: bool = False) -> str:
    head = (*FINDING_HEAD, "Exception") if suppressed else FINDING_HEAD
    rows, details = _finding_rows(findings, with_suppression=suppressed)
    return _table(table_id, head, rows, details, cls="findings")


def _exposure(report: Report) -> str:
    exposed = [f for f in report.findings if f.base_check in EXPOSURE_CHECKS]
    html = _findings_table("exposure-table", exposed)
    extra = report.extra.get("exposure")
    if isinstance(extra, list) and extra and all(isinstance(r, dict) for r in extra):
        cols = list(dict.fromkeys(str(k) for r in extra for k in r))  # in the rows' own order
        rows = [[escape(str(r.get(c, ""))) for c in cols] for r in extra]
        html += "<h3>Effective exposure</h3>" + _table("effective-exposure-table", cols, rows)
    return html


def _coverage(report: Report) -> str:
    failed = [c for c in report.coverage if not c.ok]
    ok = len(report.coverage) - len(failed)
    head = f"<p>{ok} of {len(report.coverage)} scopes read.</p>"
    rows = [[escape(c.provider), escape(c.scope), escape(c.reason)] for c in failed]
    if not rows:
        return head + '<p class="empty">No gaps: every scope was read.</p>'
    return head + _table("coverage-table", ("Provider", "Scope", "Reason"), rows)


def _cards(report: Report) -> str:
    counts = report.counts()
    failed = sum(1 for c in report.coverage if not c.ok)
    cards = [("Findings", str(len(report.findings)), "")]
    cards += [
        (s.capitalize(), str(counts[s]), "bad" if counts[s] and s in ("critical", "high") else "")
        for s in ("critical", "high", "medium", "low")
    ]
    cards += [
        ("Rule sets", str(report.rulesets), ""),
        ("Rules", str(report.rules), ""),
        ("Scopes not read", str(failed), "warn" if failed else ""),
    ]
    return "".join(
        f'<div class="card {cls}"><b>{value}</b>{escape(label)}</div>'
        for label, value, cls in cards
    )


def render_html(report: Report) -> str:
    fs = report.findings
    counts = report.counts()
    sev_items = [(s.label, counts[s.label]) for s in sorted(Severity, reverse=True)]
    by_provider = Counter(f.asset.provider for f in fs).most_common()
    by_check = sorted(Counter(f.base_check for f in fs).items(), key=lambda kv: (-kv[1], kv[0]))
    drift = [f for f in fs if f.base_check in DRIFT_CHECKS]
    return _template().substitute(
        generated=escape(report.generated_at.isoformat()),
        version=escape(report.tool_version),
        digest=escape(report.snapshot_digest or "-"),
        baseline=escape(report.baseline or "none"),
        cards=_cards(report),
        chart_severity=bar_chart("severity", sev_items if fs else [], SEVERITY_COLOUR),
        chart_provider=bar_chart("provider", by_provider, {}),
        chart_check=bar_chart("check", by_check, {}),
        coverage=_coverage(report),
        exposure=_exposure(report),
        drift=_findings_table("drift-table", drift),
        findings=_findings_table("findings-table", fs),
        suppressed=_findings_table("suppressed-table", report.suppressed, suppressed=True),
    )

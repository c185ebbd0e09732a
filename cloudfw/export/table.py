"""The human table: one row per finding that fits ``WIDTH`` columns, the finding's message on an
indented details line under it, then a summary and a coverage line per failed scope.

Columns keep their natural width while the row fits; otherwise the widest shrinkable columns
(resource, rule, traffic, peers, account, check) give way first and their cells are clipped with
``…`` (peers are re-rendered to the width, ending with ``+N more``). Messages wrap at ``WIDTH``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from cloudfw.export.cells import (
    incomplete_lines,
    message_text,
    peers_cell,
    resource_name,
    rules_cell,
    traffic_cell,
)
from cloudfw.model import Finding
from cloudfw.model.humanize import clip
from cloudfw.model.report import Report

WIDTH = 200
GAP = "  "
#: peers listed per cell before "+N more" (the width may cut further)
PEER_LIMIT = 6
HEAD = ("SEVERITY", "CHECK", "PROVIDER", "ACCOUNT", "REGION", "RESOURCE", "RULE", "TRAFFIC",
        "PEERS")  # fmt: skip
PEERS = HEAD.index("PEERS")
#: the narrowest a shrinkable column gets (None: never shrinks): an AWS account id is 12 wide,
#: "all protocols except tcp, udp" 29
MIN_WIDTH: tuple[int | None, ...] = (None, 32, None, 12, None, 24, 24, 29, 28)


def _cells(f: Finding) -> list[str]:
    return [
        f.severity.label.upper(),
        f.check,
        f.asset.provider,
        f.asset.account,
        f.asset.region,
        resource_name(f.asset),
        rules_cell(f),
        traffic_cell(f),
        peers_cell(f, PEER_LIMIT),
    ]


def fit_widths(
    natural: Sequence[int], min_width: Sequence[int | None] = MIN_WIDTH, width: int = WIDTH
) -> list[int]:
    """Column widths whose row (with ``GAP`` between columns) fits ``width``: the shrinkable
    column furthest above its ``min_width`` (None: never shrinks) loses a character at a time."""
    widths = list(natural)
    budget = width - len(GAP) * (len(widths) - 1)
    while sum(widths) > budget:
        excess = {i: widths[i] - m for i, m in enumerate(min_width) if m is not None}
        i = max(excess, key=lambda j: (excess[j], j))
        if excess[i] <= 0:
            break
        widths[i] -= 1
    return widths


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return GAP.join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _natural(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]


def text_table(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    min_width: Sequence[int | None],
    width: int = WIDTH,
) -> list[str]:
    """A plain table that fits ``width``: the columns shrink as `fit_widths` says and are clipped
    with ``…``, except the last: ``min_width[-1]`` is reserved for it, it takes the rest of the
    line and wraps under itself."""
    natural = _natural(head, rows)
    reserve = min_width[-1] or 40
    natural[-1] = min(natural[-1], reserve)
    widths = fit_widths(natural, [*min_width[:-1], None], width)
    start = sum(widths[:-1]) + len(GAP) * (len(widths) - 1)
    last = max(width - start, 12)
    widths[-1] = min(widths[-1], last)
    lines = [_line(head, widths), _line(["-" * w for w in widths], widths)]
    for row in rows:
        cells = [clip(c, w) for c, w in zip(row[:-1], widths, strict=False)]
        wrapped = textwrap.wrap(row[-1], last, break_on_hyphens=False) or [""]
        lines.append(_line([*cells, wrapped[0]], widths))
        lines.extend(" " * start + more for more in wrapped[1:])
    return lines


def findings_table(findings: Sequence[Finding], width: int = WIDTH) -> list[str]:
    rows = [(f, _cells(f)) for f in findings]
    widths = fit_widths(_natural(HEAD, [c for _, c in rows]), MIN_WIDTH, width)
    indent = " " * (widths[0] + len(GAP))
    lines = [_line(HEAD, widths), _line(["-" * w for w in widths], widths)]
    for f, cells in rows:
        if len(cells[PEERS]) > widths[PEERS]:
            cells[PEERS] = peers_cell(f, PEER_LIMIT, widths[PEERS])
        lines.append(_line([clip(c, w) for c, w in zip(cells, widths, strict=True)], widths))
        lines.extend(
            textwrap.wrap(
                message_text(f, PEER_LIMIT, short=True),
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=True,
                break_on_hyphens=False,
            )
        )
    return lines


def render_table(report: Report) -> str:
    ordered = sorted(
        report.findings,
        key=lambda f: (-f.severity, f.check, f.asset.provider, f.asset.resource_id),
    )
    lines = findings_table(ordered) if ordered else ["No findings."]
    counts = report.counts()
    summary = ", ".join(f"{n} {sev}" for sev, n in reversed(counts.items()) if n)
    lines.append("")
    lines.append(
        f"{len(report.findings)} findings ({summary or 'none'}) over {report.rulesets} rule sets / "
        f"{report.rules} rules; {len(report.suppressed)} suppressed by baseline exceptions."
    )
    failed = [c for c in report.coverage if not c.ok]
    ok = len(report.coverage) - len(failed)
    lines.append(
        f"Coverage: {ok} of {len(report.coverage)} scopes read. (cloudfw {report.tool_version})"
    )
    notes = [
        *(f"INCOMPLETE {line}" for line in incomplete_lines(failed)),
        *(f"WARNING {w}" for w in report.warnings),
    ]
    for note in notes:
        lines.extend(textwrap.wrap(note, WIDTH, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines) + "\n"

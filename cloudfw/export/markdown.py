"""A short Markdown summary for pull-request comments: counts, coverage gaps, the worst findings."""

from __future__ import annotations

from collections import Counter

from cloudfw.export.cells import peers_cell, resource_name, traffic_cell
from cloudfw.model import Finding
from cloudfw.model.report import Report

TOP = 10
#: peers listed per cell before "+N more"
PEER_LIMIT = 3


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(f: Finding) -> str:
    return (
        f"| {f.severity.label} | `{_esc(f.check)}` | {f.asset.provider} | "
        f"{_esc(resource_name(f.asset))} | {_esc(traffic_cell(f))} | "
        f"{_esc(peers_cell(f, PEER_LIMIT))} |"
    )


def render_markdown(report: Report) -> str:
    counts = report.counts()
    status = "complete" if report.complete else "**INCOMPLETE**"
    lines = [
        "### cloudfw audit",
        "",
        f"{len(report.findings)} findings over {report.rulesets} rule sets / {report.rules} rules "
        f"({len(report.suppressed)} suppressed); coverage {status}.",
        "",
        "| critical | high | medium | low | info |",
        "| ---: | ---: | ---: | ---: | ---: |",
        "| "
        + " | ".join(str(counts[s]) for s in ("critical", "high", "medium", "low", "info"))
        + " |",
    ]
    by_check = Counter(f.base_check for f in report.findings)
    if by_check:
        lines += [
            "",
            "**By check:** "
            + ", ".join(
                f"`{c}` {n}" for c, n in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0]))
            ),
        ]
    failed = [c for c in report.coverage if not c.ok]
    if failed:
        lines += ["", "**Not read (no verdict for these scopes):**"]
        lines += [f"- `{_esc(c.scope)}`: {_esc(c.reason)}" for c in failed]
    if report.findings:
        top = sorted(report.findings, key=lambda f: -f.severity)[:TOP]
        lines += [
            "",
            f"<details><summary>Top {len(top)} findings</summary>",
            "",
            "| severity | check | provider | resource | traffic | peers |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [_row(f) for f in top]
        if len(report.findings) > TOP:
            lines.append(f"\n… and {len(report.findings) - TOP} more.")
        lines += ["", "</details>"]
    lines += ["", f"<sub>cloudfw {report.tool_version}</sub>"]
    return "\n".join(lines) + "\n"

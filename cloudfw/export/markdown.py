"""A short Markdown summary for pull-request comments: counts, coverage gaps, the worst findings."""

from __future__ import annotations

from collections import Counter

from cloudfw.model import Finding
from cloudfw.model.report import Report

TOP = 10


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _resource(f: Finding) -> str:
    a = f.asset
    if len(a.resource_id) > 24:  # ARM ids, GCP paths: the name is what people recognise
        return a.name or a.resource_id.rsplit("/", 1)[-1]
    return a.label()


def _row(f: Finding) -> str:
    traffic = f"{f.protocol}/{f.ports}" if f.protocol else ""
    return (
        f"| {f.severity.label} | `{_esc(f.check)}` | {f.asset.provider} | "
        f"{_esc(_resource(f))} | {_esc(traffic)} | {_esc(', '.join(f.peers[:3]))} |"
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

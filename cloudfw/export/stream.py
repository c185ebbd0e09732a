"""Reports written as they are read: the JSON report (byte for byte what `render_json` gives)
and JSON Lines, from findings that arrive in the report's order and are never all in memory.

``findings`` is a callable that gives the findings again each time it is called: the JSON
document needs its counts (``summary``) before the findings, so it reads them twice.

JSON Lines (``--format jsonl``, schema ``cloudfw.report/1``): one finding per line, each the
object of the JSON report's ``findings`` array with ``"type": "finding"`` first; then one
``"type": "summary"`` line: the JSON report without its ``findings`` and ``suppressed`` arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from cloudfw.export.json_report import finding_to_dict, report_to_dict
from cloudfw.model import Finding, Severity
from cloudfw.model.report import Report

_OPTS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
_SLOT = "\x00cloudfw-findings\x00"  # where the findings go (a NUL never comes out unescaped)
Findings = Callable[[], Iterable[Finding]]


@dataclass
class Tally:
    """The counts of a report's summary, and the gravest severity seen."""

    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=lambda: {s.label: 0 for s in Severity})
    by_check: Counter[str] = field(default_factory=Counter)
    by_provider: Counter[str] = field(default_factory=Counter)
    gravest: Severity | None = None

    def add(self, f: Finding) -> None:
        self.findings += 1
        self.by_severity[f.severity.label] += 1
        self.by_check[f.base_check] += 1
        self.by_provider[f.asset.provider] += 1
        if self.gravest is None or f.severity > self.gravest:
            self.gravest = f.severity

    def summary(self, report: Report) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "suppressed": len(report.suppressed),
            "by_severity": self.by_severity,
            "by_check": dict(sorted(self.by_check.items())),
            "by_provider": dict(sorted(self.by_provider.items())),
            "rulesets": report.rulesets,
            "rules": report.rules,
        }


def tally(findings: Iterable[Finding]) -> Tally:
    t = Tally()
    for f in findings:
        t.add(f)
    return t


def write_json(report: Report, findings: Findings, out: IO[bytes]) -> Tally:
    """`render_json` of ``report`` with ``findings`` as its findings, written piece by piece."""
    counts = tally(findings())
    doc = report_to_dict(report)
    doc["summary"] = counts.summary(report)
    doc["findings"] = _SLOT
    head, tail = orjson.dumps(doc, option=_OPTS).split(orjson.dumps(_SLOT), 1)
    out.write(head)
    if not counts.findings:
        out.write(b"[]")
    else:
        sep = b"[\n    "
        for f in findings():
            out.write(sep)
            out.write(orjson.dumps(finding_to_dict(f), option=_OPTS).replace(b"\n", b"\n    "))
            sep = b",\n    "
        out.write(b"\n  ]")
    out.write(tail + b"\n")
    return counts


def write_jsonl(report: Report, findings: Iterable[Finding], out: IO[bytes]) -> Tally:
    """One line per finding as it comes, then the summary line."""
    counts = Tally()
    for f in findings:
        counts.add(f)
        out.write(orjson.dumps({"type": "finding", **finding_to_dict(f)}) + b"\n")
    doc = report_to_dict(report)
    doc["summary"] = counts.summary(report)
    del doc["findings"], doc["suppressed"]
    out.write(orjson.dumps({"type": "summary", **doc}, option=orjson.OPT_NON_STR_KEYS) + b"\n")
    return counts


STREAMED = ("json", "jsonl")

__all__ = ["STREAMED", "Tally", "tally", "write_json", "write_jsonl"]

"""The result of one audit run: findings plus what was (not) seen. Exporters render this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cloudfw.model.finding import Finding, Severity
from cloudfw.model.snapshot import Coverage


@dataclass(frozen=True, slots=True)
class Report:
    """``findings`` excludes suppressed ones; those are in ``suppressed`` for the record."""

    findings: tuple[Finding, ...]
    coverage: tuple[Coverage, ...]
    generated_at: datetime
    tool_version: str
    snapshot_digest: str = ""
    baseline: str = ""
    suppressed: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()
    rulesets: int = 0
    rules: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return all(c.ok for c in self.coverage)

    def at_or_above(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= severity)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.label] += 1
        return out


def report_order(f: Finding) -> tuple[int, str, str, str, str, str]:
    """The order of a report's findings: gravest first, then check, resource and rules. Total,
    so that neither snapshot order nor sharding changes a report."""
    return (-int(f.severity), f.check, f.asset.uid, ",".join(f.rule_keys), f.direction, f.message)

"""Audit orchestration: snapshot -> checks + baseline drift -> exceptions -> Report. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cloudfw import __version__
from cloudfw.baseline import apply_exceptions, drift_findings
from cloudfw.checks import run_checks
from cloudfw.model import Finding, Snapshot
from cloudfw.model.report import Report
from cloudfw.policy.baseline import Baseline
from cloudfw.policy.catalog import ServiceCatalog
from cloudfw.policy.config import PolicyConfig
from cloudfw.snapshotio import digest


@dataclass(frozen=True)
class AuditRequest:
    snapshot: Snapshot
    policy: PolicyConfig
    catalog: ServiceCatalog
    now: datetime
    baseline: Baseline | None = None
    extra_findings: tuple[Finding, ...] = ()


def _order(f: Finding) -> tuple[int, str, str, str]:
    return (-int(f.severity), f.check, f.asset.uid, ",".join(f.rule_keys))


def run_audit(req: AuditRequest) -> Report:
    snap = req.snapshot
    findings = run_checks(snap, req.policy, req.catalog)
    if req.baseline is not None:
        findings.extend(drift_findings(snap, req.baseline))
    findings.extend(req.extra_findings)
    suppressed: list[Finding] = []
    if req.baseline is not None:
        today: date = req.now.date()
        findings, suppressed = apply_exceptions(findings, req.baseline, today)
    return Report(
        findings=tuple(sorted(findings, key=_order)),
        coverage=snap.coverage,
        generated_at=req.now,
        tool_version=__version__,
        snapshot_digest=digest(snap),
        baseline=req.baseline.path if req.baseline is not None else "",
        suppressed=tuple(sorted(suppressed, key=_order)),
        warnings=snap.warnings,
        rulesets=len(snap.rulesets),
        rules=sum(len(rs.rules) for rs in snap.rulesets),
    )

"""Audit orchestration: snapshot -> checks + baseline drift -> exceptions -> Report. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cloudfw import __version__
from cloudfw.baseline import apply_exceptions, drift_findings
from cloudfw.checks import run_checks
from cloudfw.events.posture import attach_events, event_drift
from cloudfw.exposure.grade import grade_by_exposure
from cloudfw.model import ChangeEvent, Coverage, Finding, Snapshot
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
    events: tuple[ChangeEvent, ...] = ()  # `audit --events`: who changed what
    extra_coverage: tuple[Coverage, ...] = ()  # e.g. event files that could not be read


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per (check, resource, rules, direction) across regions: a GCP VPC rule is
    evaluated in its global and in each regional rule set, and is one problem. The gravest copy
    is kept (a regional rule set may hold the VM that makes it reachable)."""
    seen: set[tuple[str, str, str, str, tuple[str, ...], str]] = set()
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-int(f.severity), f.asset.region != "global")):
        a = f.asset
        key = (f.check, a.provider, a.account, a.resource_id, f.rule_keys, f.direction)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _order(f: Finding) -> tuple[int, str, str, str]:
    return (-int(f.severity), f.check, f.asset.uid, ",".join(f.rule_keys))


def run_audit(req: AuditRequest) -> Report:
    snap = req.snapshot
    findings = run_checks(snap, req.policy, req.catalog)
    findings = grade_by_exposure(findings, snap.rulesets, req.catalog)
    if req.baseline is not None:
        findings.extend(drift_findings(snap, req.baseline))
        if req.events:
            assets = [rs.asset for rs in snap.rulesets]
            findings.extend(event_drift(req.events, req.baseline, assets))
    findings.extend(req.extra_findings)
    off = req.policy.disabled()
    findings = _dedupe([f for f in findings if f.base_check not in off])
    if req.events:
        findings = attach_events(findings, req.events)
    suppressed: list[Finding] = []
    if req.baseline is not None:
        today: date = req.now.date()
        findings, suppressed = apply_exceptions(findings, req.baseline, today)
    return Report(
        findings=tuple(sorted(findings, key=_order)),
        coverage=snap.coverage + req.extra_coverage,
        generated_at=req.now,
        tool_version=__version__,
        snapshot_digest=digest(snap),
        baseline=req.baseline.path if req.baseline is not None else "",
        suppressed=tuple(sorted(suppressed, key=_order)),
        warnings=snap.warnings,
        rulesets=len(snap.rulesets),
        rules=sum(len(rs.rules) for rs in snap.rulesets),
    )

"""Audit orchestration: snapshot -> checks + baseline drift -> exceptions -> Report. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from cloudfw import __version__
from cloudfw.baseline import apply_exceptions
from cloudfw.baseline.drift import gone_findings, partial_drift
from cloudfw.checks import run_checks
from cloudfw.events.posture import attach_events, event_drift
from cloudfw.events.recon import History, detect, link_changes
from cloudfw.exposure.grade import grade_by_exposure
from cloudfw.model import (
    Asset,
    ChangeEvent,
    Coverage,
    EnumerationEvent,
    Finding,
    RuleSet,
    Snapshot,
)
from cloudfw.model.fold import fold
from cloudfw.model.report import Report, report_order
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
    #: `audit --events`: the reads of firewall configuration (firewall-enumeration), and the
    #: scan history's enumeration records to judge first-seen against (None: no history)
    enumerations: tuple[EnumerationEvent, ...] = ()
    enumeration_history: History | None = None


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


@dataclass(frozen=True)
class Partial:
    """What an audit judged about some of a snapshot's rule sets: all of them in a plain run,
    one shard of provider accounts in a sharded one (`cloudfw.sharded`). Partials of disjoint
    shards `merge` into the whole run's."""

    findings: tuple[Finding, ...] = ()
    matched_required: frozenset[int] = frozenset()  # baseline.required entries matched
    rulesets: int = 0
    rules: int = 0
    providers: frozenset[str] = frozenset()
    assets: tuple[Asset, ...] = ()  # kept only for `--events` (event drift looks them up)

    def merge(self, other: Partial) -> Partial:
        return Partial(
            self.findings + other.findings,
            self.matched_required | other.matched_required,
            self.rulesets + other.rulesets,
            self.rules + other.rules,
            self.providers | other.providers,
            self.assets + other.assets,
        )


def partial_audit(
    rulesets: Sequence[RuleSet],
    policy: PolicyConfig,
    catalog: ServiceCatalog,
    baseline: Baseline | None,
    *,
    keep_assets: bool = False,
) -> Partial:
    """Checks, effective-exposure grading and baseline drift of ``rulesets``."""
    snap = Snapshot(tuple(rulesets), (), datetime.min, "")
    findings = run_checks(snap, policy, catalog)
    findings = grade_by_exposure(findings, rulesets, catalog)
    matched: frozenset[int] = frozenset()
    if baseline is not None:
        drift, matched = partial_drift(rulesets, baseline)
        findings.extend(drift)
    return Partial(
        tuple(findings),
        matched,
        len(rulesets),
        sum(len(rs.rules) for rs in rulesets),
        frozenset(rs.asset.provider for rs in rulesets),
        tuple(rs.asset for rs in rulesets) if keep_assets else (),
    )


def run_audit(req: AuditRequest) -> Report:
    snap = req.snapshot
    part = partial_audit(
        snap.rulesets, req.policy, req.catalog, req.baseline, keep_assets=bool(req.events)
    )
    return finish_audit(req, part, digest(snap))


def finish_audit(req: AuditRequest, part: Partial, snapshot_digest: str) -> Report:
    """Everything judged over the whole run: required entries nothing matched, change events,
    disabled checks, duplicates across regions, exceptions. ``req.snapshot`` contributes its
    coverage and warnings (its rule sets are in ``part``)."""
    snap = req.snapshot
    findings = list(part.findings)
    if req.baseline is not None:
        providers = part.providers | {c.provider for c in snap.coverage}
        findings.extend(gone_findings(req.baseline, part.matched_required, providers))
        if req.events:
            findings.extend(event_drift(req.events, req.baseline, part.assets))
    findings.extend(req.extra_findings)
    recon: list[Finding] = []
    if req.enumerations:
        approved = req.baseline.approved_principals if req.baseline is not None else ()
        recon = detect(
            req.enumerations, req.policy.enumeration, req.enumeration_history, approved, req.events
        )
        findings.extend(recon)
    off = req.policy.disabled()
    findings = _dedupe([f for f in findings if f.base_check not in off])
    if req.events:
        findings = attach_events(findings, req.events)
    if recon and "firewall-enumeration" not in off:
        findings = link_changes(findings, recon)
    suppressed: list[Finding] = []
    if req.baseline is not None:
        today: date = req.now.date()
        findings, suppressed = apply_exceptions(findings, req.baseline, today)
    findings = fold(findings)
    return Report(
        findings=tuple(sorted(findings, key=report_order)),
        coverage=snap.coverage + req.extra_coverage,
        generated_at=req.now,
        tool_version=__version__,
        snapshot_digest=snapshot_digest,
        baseline=req.baseline.path if req.baseline is not None else "",
        suppressed=tuple(sorted(suppressed, key=report_order)),
        warnings=snap.warnings,
        rulesets=part.rulesets,
        rules=part.rules,
    )

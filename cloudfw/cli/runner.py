"""Loading policy inputs and running an audit: shared by `audit`, `demo` and `host audit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cloudfw.model import ChangeEvent, Coverage, Finding, Snapshot
from cloudfw.model.report import Report
from cloudfw.policy.baseline import Baseline
from cloudfw.policy.catalog import ServiceCatalog
from cloudfw.policy.config import PolicyConfig


@dataclass(frozen=True)
class LoadedPolicy:
    catalog: ServiceCatalog
    baseline: Baseline | None
    policy: PolicyConfig


def known_check_ids() -> set[str]:
    """Every check id a baseline may name (in exceptions and ``policy.checks``)."""
    from cloudfw.baseline import DRIFT_CHECKS
    from cloudfw.checks import REGISTRY
    from cloudfw.events.posture import UNAPPROVED_PRINCIPAL

    return set(REGISTRY) | set(DRIFT_CHECKS) | {UNAPPROVED_PRINCIPAL.id}


def load_policy(baseline_path: Path | None, catalog_path: Path | None = None) -> LoadedPolicy:
    from cloudfw.checks import validate_policy
    from cloudfw.policy.baseline import load_baseline
    from cloudfw.policy.catalog import load_catalog

    catalog = load_catalog(catalog_path)
    if baseline_path is None:
        return LoadedPolicy(catalog, None, PolicyConfig())
    baseline = load_baseline(
        baseline_path,
        known_checks=known_check_ids(),
        validate_policy=lambda p: validate_policy(p, catalog),
    )
    return LoadedPolicy(catalog, baseline, baseline.policy)


def audit_snapshot(
    snapshot: Snapshot,
    loaded: LoadedPolicy,
    now: datetime,
    extra_findings: tuple[Finding, ...] = (),
    events: tuple[ChangeEvent, ...] = (),
    extra_coverage: tuple[Coverage, ...] = (),
) -> Report:
    from cloudfw.pipeline import AuditRequest, run_audit

    return run_audit(
        AuditRequest(
            snapshot=snapshot,
            policy=loaded.policy,
            catalog=loaded.catalog,
            now=now,
            baseline=loaded.baseline,
            extra_findings=extra_findings,
            events=events,
            extra_coverage=extra_coverage,
        )
    )


def read_change_events(paths: list[str]) -> tuple[tuple[ChangeEvent, ...], tuple[Coverage, ...]]:
    """`audit --events`: every change event under ``paths`` (streamed, then kept: a posture
    audit needs them all), and a coverage entry per unreadable input so the run exits 3."""
    from cloudfw.cli.events import build_units, check_paths, report_stats
    from cloudfw.events import EventReader, ReadOptions
    from cloudfw.model import CoverageStatus

    check_paths(paths)
    reader = EventReader(ReadOptions())
    events = tuple(reader.read(build_units(paths, None, None)))
    report_stats(reader.stats)
    coverage = tuple(
        Coverage("events", f"events:{p.location}", CoverageStatus.ERROR, p.message)
        for p in reader.stats.problems
    )
    if not reader.stats.complete and not coverage:
        coverage = (Coverage("events", "events", CoverageStatus.ERROR, reader.stats.summary()),)
    return events, coverage

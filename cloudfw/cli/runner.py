"""Loading policy inputs and running an audit: shared by `audit`, `demo` and `host audit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cloudfw.model import ChangeEvent, Coverage, EnumerationEvent, Finding, Snapshot
from cloudfw.model.report import Report

if TYPE_CHECKING:  # loaded when a command runs, not for `--help`
    from cloudfw.events.recon import History
    from cloudfw.executor import Executor
    from cloudfw.pipeline import AuditRequest
    from cloudfw.policy.baseline import Baseline
    from cloudfw.policy.catalog import ServiceCatalog
    from cloudfw.policy.config import PolicyConfig
    from cloudfw.store import RuleRow


@dataclass(frozen=True)
class Reads:
    """`audit --events`: the enumeration records read, and the scan history to judge them by."""

    events: tuple[EnumerationEvent, ...] = ()
    history: History | None = None


NO_READS = Reads()


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
    from cloudfw.events.recon import CHECK_ID

    return set(REGISTRY) | set(DRIFT_CHECKS) | {UNAPPROVED_PRINCIPAL.id, CHECK_ID}


def load_policy(baseline_path: Path | None, catalog_path: Path | None = None) -> LoadedPolicy:
    from cloudfw.checks import validate_policy
    from cloudfw.cli.common import batch_gc
    from cloudfw.policy.baseline import load_baseline
    from cloudfw.policy.catalog import load_catalog
    from cloudfw.policy.config import PolicyConfig

    catalog = load_catalog(catalog_path)
    if baseline_path is None:
        return LoadedPolicy(catalog, None, PolicyConfig())
    with batch_gc():  # a 200,000-approval baseline is ~2 million acyclic objects
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
    reads: Reads = NO_READS,
) -> Report:
    from cloudfw.pipeline import run_audit

    req = _request(snapshot, loaded, now, extra_findings, events, extra_coverage, reads)
    return run_audit(req)


def _request(
    snapshot: Snapshot,
    loaded: LoadedPolicy,
    now: datetime,
    extra_findings: tuple[Finding, ...],
    events: tuple[ChangeEvent, ...],
    extra_coverage: tuple[Coverage, ...],
    reads: Reads = NO_READS,
) -> AuditRequest:
    from cloudfw.pipeline import AuditRequest

    return AuditRequest(
        snapshot=snapshot,
        policy=loaded.policy,
        catalog=loaded.catalog,
        now=now,
        baseline=loaded.baseline,
        extra_findings=extra_findings,
        events=events,
        extra_coverage=extra_coverage,
        enumerations=reads.events,
        enumeration_history=reads.history,
    )


@dataclass(frozen=True)
class Sharded:
    """`audit_file_sharded`'s outcome: a report (and history rows) from ``jobs`` workers, or why
    the file was not audited that way (``report`` None; ``why`` empty when there is nothing to
    say: not worth it, or an error in the file that the plain reading reports)."""

    report: Report | None
    rows: list[RuleRow]
    jobs: int
    why: str = ""


def audit_file_sharded(
    path: Path,
    jobs: int,
    loaded: LoadedPolicy,
    now: datetime,
    executor: Executor,
    events: tuple[ChangeEvent, ...] = (),
    extra_coverage: tuple[Coverage, ...] = (),
    *,
    keep_rows: bool = False,
    reads: Reads = NO_READS,
) -> Sharded:
    """`audit --snapshot FILE` in shards on ``executor`` (`cloudfw.sharded`), when the file is
    big enough (or ``jobs`` asks) and fits; otherwise the caller audits it plainly."""
    from cloudfw.executor import Work
    from cloudfw.sharded import audit_sharded, plan, shard_jobs

    try:
        size = path.stat().st_size
    except OSError:
        return Sharded(None, [], 1)  # the plain reading reports it
    n = shard_jobs(jobs, executor.slots(Work.CPU), size)
    if n < 2:
        return Sharded(None, [], 1)
    asked = jobs > 1  # say why not only when --jobs asked for workers
    try:
        layout = plan(path, n)
    except (OSError, ValueError) as exc:  # not a regular file (a pipe, say): the plain reading
        return Sharded(None, [], 1, f"cannot split it: {exc}" if asked else "")
    if layout is None:
        why = "not an uncompressed line-layout file of several accounts"
        return Sharded(None, [], 1, why if asked else "")
    req = _request(Snapshot((), (), now, ""), loaded, now, (), events, extra_coverage, reads)
    done = audit_sharded(path, layout, req, executor, keep_rows=keep_rows)
    if isinstance(done, str):
        return Sharded(None, [], len(layout.shards), done)
    return Sharded(done[0], done[1], len(layout.shards))


def read_change_events(
    paths: list[str], history: History | None = None
) -> tuple[tuple[ChangeEvent, ...], tuple[Coverage, ...], Reads]:
    """`audit --events`: every change event and enumeration record under ``paths`` (streamed,
    then kept: a posture audit needs them all), a coverage entry per unreadable input so the
    run exits 3, and the reads with ``history`` for firewall-enumeration."""
    from cloudfw.cli.events import build_units, check_paths, report_stats
    from cloudfw.events import CHANGES, ENUMERATION, EventReader, ReadOptions
    from cloudfw.model import CoverageStatus

    check_paths(paths)
    reader = EventReader(ReadOptions(kinds=frozenset({CHANGES, ENUMERATION})))
    changes: list[ChangeEvent] = []
    enumerations: list[EnumerationEvent] = []
    for ev in reader.read_all(build_units(paths, None, None)):
        if isinstance(ev, ChangeEvent):
            changes.append(ev)
        else:
            enumerations.append(ev)
    events = tuple(changes)
    report_stats(reader.stats)
    coverage = tuple(
        Coverage("events", f"events:{p.location}", CoverageStatus.ERROR, p.message)
        for p in reader.stats.problems
    )
    if not reader.stats.complete and not coverage:
        coverage = (Coverage("events", "events", CoverageStatus.ERROR, reader.stats.summary()),)
    return events, coverage, Reads(tuple(enumerations), history)

"""The host audit: snapshot files and bundles in, a `Report` out. Pure apart from reading the
inputs it is given; the clock is injected.

Hosts are audited one at a time (memory stays flat however many hosts there are): parse each
file, merge the host's parts, run the same checks as the cloud audit (`run_checks`) plus the
host checks. A baseline's drift is computed over all hosts at the end (its ``required`` entries
must see every host), so rule sets are kept only when a baseline is given. A file that cannot be
read becomes a coverage error naming ``file:line``; the other hosts are still audited.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path

from cloudfw import __version__
from cloudfw.baseline import apply_exceptions, drift_findings
from cloudfw.checks import run_checks
from cloudfw.checks.base import Context
from cloudfw.hosts.assemble import HostState, assemble
from cloudfw.hosts.bundle import MANIFEST, HostInput, InputError, iter_inputs
from cloudfw.hosts.errors import HostError
from cloudfw.hosts.parsers import parse_file
from cloudfw.hosts.parsers.base import PROVIDER
from cloudfw.model import CloudfwError, Coverage, CoverageStatus, Finding, RuleSet, Snapshot
from cloudfw.model.fold import fold
from cloudfw.model.report import Report, report_order
from cloudfw.policy.baseline import Baseline
from cloudfw.policy.catalog import ServiceCatalog
from cloudfw.policy.config import PolicyConfig


@dataclass
class HostBatch:
    """The result of reading one input: the hosts it described and how each file went."""

    states: dict[str, HostState] = field(default_factory=dict)
    coverage: list[Coverage] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


def read_input(item: HostInput | InputError, fmt: str | None = None) -> HostBatch:
    """Parse every file of one input. Never raises for bad content: errors go to coverage."""
    batch = HostBatch()
    if isinstance(item, InputError):
        batch.coverage.append(Coverage(PROVIDER, item.location, CoverageStatus.ERROR, item.message))
        return batch
    main = batch.states.setdefault(item.host, HostState(item.host))
    for f in item.files:
        scope = f"{item.host}:{f.location}"
        if f.failed:
            batch.coverage.append(Coverage(PROVIDER, scope, CoverageStatus.ERROR, f.failed))
            continue
        try:
            data = f.load()
            batch.digests.append(f"{f.location}\0{hashlib.sha256(data).hexdigest()}")
            parts = parse_file(data, f.location, item.host, fmt or f.fmt)
        except CloudfwError as exc:
            reason = str(exc) if str(exc).startswith(f.location) else f"{f.location}: {exc}"
            batch.coverage.append(Coverage(PROVIDER, scope, CoverageStatus.ERROR, reason))
            continue
        except OSError as exc:
            why = f"{f.location}: cannot read: {exc.strerror or exc}"
            batch.coverage.append(Coverage(PROVIDER, scope, CoverageStatus.ERROR, why))
            continue
        except (
            RecursionError,
            MemoryError,
            ValueError,
            LookupError,
            TypeError,
            AttributeError,
        ) as exc:
            why = f"{f.location}: cannot parse: {type(exc).__name__}: {exc}"[:500]
            batch.coverage.append(Coverage(PROVIDER, scope, CoverageStatus.ERROR, why))
            continue
        n = 0
        gaps: list[str] = []
        for part in parts:
            st = (
                main
                if part.host == item.host
                else batch.states.setdefault(part.host, HostState(part.host))
            )
            st.add(part)
            n += len(part.rulesets) + len(part.win_rules) + len(part.apps)
            gaps += part.gaps
        if gaps:  # read and used, but what it lacks leaves the host's audit incomplete
            why = f"{f.location}: incomplete: {'; '.join(gaps)}"
            batch.coverage.append(Coverage(PROVIDER, scope, CoverageStatus.ERROR, why, n))
        else:
            batch.coverage.append(Coverage(PROVIDER, scope, CoverageStatus.OK, resources=n))
    if not item.files:
        batch.coverage.append(
            Coverage(PROVIDER, item.origin, CoverageStatus.ERROR, f"{item.origin}: no files")
        )
    return batch


def load_snapshot(paths: list[Path], now: datetime, fmt: str | None = None) -> Snapshot:
    """All hosts under ``paths`` as one `Snapshot` (for `cloudfw host audit --save` and tests)."""
    rulesets: list[RuleSet] = []
    coverage: list[Coverage] = []
    warnings: list[str] = []
    for item in iter_inputs(paths, fmt):
        batch = read_input(item, fmt)
        coverage.extend(batch.coverage)
        for st in batch.states.values():
            rulesets.extend(assemble(st))
            warnings.extend(st.warnings)
    return Snapshot(tuple(rulesets), tuple(coverage), now, __version__, tuple(warnings))


@dataclass(frozen=True)
class HostAuditRequest:
    paths: tuple[Path, ...]
    policy: PolicyConfig
    catalog: ServiceCatalog
    now: datetime
    baseline: Baseline | None = None
    fmt: str | None = None
    workers: int = 1


@dataclass
class _UnitResult:
    findings: list[Finding] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    kept: list[RuleSet] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the hosts audited
    hosts: int = 0
    rulesets: int = 0
    rules: int = 0


def expand(paths: Iterable[Path]) -> list[Path]:
    """Leaf inputs: bundle directories, tar files and loose files (plain directories opened)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir() and not (p / MANIFEST).is_file():
            out.extend(expand(c for c in sorted(p.iterdir()) if not c.name.startswith(".")))
        else:
            out.append(p)
    return out


def _audit_unit(
    path: Path,
    fmt: str | None,
    policy: PolicyConfig,
    catalog: ServiceCatalog,
    now: datetime,
    keep: bool,
    ctx: Context | None = None,
) -> _UnitResult:
    res = _UnitResult()
    for item in iter_inputs([path], fmt):
        batch = read_input(item, fmt)
        res.coverage.extend(batch.coverage)
        res.digests.extend(batch.digests)
        for st in batch.states.values():
            rss = assemble(st)
            res.warnings.extend(st.warnings)
            if not rss:
                if st.parts and all(c.status is CoverageStatus.OK for c in batch.coverage):
                    # every file read, yet none says what the firewall does (interface
                    # inventories only): not audited, and never reported clean
                    why = f"{st.host}: no firewall rule set in its files: the host is not audited"
                    res.coverage.append(Coverage(PROVIDER, st.host, CoverageStatus.ERROR, why))
                continue
            res.hosts += 1
            res.names.append(st.host)
            res.rulesets += len(rss)
            res.rules += sum(len(rs.rules) for rs in rss)
            snap = Snapshot(tuple(rss), (), now, __version__)
            res.findings.extend(run_checks(snap, policy, catalog, ctx=ctx))  # host checks too
            if keep:
                res.kept.extend(rss)
    return res


_JOB: list[Callable[[Path], _UnitResult]] = []  # set before forking workers; inherited


def _run_leaf(path: Path) -> _UnitResult:
    return _JOB[0](path)


def _units(req: HostAuditRequest) -> Iterator[_UnitResult]:
    job = partial(_audit_unit, fmt=req.fmt, policy=req.policy, catalog=req.catalog, now=req.now,
                  keep=req.baseline is not None)  # fmt: skip
    leaves = expand(req.paths)
    if req.workers <= 1 or len(leaves) < 2:
        yield from map(job, leaves)
        return
    # fork: the job (catalog, policy) is inherited, not pickled; only results travel back
    _JOB[:] = [job]
    ctx = multiprocessing.get_context("fork")
    chunk = max(1, min(64, len(leaves) // (4 * req.workers)))
    try:
        with ProcessPoolExecutor(max_workers=req.workers, mp_context=ctx) as pool:
            yield from pool.map(_run_leaf, leaves, chunksize=chunk)
    finally:
        _JOB.clear()


def audit_hosts(req: HostAuditRequest) -> Report:
    total = _UnitResult()
    digest = hashlib.sha256()
    for res in _units(req):
        total.findings.extend(res.findings)
        total.coverage.extend(res.coverage)
        total.warnings.extend(res.warnings)
        total.kept.extend(res.kept)
        total.hosts += res.hosts
        total.rulesets += res.rulesets
        total.rules += res.rules
        for d in res.digests:
            digest.update(d.encode() + b"\n")
    findings = total.findings
    suppressed: list[Finding] = []
    if req.baseline is not None:
        snap = Snapshot(tuple(total.kept), tuple(total.coverage), req.now, __version__)
        off = req.policy.disabled()
        findings.extend(f for f in drift_findings(snap, req.baseline) if f.base_check not in off)
        today: date = req.now.date()
        findings, suppressed = apply_exceptions(findings, req.baseline, today)
    findings = fold(findings)
    return Report(
        findings=tuple(sorted(findings, key=report_order)),
        coverage=tuple(total.coverage),
        generated_at=req.now,
        tool_version=__version__,
        snapshot_digest=digest.hexdigest(),
        baseline=req.baseline.path if req.baseline is not None else "",
        suppressed=tuple(sorted(suppressed, key=report_order)),
        warnings=tuple(total.warnings),
        rulesets=total.rulesets,
        rules=total.rules,
        extra={"hosts": total.hosts},
    )


__all__ = ["HostAuditRequest", "HostBatch", "HostError", "audit_hosts", "expand", "load_snapshot"]

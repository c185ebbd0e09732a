"""The host audit of a fleet in flat memory, on the executor.

The inputs are cut into chunks of a few dozen; each chunk is one unit of CPU work on the
executor (this machine's worker processes, or tasks on a Dask cluster with ``--dask``). A unit
audits its hosts, folds their findings (`fold` merges only findings of one host) and sorts them
(`report_order`); the parent spools each unit's run to disk as it arrives (`Spool`) and merges
the runs back in the report's total order when the report is written. The parent holds the
coverage, warnings and digests (a few lines per host), never the fleet's findings.

Two cases keep the whole audit in memory (`audit_hosts`): a baseline (drift compares every host
with the baseline's ``required`` entries and exceptions apply before folding) and one host named
by several inputs in different chunks (their findings fold together). The report is the same in
every case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from cloudfw import __version__
from cloudfw.checks.base import Context
from cloudfw.executor import Executor, UnitFailure, Work
from cloudfw.hosts.audit import (
    HostAuditRequest,
    _audit_unit,
    _UnitResult,
    audit_hosts,
    expand,
)
from cloudfw.hosts.parsers.base import PROVIDER
from cloudfw.hosts.spool import Spool
from cloudfw.model import Coverage, CoverageStatus, Finding
from cloudfw.model.fold import fold
from cloudfw.model.report import Report, report_order
from cloudfw.policy.catalog import ServiceCatalog
from cloudfw.policy.config import PolicyConfig

MAX_CHUNK = 64


@dataclass(frozen=True)
class Chunk:
    """One unit: a few inputs and what auditing them needs (picklable: it may travel)."""

    paths: tuple[Path, ...]
    fmt: str | None
    policy: PolicyConfig
    catalog: ServiceCatalog
    now: datetime


def audit_chunk(chunk: Chunk) -> _UnitResult:
    """Audit every input of ``chunk``; its findings folded and in `report_order`."""
    total = _UnitResult()
    ctx = Context(chunk.catalog)  # shared by the chunk's hosts (catalog indexes, labels)
    for path in chunk.paths:
        res = _audit_unit(path, chunk.fmt, chunk.policy, chunk.catalog, chunk.now, False, ctx)
        total.findings.extend(res.findings)
        total.coverage.extend(res.coverage)
        total.warnings.extend(res.warnings)
        total.digests.extend(res.digests)
        total.names.extend(res.names)
        total.hosts += res.hosts
        total.rulesets += res.rulesets
        total.rules += res.rules
    total.findings = sorted(fold(total.findings), key=report_order)
    return total


@dataclass
class FleetAudit:
    """A host audit whose findings wait on disk: ``report`` has every field but the findings,
    `findings` gives them in the report's order (as often as needed)."""

    report: Report
    spool: Spool | None = None
    held: tuple[Finding, ...] = ()  # the in-memory case (see the module docstring)
    count: int = 0
    _closed: bool = field(default=False, repr=False)

    def findings(self) -> Iterator[Finding]:
        if self.spool is None:
            return iter(self.held)
        return self.spool.merged()

    def full(self) -> Report:
        """The whole report in memory (for the formats that are not streamed)."""
        return replace(self.report, findings=tuple(self.findings()))

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


def chunks(req: HostAuditRequest, leaves: Sequence[Path], slots: int) -> list[Chunk]:
    size = max(1, min(MAX_CHUNK, len(leaves) // (4 * max(1, slots))))
    return [
        Chunk(tuple(leaves[i : i + size]), req.fmt, req.policy, req.catalog, req.now)
        for i in range(0, len(leaves), size)
    ]


def _results(
    units: list[Chunk], executor: Executor | None
) -> Iterator[tuple[int, _UnitResult | UnitFailure]]:
    if executor is None or len(units) < 2:
        for k, u in enumerate(units):
            yield k, audit_chunk(u)
        return
    yield from executor.submit(audit_chunk, units, Work.CPU).stream()


def audit_fleet(req: HostAuditRequest, executor: Executor | None) -> FleetAudit:
    """`audit_hosts`'s report, its findings spooled. ``executor`` None: in this process."""
    if req.baseline is not None:
        return _held(req)
    leaves = expand(req.paths)
    units = chunks(req, leaves, executor.slots(Work.CPU) if executor is not None else 1)
    spool = Spool()
    small: dict[int, _UnitResult] = {}
    seen: set[str] = set()
    twice = False
    try:
        for k, res in _results(units, executor):
            if isinstance(res, UnitFailure):
                res = _failed(units[k], res)
            spool.add(k, res.findings)
            res.findings = []
            twice = twice or not seen.isdisjoint(res.names)
            seen.update(res.names)
            small[k] = res
    except BaseException:
        spool.close()
        raise
    if twice:  # one host in several chunks: its findings must fold together
        spool.close()
        return _held(req)
    total = _UnitResult()
    digest = hashlib.sha256()
    for k in sorted(small):
        res = small.pop(k)
        total.coverage.extend(res.coverage)
        total.warnings.extend(res.warnings)
        total.hosts += res.hosts
        total.rulesets += res.rulesets
        total.rules += res.rules
        for d in res.digests:
            digest.update(d.encode() + b"\n")
    report = Report(
        findings=(),
        coverage=tuple(total.coverage),
        generated_at=req.now,
        tool_version=__version__,
        snapshot_digest=digest.hexdigest(),
        warnings=tuple(total.warnings),
        rulesets=total.rulesets,
        rules=total.rules,
        extra={"hosts": total.hosts},
    )
    return FleetAudit(report, spool, count=spool.count)


def _held(req: HostAuditRequest) -> FleetAudit:
    full = audit_hosts(req)
    return FleetAudit(replace(full, findings=()), held=full.findings, count=len(full.findings))


def _failed(chunk: Chunk, failure: UnitFailure) -> _UnitResult:
    """A unit no worker could finish: each of its inputs is a coverage error (never silence)."""
    res = _UnitResult()
    for p in chunk.paths:
        why = f"{p}: not audited: {failure.error or 'the worker was lost'}"
        res.coverage.append(Coverage(PROVIDER, str(p), CoverageStatus.ERROR, why))
    return res


__all__ = ["Chunk", "FleetAudit", "audit_chunk", "audit_fleet"]

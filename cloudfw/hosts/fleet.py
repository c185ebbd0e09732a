"""The host audit of a fleet in flat memory, on the executor.

The inputs are cut into chunks of a few dozen; each chunk is one unit of CPU work on the
executor (this machine's worker processes, or tasks on a Dask cluster with ``--dask``). A chunk
carries what auditing its hosts needs (policy, catalog, the baseline if any), audits its hosts
(`audit_unit`: checks, the hosts' drift, the baseline's exceptions; the baseline's entries
indexed once per chunk), folds their findings (`fold` merges only findings of one host) and
sorts them (`report_order`); the parent spools each chunk's run to disk as it arrives
(`Spool`) and merges the runs back in the report's total order when the report is written.
The parent holds the coverage, warnings, digests and suppressed findings (a few lines per
host), never the fleet's findings. With a baseline, the required entries no chunk's hosts
matched are judged last (`gone`), one more sorted run.

One case keeps the whole audit in memory: a host named by several inputs in different chunks
(its findings fold together), or a gone entry's finding that would fold with a chunk's. The
chunks then run again, their findings unfolded, and the parent folds them all. The report is
the same in every case, and the same as `audit_hosts`'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from cloudfw.baseline.drift import DriftIndex
from cloudfw.checks.base import Context
from cloudfw.executor import Executor, UnitFailure, Work
from cloudfw.hosts.audit import (
    HostAuditRequest,
    UnitResult,
    audit_unit,
    expand,
    gone,
    held_report,
    make_report,
    providers,
)
from cloudfw.hosts.parsers.base import PROVIDER
from cloudfw.hosts.spool import Spool
from cloudfw.model import Coverage, CoverageStatus, Finding
from cloudfw.model.fold import fold, fold_key
from cloudfw.model.report import Report, report_order
from cloudfw.policy.baseline import Baseline
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
    baseline: Baseline | None = None
    folded: bool = True  # findings folded and sorted (False: as audited, the parent folds)


def audit_chunk(chunk: Chunk) -> UnitResult:
    """Audit every input of ``chunk``; its findings (and suppressed ones) in `report_order`,
    folded unless the chunk says not to."""
    total = UnitResult()
    ctx = Context(chunk.catalog)  # shared by the chunk's hosts (catalog indexes, labels)
    drift = DriftIndex(chunk.baseline) if chunk.baseline is not None else None
    for path in chunk.paths:
        total.add(audit_unit(path, chunk.fmt, chunk.policy, chunk.catalog, chunk.now, drift, ctx))
    if chunk.folded:
        total.findings = sorted(fold(total.findings), key=report_order)
        total.suppressed.sort(key=report_order)
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


def chunks(
    req: HostAuditRequest, leaves: Sequence[Path], slots: int, folded: bool = True
) -> list[Chunk]:
    size = max(1, min(MAX_CHUNK, len(leaves) // (4 * max(1, slots))))
    needs = (req.fmt, req.policy, req.catalog, req.now, req.baseline, folded)
    return [Chunk(tuple(leaves[i : i + size]), *needs) for i in range(0, len(leaves), size)]


def _results(units: list[Chunk], executor: Executor | None) -> Iterator[tuple[int, UnitResult]]:
    """Each chunk's result as it finishes; a chunk no worker could finish becomes coverage."""
    if executor is None or len(units) < 2:
        for k, u in enumerate(units):
            yield k, audit_chunk(u)
        return
    for k, res in executor.submit(audit_chunk, units, Work.CPU).stream():
        yield k, _failed(units[k], res) if isinstance(res, UnitFailure) else res


def audit_fleet(req: HostAuditRequest, executor: Executor | None) -> FleetAudit:
    """`audit_hosts`'s report, its findings spooled. ``executor`` None: in this process."""
    leaves = expand(req.paths)
    slots = executor.slots(Work.CPU) if executor is not None else 1
    units = chunks(req, leaves, slots)
    spool = Spool()
    small: dict[int, UnitResult] = {}
    seen: set[str] = set()
    twice = False
    try:
        for k, res in _results(units, executor):
            spool.add(k, res.findings)
            res.findings = []
            twice = twice or not seen.isdisjoint(res.names)
            seen.update(res.names)
            small[k] = res
    except BaseException:
        spool.close()
        raise
    total = UnitResult()
    for k in sorted(small):
        total.add(small.pop(k))
    kept, suppressed = gone(req, total.matched, providers(total))
    if twice or not total.revoked.isdisjoint(fold_key(f) for f in kept):
        spool.close()  # findings of one host (or one rule) in several runs: fold them together
        return _held(req, executor, chunks(req, leaves, slots, folded=False))
    spool.add(len(units), sorted(fold(kept), key=report_order))  # folds with no chunk's (above)
    report = make_report(req, total, (), sorted(total.suppressed + suppressed, key=report_order))
    return FleetAudit(report, spool, count=spool.count)


def _held(req: HostAuditRequest, executor: Executor | None, units: list[Chunk]) -> FleetAudit:
    results = dict(_results(units, executor))
    total = UnitResult()
    for k in range(len(units)):
        total.add(results.pop(k))
    full = held_report(req, total)
    return FleetAudit(replace(full, findings=()), held=full.findings, count=len(full.findings))


def _failed(chunk: Chunk, failure: UnitFailure) -> UnitResult:
    """A unit no worker could finish: each of its inputs is a coverage error (never silence)."""
    res = UnitResult()
    for p in chunk.paths:
        why = f"{p}: not audited: {failure.error or 'the worker was lost'}"
        res.coverage.append(Coverage(PROVIDER, str(p), CoverageStatus.ERROR, why))
    return res


__all__ = ["Chunk", "FleetAudit", "audit_chunk", "audit_fleet"]

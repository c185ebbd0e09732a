"""The host audit: snapshot files and bundles in, a `Report` out. Pure apart from reading the
inputs it is given; the clock is injected.

Hosts are audited one at a time (no rule set is kept once its host is audited): parse each
file, merge the host's parts, run the same checks as the cloud audit (`run_checks`) plus the
host checks and, given a baseline, the host's drift (`DriftIndex`) and the exceptions. Only
the baseline's ``required`` entries that matched no host at all (`gone`) wait for the end: a
unit says which entries its hosts matched. A file that cannot be read becomes a coverage error
naming ``file:line``; the other hosts are still audited.

`audit_hosts` is the whole audit in this process, in memory; `cloudfw.hosts.fleet` runs the
same units on the executor and keeps the findings on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cloudfw import __version__
from cloudfw.baseline import apply_exceptions
from cloudfw.baseline.drift import DriftIndex, gone_findings
from cloudfw.baseline.meta import REVOKED
from cloudfw.checks import run_checks
from cloudfw.checks.base import Context
from cloudfw.hosts.assemble import HostState, assemble
from cloudfw.hosts.bundle import MANIFEST, HostInput, InputError, iter_inputs
from cloudfw.hosts.errors import HostError
from cloudfw.hosts.parsers import parse_file
from cloudfw.hosts.parsers.base import PROVIDER
from cloudfw.model import CloudfwError, Coverage, CoverageStatus, Finding, RuleSet, Snapshot
from cloudfw.model.fold import FoldKey, fold, fold_key
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


@dataclass
class UnitResult:
    """What auditing some inputs gave: findings (baseline exceptions applied, not folded unless
    the unit says so), and what the report and the baseline's end need of them."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)  # muted by a baseline exception
    coverage: list[Coverage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the hosts audited
    hosts: int = 0
    rulesets: int = 0
    rules: int = 0
    matched: set[int] = field(default_factory=set)  # baseline.required entries a host matched
    providers: set[str] = field(default_factory=set)  # of the rule sets audited
    revoked: set[FoldKey] = field(default_factory=set)  # fold keys of the revoked findings kept

    def add(self, other: UnitResult) -> None:
        """Append ``other`` (the next unit in input order) to this one."""
        self.findings.extend(other.findings)
        self.suppressed.extend(other.suppressed)
        self.coverage.extend(other.coverage)
        self.warnings.extend(other.warnings)
        self.digests.extend(other.digests)
        self.names.extend(other.names)
        self.hosts += other.hosts
        self.rulesets += other.rulesets
        self.rules += other.rules
        self.matched |= other.matched
        self.providers |= other.providers
        self.revoked |= other.revoked


def expand(paths: Iterable[Path]) -> list[Path]:
    """Leaf inputs: bundle directories, tar files and loose files (plain directories opened)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir() and not (p / MANIFEST).is_file():
            out.extend(expand(c for c in sorted(p.iterdir()) if not c.name.startswith(".")))
        else:
            out.append(p)
    return out


def audit_unit(
    path: Path,
    fmt: str | None,
    policy: PolicyConfig,
    catalog: ServiceCatalog,
    now: datetime,
    drift: DriftIndex | None,
    ctx: Context | None = None,
) -> UnitResult:
    """Audit the hosts of one input (findings not folded); ``drift``: the baseline's, if any."""
    res = UnitResult()
    off = policy.disabled()
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
            if drift is not None:
                found, matched = drift.partial(rss)
                res.findings.extend(f for f in found if f.base_check not in off)
                res.matched |= matched
                res.providers.update(rs.asset.provider for rs in rss)
    if drift is not None:
        res.findings, res.suppressed = apply_exceptions(res.findings, drift.baseline, now.date())
        res.revoked = {
            k for f in res.findings if f.base_check == REVOKED.id and (k := fold_key(f)) is not None
        }
    return res


def gone(
    req: HostAuditRequest, matched: Collection[int], providers: Collection[str]
) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): the revoked findings of the baseline's required entries that no
    audited rule set matched (none without a baseline)."""
    if req.baseline is None:
        return [], []
    off = req.policy.disabled()
    found = [f for f in gone_findings(req.baseline, matched, providers) if f.base_check not in off]
    return apply_exceptions(found, req.baseline, req.now.date())


def providers(total: UnitResult) -> frozenset[str]:
    """The providers the audit collected (`providers_of` a snapshot of every unit)."""
    return frozenset(total.providers) | {c.provider for c in total.coverage}


def held_report(req: HostAuditRequest, total: UnitResult) -> Report:
    """The report of every unit, merged in input order, their findings not yet folded."""
    kept, suppressed = gone(req, total.matched, providers(total))
    findings = sorted(fold(total.findings + kept), key=report_order)
    return make_report(
        req, total, findings, sorted(total.suppressed + suppressed, key=report_order)
    )


def make_report(
    req: HostAuditRequest,
    total: UnitResult,
    findings: Sequence[Finding],
    suppressed: Sequence[Finding],
) -> Report:
    digest = hashlib.sha256()
    for d in total.digests:
        digest.update(d.encode() + b"\n")
    return Report(
        findings=tuple(findings),
        coverage=tuple(total.coverage),
        generated_at=req.now,
        tool_version=__version__,
        snapshot_digest=digest.hexdigest(),
        baseline=req.baseline.path if req.baseline is not None else "",
        suppressed=tuple(suppressed),
        warnings=tuple(total.warnings),
        rulesets=total.rulesets,
        rules=total.rules,
        extra={"hosts": total.hosts},
    )


def audit_hosts(req: HostAuditRequest) -> Report:
    """The whole audit in this process, every finding in memory."""
    total = UnitResult()
    drift = DriftIndex(req.baseline) if req.baseline is not None else None
    for path in expand(req.paths):
        total.add(audit_unit(path, req.fmt, req.policy, req.catalog, req.now, drift))
    return held_report(req, total)


__all__ = [
    "HostAuditRequest",
    "HostBatch",
    "HostError",
    "UnitResult",
    "audit_hosts",
    "audit_unit",
    "expand",
    "gone",
    "held_report",
    "load_snapshot",
    "make_report",
]

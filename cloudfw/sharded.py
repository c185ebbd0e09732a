"""Audit one large snapshot file in worker processes, sharded by provider account.

Every join between rule sets that an audit makes stays inside one (provider, account): an
interface's security groups, its subnet's NACL, a DNAT gateway and the addresses it publishes,
a flow-log scope. So a shard of whole accounts can be decoded and judged on its own: each worker
decodes its part of the file and runs the ordinary `partial_audit` on it, and the parent merges
the partials and finishes the run (`finish_audit`), hashing the snapshot digest while the workers
decode. Host firewalls join cloud interfaces by instance id or address, across accounts: every
worker also reads the other shards' host firewalls, and when one stands in front of its own
instances the file is audited in one process (so that the host's findings are graded on them).

The line layout keeps one account's rule sets on adjacent lines (files are sorted by asset
identity), so shards are byte ranges of about equal size, each cut moved to the next account
boundary. Workers check what the plan assumed: every line canonical JSON, accounts not split
between shards, lines in digest order, log scopes in their own account. When anything does not
hold (or the file is compressed, or not in the line layout, or a line does not decode) the file
is audited the plain way instead, which also names any error exactly.

Each shard is one unit of `cloudfw.executor`: a worker process of this machine, or a task on a
Dask cluster (``--dask``), which then reads the file at the same path (a shared filesystem). A
shard whose worker fails (dies, is lost for good, cannot read the file) sends the whole file to
the plain reading, saying why: the report is never missing a shard.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

import orjson

from cloudfw.executor import Executor, UnitFailure, Work
from cloudfw.exposure.paths import host_join_keys
from cloudfw.model import RuleSet, Snapshot
from cloudfw.model.encode import asset_order
from cloudfw.model.report import Report
from cloudfw.model.serde import DecodeError, ruleset_from_dict, snapshot_from_dict
from cloudfw.pipeline import AuditRequest, Partial, finish_audit, partial_audit
from cloudfw.snaplines import LineDecoder
from cloudfw.snapshotio import TAIL, Key, NotLineLayout, canonical, lines_digest, read_header
from cloudfw.store.scans import RuleRow, rule_rows

# The start of every rule-set line `encode_snapshot` writes (canonical JSON: sorted keys), up to
# the asset's provider: its account and provider are right there.
_STR = rb'"(?:[^"\\]|\\.)*"'
_DOMAIN = re.compile(
    rb'\{"asset":\{"account":(' + _STR + rb")"
    rb'(?:,"name":' + _STR + rb")?"
    rb'(?:,"parent":' + _STR + rb")?"
    rb',"provider":(' + _STR + rb")"
)
_HOST_HINT = b'"resource_type":"host"'  # a cheap pre-filter; decoding decides
MIN_SHARD_BYTES = 32 * 1024**2  # smaller files are audited faster in one process

Span = tuple[int, int]  # a byte range of the file: [start, end)


@dataclass(frozen=True)
class Plan:
    """Each shard's byte range of rule-set lines (in file order; the last one ends just before
    the closing line), and the lines that may be host firewalls (read by every shard)."""

    shards: tuple[Span, ...]
    hosts: tuple[Span, ...]


def plan(path: Path, jobs: int) -> Plan | None:
    """Cut the file into at most ``jobs`` shards of whole accounts, or None when it is not an
    uncompressed line-layout file or holds one account only (nothing to share out)."""
    if path.suffix == ".gz" or path.stat().st_size == 0:
        return None
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _plan(data, jobs)


def _plan(data: mmap.mmap, jobs: int) -> Plan | None:
    start = data.find(b"\n") + 1
    end = len(data) - len(TAIL) - 1
    if start <= 0 or end <= start or data[end - 1 : end + len(TAIL) + 1] != b"\n" + TAIL + b"\n":
        return None
    cuts = [start]
    for k in range(1, jobs):
        cut = _account_boundary(data, max(cuts[-1], start + (end - start) * k // jobs), end)
        if cut is None:
            return None
        if cuts[-1] < cut < end:
            cuts.append(cut)
    cuts.append(end)
    if len(cuts) < 3:
        return None
    return Plan(tuple(pairwise(cuts)), _host_lines(data, start, end))


def _account_boundary(data: mmap.mmap, at: int, end: int) -> int | None:
    """The start of the first line at or after ``at`` whose account differs from the line
    before it (``end`` when there is none); None when a line is not as the writer makes it."""
    pos = data.rfind(b"\n", 0, at) + 1
    first = _DOMAIN.match(data, pos)
    if first is None:
        return None
    if pos <= data.find(b"\n") + 1:  # the first rule-set line: a boundary already
        return pos
    while pos < end:
        m = _DOMAIN.match(data, pos)
        if m is None:
            return None
        if (m[1], m[2]) != (first[1], first[2]):
            return pos
        nxt = data.find(b"\n", pos)
        if nxt < 0:
            return None
        pos = nxt + 1
    return end


def _host_lines(data: mmap.mmap, start: int, end: int) -> tuple[Span, ...]:
    spans: list[Span] = []
    pos = data.find(_HOST_HINT, start, end)
    while pos >= 0:
        line = data.rfind(b"\n", 0, pos) + 1
        stop = data.find(b"\n", pos)
        stop = end if stop < 0 else stop
        spans.append((line, stop))
        pos = data.find(_HOST_HINT, stop, end)
    return tuple(spans)


@dataclass(frozen=True)
class ShardUnit:
    """One shard to audit: picklable, so that it runs in a worker process or a Dask task."""

    path: Path  # read by the worker itself (with --dask: the same path on a shared filesystem)
    plan: Plan
    k: int
    request: AuditRequest
    keep_rows: bool  # the scan history stores every rule's content hash


@dataclass(frozen=True)
class _Done:
    partial: Partial
    rows: list[RuleRow]
    accounts: frozenset[tuple[str, str]]
    first: Key | None  # the shard's first and last rule set in digest order (None: empty)
    last: Key | None


@dataclass(frozen=True)
class _Unfit:
    """The shard met something the plain reading must handle: a file that breaks the plan
    (``why`` says how), or an error in it (``why`` empty: the plain reading reports it)."""

    why: str


def _lines(f: BinaryIO, span: Span, last: bool) -> Iterator[bytes]:
    """The rule-set lines of ``span`` without their commas, streamed; raises _UnfitError when
    the commas are not where the layout puts them (on every line but the very last one)."""
    f.seek(span[0])
    remaining = span[1] - span[0]
    while remaining > 0:
        line = f.readline()
        remaining -= len(line)
        if line[-1:] != b"\n" or remaining < 0:
            raise _UnfitError("a shard does not end at a line end")
        comma = line[-2:-1] == b","
        if comma == (last and remaining == 0):
            raise _UnfitError("commas not where the line layout puts them")
        yield line[:-2] if comma else line[:-1]


class _UnfitError(Exception):
    pass


def audit_shard(job: ShardUnit) -> _Done | _Unfit:
    """Decode and judge shard ``job.k`` of the file (the executor's unit function)."""
    k = job.k
    spans = job.plan.shards
    owned: list[RuleSet] = []
    context: list[RuleSet] = []
    accounts: set[tuple[str, str]] = set()
    order: list[Key] = []
    decoder = LineDecoder()
    try:
        with job.path.open("rb") as f:
            for body in _lines(f, spans[k], k == len(spans) - 1):
                rs = decoder.decode(body)  # None unless canonical and of the common shapes
                if rs is None:
                    d = orjson.loads(body)
                    if canonical(d) != body:  # canonical lines are the digest's bytes
                        return _Unfit("a line is not canonical JSON")
                    rs = ruleset_from_dict(d, "$.rulesets[?]")
                a, scope = rs.asset, rs.log_scope
                if scope is not None and (scope.provider, scope.account) != (a.provider, a.account):
                    return _Unfit(f"{a.uid}: log scope in another account")
                owned.append(rs)
                accounts.add((a.provider, a.account))
                order.append(asset_order(a))
            mine = spans[k]
            for span in job.plan.hosts:
                if not mine[0] <= span[0] < mine[1]:
                    f.seek(span[0])
                    body = f.read(span[1] - span[0]).rstrip(b",")
                    context.append(ruleset_from_dict(orjson.loads(body), "$.rulesets[?]"))
    except (_UnfitError, orjson.JSONDecodeError, DecodeError):
        return _Unfit("")  # an error in the file: the plain reading names it exactly
    except OSError as exc:  # on a cluster: the file is not at this path on the worker
        return _Unfit(f"a worker cannot read the file: {exc.strerror or exc}")
    if any(order[j] > order[j + 1] for j in range(len(order) - 1)):
        return _Unfit("lines not in digest order")
    if context and host_join_keys(context)[0] & host_join_keys(owned)[1]:
        # its findings are graded on this shard's paths, and its own shard cannot see them
        return _Unfit("a host firewall stands in front of another shard's instances")
    req = job.request
    part = partial_audit(owned, req.policy, req.catalog, req.baseline, keep_assets=bool(req.events))
    rows = list(rule_rows(owned)) if job.keep_rows else []
    ends = (order[0], order[-1]) if order else (None, None)
    return _Done(part, rows, frozenset(accounts), *ends)


def audit_sharded(
    path: Path,
    plan_: Plan,
    request: AuditRequest,
    executor: Executor,
    *,
    keep_rows: bool = False,
) -> tuple[Report, list[RuleRow]] | str:
    """Audit the snapshot file ``path`` as ``request`` asks (its snapshot is ignored: the file's
    header stands in for it), one unit per shard on ``executor``: the report, and with
    ``keep_rows`` every rule's history row. When the file must be read plainly instead, why
    (empty: an error the plain reading reports)."""
    with path.open("rb") as f:
        head = read_header(f)
    if head is None:
        return ""
    try:
        header = snapshot_from_dict(head)
    except DecodeError:
        return ""  # the plain reading reports it, naming the file
    units = [ShardUnit(path, plan_, k, request, keep_rows) for k in range(len(plan_.shards))]
    batch = executor.submit(audit_shard, units, Work.CPU)
    try:
        digest = lines_digest(path, head)  # while the workers decode; valid once they checked
    except NotLineLayout:
        digest = ""
    results = batch.results()
    return _merge(results, header, request, digest) if digest else ""


def _merge(
    results: Sequence[_Done | _Unfit | UnitFailure],
    header: Snapshot,
    request: AuditRequest,
    digest: str,
) -> tuple[Report, list[RuleRow]] | str:
    merged, rows = Partial(), []
    seen: set[tuple[str, str]] = set()
    last: Key | None = None
    for got in results:
        if isinstance(got, UnitFailure):
            return f"a worker failed ({got.error})"
        if isinstance(got, _Unfit):
            return got.why
        if seen & got.accounts:
            return "an account's rule sets are not on adjacent lines"
        if got.first is not None:
            if last is not None and got.first < last:
                return "lines not in digest order"
            last = got.last
        seen |= got.accounts
        merged = merged.merge(got.partial)
        rows.extend(got.rows)
    return finish_audit(replace(request, snapshot=header), merged, digest), rows


def shard_jobs(requested: int, slots: int, size: int) -> int:
    """How many shards to cut: ``requested`` when given (1 = none), otherwise one per slot of
    the executor (local: one per CPU, up to 4) for a file of at least `MIN_SHARD_BYTES`."""
    if requested > 0:
        return requested
    if size < MIN_SHARD_BYTES:
        return 1
    return max(1, slots)


__all__ = ["MIN_SHARD_BYTES", "Plan", "ShardUnit", "audit_shard", "audit_sharded", "plan",
           "shard_jobs"]  # fmt: skip

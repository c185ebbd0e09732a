"""One input's records decoded into *ops*: what the stateful reader must do with each, in order.

Decoding (parsing, format detection, per-cloud normalization) depends on nothing but the input,
so it can run anywhere: in the reading process, or in a worker process or a Dask task (see
`cloudfw.events.fanout`). What depends on every input read so far (de-duplication by event id,
Azure and GCP operations folded across files, the time window and provider filters, the counts)
stays in `cloudfw.events.stream.EventReader`, which applies the ops in input order, so the
events come out the same wherever the decoding ran.

An op is a tuple, first item its tag:

* ``(CHANGE, event, loc, index, record)``: an AWS change event to filter and de-duplicate;
* ``(READ, event)``: an enumeration record to filter and de-duplicate;
* ``(LINE, fields)``: the same, a CloudTrail read already in its jsonl line
  (the fields of a `cloudfw.events.lines.ReadLine`);
* ``(ENTRY, kind, entry, loc, index, record)``: an Azure / GCP record for its provider's folder;
* ``(PROBLEM, problem, unit_failed)``: a record (or the whole input) that could not be read.

``record`` is the raw record, kept for ``ReadOptions.raw_sink`` only (None when decoding away
from the reader: raw records do not travel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from cloudfw.events import aws, azure, gcp, reads
from cloudfw.events.errors import Problem, RecordError
from cloudfw.events.files import (
    DEFAULT_BUFFER_LIMIT,
    READ_ERRORS,
    FileDamage,
    Raw,
    ReadHook,
    Skipped,
    iter_raw,
    open_maybe_gzip,
)
from cloudfw.model import CloudfwError, SourceRef

if TYPE_CHECKING:
    from cloudfw.events.stream import RecordUnit, StreamUnit

CHANGE: Final = 0
READ: Final = 1
ENTRY: Final = 2
PROBLEM: Final = 3
LINE: Final = 4
CHANGES, ENUMERATION = "changes", "enumeration"
RECORD_ERRORS = (CloudfwError, ValueError, TypeError, AttributeError, KeyError)
Op = tuple[Any, ...]


@dataclass(frozen=True)
class DecodeSpec:
    """What decoding needs to know of the read's options (picklable: it travels with units)."""

    kinds: frozenset[str] = frozenset({CHANGES})
    buffer_limit: int = DEFAULT_BUFFER_LIMIT
    keep_raw: bool = False  # put the raw record in the ops (for a raw sink in this process)
    lines: bool = False  # CloudTrail reads as ``LINE`` ops (see `ReadOptions.lines`)


@dataclass(frozen=True)
class Decoded:
    """One input decoded elsewhere: its ops and its record count."""

    ops: list[Op]
    records: int


class Count:
    """Records seen in one input (those the pre-filter skipped included)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class Decoder:
    def __init__(self, spec: DecodeSpec) -> None:
        self.spec = spec
        self._changes = CHANGES in spec.kinds
        self._reads = ENUMERATION in spec.kinds
        self._keep = spec.keep_raw
        self.names = (aws.RELEVANT if self._changes else frozenset()) | (
            reads.AWS_READS if self._reads else frozenset()
        )
        #: CloudTrail reads are decoded field by field (`cloudfw.events.trailread`)
        self.views = reads.AWS_READS if self._reads else frozenset()
        self._hook: Callable[[str], ReadHook] | None = None
        if self._reads:  # msgspec is loaded only by runs that ask for reads
            from cloudfw.events.trailread import TrailEvents, TrailLines

            self._hook = TrailLines if spec.lines else TrailEvents

    def ops(self, unit: StreamUnit | RecordUnit, count: Count) -> Iterator[Op]:
        """The ops of one input, in record order; ``count`` counts its records."""
        from cloudfw.events.stream import RecordUnit

        loc = unit.location
        try:
            if isinstance(unit, RecordUnit):
                for i, rec in enumerate(unit.records):
                    yield from self._record(unit.kind, rec, loc, str(i), count)
                return
            skipped = Skipped()
            try:
                with unit.open() as raw:
                    stream = open_maybe_gzip(raw)
                    limit = self.spec.buffer_limit
                    hook = None if self._hook is None else self._hook(loc)
                    for r in iter_raw(stream, limit, self.names, skipped, self.views, hook):
                        if r.__class__ is Raw:
                            yield from self._record(r.kind, r.data, loc, r.position, count)
                        else:  # a CloudTrail read's op, from the hook
                            count.n += 1
                            yield cast(Op, r)
            finally:
                count.n += skipped.count
        except FileDamage as e:
            yield (PROBLEM, Problem(loc, str(e)), True)
        except (CloudfwError, *READ_ERRORS) as e:
            yield (PROBLEM, Problem(loc, f"{type(e).__name__}: {e}"), True)

    def _record(self, kind: str, rec: Any, loc: str, index: str, count: Count) -> Iterator[Op]:
        count.n += 1
        if kind == "aws" and type(rec) is dict:  # fast path: most CloudTrail records are noise
            name = rec.get("eventName")
            if type(name) is str and name not in self.names and "detail-type" not in rec:
                return
        try:
            if kind == "auto":
                kind = _detect(rec)
                if not kind:
                    raise RecordError("not a CloudTrail, Activity Log or Audit Log record")
            if not isinstance(rec, Mapping) and kind != "lake":
                raise RecordError(f"expected a JSON object, got {type(rec).__name__}")
            if kind in ("aws", "lookup", "lake"):
                if kind == "lookup":
                    rec = aws.from_lookup(rec)
                elif kind == "lake":
                    rec = aws.from_lake_row(rec)
                inner = aws.unwrap(rec)
                if isinstance(inner.get("eventName"), str) and not (
                    self._changes and aws.is_relevant(inner)
                ):
                    if self._reads and reads.is_aws_read(inner):
                        yield (READ, reads.aws_read(inner, SourceRef("record", loc, record=index)))
                    return
                ev = aws.normalize(rec, SourceRef("record", loc, record=index))
                if ev is not None:
                    yield (CHANGE, ev, loc, index, rec if self._keep else None)
            elif kind in ("azure", "gcp"):
                yield from self._folded(kind, rec, loc, index)
        except RECORD_ERRORS as e:
            yield (PROBLEM, Problem(loc, str(e) or type(e).__name__, index), False)

    def _folded(self, kind: str, rec: Any, loc: str, index: str) -> Iterator[Op]:
        """An Activity Log or Audit Log record: a read, or part of an operation that its
        provider's folder turns into change events once the operation's records are in."""
        read: Any
        parse: Any
        if kind == "azure":
            read, parse = reads.azure_read, azure.parse
        else:
            read, parse = reads.gcp_read, gcp.parse
        if self._reads:
            r = read(rec, SourceRef("record", loc, record=index))
            if r is not None:
                yield (READ, r)
                return
        if not self._changes:
            return
        entry = parse(rec)
        if entry is not None:
            yield (ENTRY, kind, entry, loc, index, rec if self._keep else None)


def _detect(rec: Any) -> str:
    if isinstance(rec, list):
        return "lake"
    if not isinstance(rec, Mapping):
        return ""
    if "CloudTrailEvent" in rec:
        return "lookup"
    if "protoPayload" in rec or "logName" in rec or "proto_payload" in rec:
        return "gcp"
    if any(k in rec for k in ("operationName", "operation_name", "correlationId", "resultType")):
        return "azure"
    if any(k in rec for k in ("eventVersion", "eventName", "eventSource", "detail-type")):
        return "aws"
    if "userIdentity" in rec or "awsRegion" in rec:
        return "aws"
    return ""

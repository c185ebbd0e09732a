"""Turn inputs (files, directory trees, remote streams, API record iterators) into ChangeEvents.

Everything streams: records are normalized one at a time; Azure and GCP operations are folded
with only the still-open operations in memory; duplicates (the same CloudTrail event delivered by
an organization trail and an account trail) are dropped by event id. Damaged inputs and records
never stop the read: they are counted and located in :class:`ReadStats`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from cloudfw.events import aws, azure, gcp, reads
from cloudfw.events.errors import EventsError, Problem, RecordError
from cloudfw.events.files import DEFAULT_BUFFER_LIMIT, READ_ERRORS, FileDamage, Skipped, iter_raw
from cloudfw.events.files import open_maybe_gzip as open_maybe_gzip
from cloudfw.model import ChangeEvent, CloudfwError, EnumerationEvent, SourceRef

if TYPE_CHECKING:
    from cloudfw.events.trailread import AwsRead

SKIP_DIRS = frozenset({"CloudTrail-Digest", "CloudTrail-Insight", "CloudTrail-Insights"})
SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log")
MAX_KEPT_PROBLEMS = 1000
#: what `cloudfw events --kind` may ask for: firewall changes, firewall reads, or both
CHANGES, ENUMERATION = "changes", "enumeration"
Event = ChangeEvent | EnumerationEvent
RECORD_ERRORS = (CloudfwError, ValueError, TypeError, AttributeError, KeyError)


@dataclass(frozen=True, slots=True)
class StreamUnit:
    """One input to open: a local file or a remote object."""

    location: str
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True, slots=True)
class RecordUnit:
    """Records that arrive already parsed (an API), all of one ``kind``."""

    location: str
    records: Iterable[Mapping[str, Any]]
    kind: str = "auto"


@dataclass(frozen=True, slots=True)
class UnitGroup:
    """A source that expands into units lazily (a directory, an S3 prefix, an API). If the
    expansion fails part-way, the failure is recorded against ``location`` and the read goes on
    with the next source."""

    location: str
    expand: Callable[[], Iterable[StreamUnit | RecordUnit]]


Unit = StreamUnit | RecordUnit | UnitGroup


@dataclass
class ReadStats:
    """What a read saw. ``complete`` is False when any input or record could not be used."""

    units: int = 0
    units_failed: int = 0
    records: int = 0
    events: int = 0
    duplicates: int = 0
    outside: int = 0
    enumerations: int = 0
    #: enumeration records were asked for (the summary then counts them)
    reads: bool = False
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        bad_records = self.problem_count - self.units_failed
        reads = f" and {self.enumerations} enumeration record(s)" if self.reads else ""
        return (
            f"read {self.units} input(s), {self.records} record(s); emitted {self.events} "
            f"change event(s){reads}; {self.duplicates} duplicate(s) and {self.outside} outside "
            f"the time window skipped; {self.units_failed} input(s) and {bad_records} record(s) "
            "could not be read"
        )


@dataclass(frozen=True)
class ReadOptions:
    since: datetime | None = None
    until: datetime | None = None
    providers: frozenset[str] = frozenset()
    buffer_limit: int = DEFAULT_BUFFER_LIMIT
    #: CHANGES and/or ENUMERATION: which records become events
    kinds: frozenset[str] = frozenset({CHANGES})
    #: called with every raw record that is a firewall change (for evidence bundles)
    raw_sink: Callable[[SourceRef, Mapping[str, Any]], None] | None = None


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    def open_() -> IO[bytes]:
        return path.open("rb")

    return open_


def local_units(path: str) -> Iterator[StreamUnit]:
    """A file, or every log file under a directory (AWSLogs/... trees included; digest and
    insight folders skipped), in a stable order."""
    p = Path(path)
    if p.is_file():
        yield StreamUnit(str(p), _opener(p))
        return
    if not p.is_dir():
        raise EventsError(f"{path}: no such file or directory")
    for root, dirs, files in os.walk(p):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                fp = Path(root, name)
                yield StreamUnit(str(fp), _opener(fp))


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


class EventReader:
    """Reads units into events. Use :func:`read_events` unless you need the stats live."""

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()
        self.stats = ReadStats()
        self._azure = azure.Folder()
        self._gcp = gcp.Folder()
        self._seen: set[tuple[str, str]] = set()
        #: the enumeration records' event ids, per provider (just the id strings: there may be
        #: hundreds of thousands)
        self._read_ids: dict[str, set[str]] = {}
        kinds = self.options.kinds
        self._changes = CHANGES in kinds
        self._reads = ENUMERATION in kinds
        self.stats.reads = self._reads
        self._names = (aws.RELEVANT if self._changes else frozenset()) | (
            reads.AWS_READS if self._reads else frozenset()
        )
        #: CloudTrail reads are decoded field by field (`cloudfw.events.trailread`)
        self._views = reads.AWS_READS if self._reads else frozenset()
        self._view_type: type | None = None
        if self._reads:
            from cloudfw.events.trailread import AwsRead

            self._view_type = AwsRead

    def read(self, units: Iterable[Unit]) -> Iterator[ChangeEvent]:
        """The change events (enumeration records, if the options ask for them, are read and
        counted but not returned: use :meth:`read_all`)."""
        for ev in self.read_all(units):
            if type(ev) is ChangeEvent:
                yield ev

    def read_all(self, units: Iterable[Unit]) -> Iterator[Event]:
        """Change events and enumeration records, as the options' ``kinds`` ask, in the order
        the inputs hold them (Azure and GCP operations when they complete)."""
        for unit in units:
            if isinstance(unit, UnitGroup):
                yield from self._group(unit)
            else:
                yield from self._unit(unit)
        for ev in (*self._azure.flush(), *self._gcp.flush()):
            yield from self._emit(ev)

    def _group(self, group: UnitGroup) -> Iterator[Event]:
        try:
            it = iter(group.expand())
            while True:
                try:
                    unit = next(it)
                except StopIteration:
                    return
                yield from self._unit(unit)
        except (CloudfwError, *READ_ERRORS) as e:  # a listing or paging that failed part-way
            self.stats.units_failed += 1
            msg = str(e)
            loc = str(getattr(e, "location", "") or group.location)
            self.stats.add(Problem(loc, msg.removeprefix(f"{loc}: ")))

    def _unit(self, unit: StreamUnit | RecordUnit) -> Iterator[Event]:
        self.stats.units += 1
        loc = unit.location
        try:
            if isinstance(unit, RecordUnit):
                for i, rec in enumerate(unit.records):
                    yield from self._record(unit.kind, rec, loc, str(i))
                return
            skipped = Skipped()
            try:
                with unit.open() as raw:
                    stream = open_maybe_gzip(raw)
                    limit = self.options.buffer_limit
                    for r in iter_raw(stream, limit, self._names, skipped, self._views):
                        yield from self._record(r.kind, r.data, loc, r.index)
            finally:
                self.stats.records += skipped.count
        except FileDamage as e:
            self.stats.units_failed += 1
            self.stats.add(Problem(loc, str(e)))
        except (CloudfwError, *READ_ERRORS) as e:
            self.stats.units_failed += 1
            self.stats.add(Problem(loc, f"{type(e).__name__}: {e}"))

    def _record(self, kind: str, rec: Any, loc: str, index: str) -> Iterator[Event]:
        self.stats.records += 1
        if rec.__class__ is self._view_type:  # a CloudTrail read, decoded field by field
            try:
                here = SourceRef("record", loc, record=index)
                view = reads.aws_view_read(cast("AwsRead", rec), here)
            except RECORD_ERRORS as e:
                self.stats.add(Problem(loc, str(e) or type(e).__name__, index))
                return
            if view is not None and self._admit_read(view):
                yield view
            return
        if kind == "aws" and type(rec) is dict:  # fast path: most CloudTrail records are noise
            name = rec.get("eventName")
            if type(name) is str and name not in self._names and "detail-type" not in rec:
                return
        try:
            if kind == "auto":
                kind = _detect(rec)
                if not kind:
                    raise RecordError("not a CloudTrail, Activity Log or Audit Log record")
            if not isinstance(rec, Mapping) and kind != "lake":
                raise RecordError(f"expected a JSON object, got {type(rec).__name__}")
            origin = None
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
                        origin = SourceRef("record", loc, record=index)
                        read = reads.aws_read(inner, origin)
                        if self._admit_read(read):
                            yield read
                    return
                origin = SourceRef("record", loc, record=index)
                ev = aws.normalize(rec, origin)
                if ev is not None:
                    for out in self._emit(ev):
                        self._keep(origin, rec)
                        yield out
            elif kind in ("azure", "gcp"):
                yield from self._folded(kind, rec, loc, index)
        except RECORD_ERRORS as e:
            self.stats.add(Problem(loc, str(e) or type(e).__name__, index))

    def _folded(self, kind: str, rec: Any, loc: str, index: str) -> Iterator[Event]:
        """An Activity Log or Audit Log record: a read, or part of an operation that its
        provider's folder turns into change events once the operation's records are in."""
        read: Any
        parse: Any
        folder: Any
        if kind == "azure":
            read, parse, folder = reads.azure_read, azure.parse, self._azure
        else:
            read, parse, folder = reads.gcp_read, gcp.parse, self._gcp
        if self._reads:
            r = read(rec, SourceRef("record", loc, record=index))
            if r is not None:
                if self._admit_read(r):
                    yield r
                return
        if not self._changes:
            return
        entry = parse(rec)
        if entry is not None:
            origin = SourceRef("record", loc, record=index)
            self._keep(origin, rec)
            for ev in folder.add(entry, origin):
                yield from self._emit(ev)

    def _keep(self, origin: SourceRef, rec: Any) -> None:
        if self.options.raw_sink is not None and isinstance(rec, Mapping):
            self.options.raw_sink(origin, rec)

    def _emit(self, ev: ChangeEvent) -> Iterator[ChangeEvent]:
        o = self.options
        if o.providers and ev.provider not in o.providers:
            return
        if (o.since and ev.time < o.since) or (o.until and ev.time >= o.until):
            self.stats.outside += 1
            return
        if ev.event_id:
            key = (ev.provider, ev.event_id)
            if key in self._seen:
                self.stats.duplicates += 1
                return
            self._seen.add(key)
        self.stats.events += 1
        yield ev

    def _admit_read(self, ev: EnumerationEvent) -> bool:
        """Whether an enumeration record is emitted (provider, time window, not a duplicate);
        counts it."""
        o = self.options
        if o.providers and ev.provider not in o.providers:
            return False
        if (o.since and ev.time < o.since) or (o.until and ev.time >= o.until):
            self.stats.outside += 1
            return False
        if ev.event_id:
            seen = self._read_ids.get(ev.provider)
            if seen is None:
                seen = self._read_ids[ev.provider] = set()
            elif ev.event_id in seen:
                self.stats.duplicates += 1
                return False
            seen.add(ev.event_id)
        self.stats.enumerations += 1
        return True


def read_events(
    units: Iterable[Unit], options: ReadOptions | None = None
) -> tuple[list[ChangeEvent], ReadStats]:
    """Convenience for small inputs and tests: read everything into a list."""
    reader = EventReader(options)
    events = list(reader.read(units))
    return events, reader.stats

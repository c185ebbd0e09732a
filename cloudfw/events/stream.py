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
from typing import IO, TYPE_CHECKING, Any, ClassVar

from cloudfw.events import azure, gcp
from cloudfw.events.decode import (
    CHANGE,
    ENTRY,
    LINE,
    READ,
    Count,
    Decoded,
    Decoder,
    DecodeSpec,
    Op,
)
from cloudfw.events.decode import CHANGES as CHANGES  # re-exported: what --kind may ask for
from cloudfw.events.decode import ENUMERATION as ENUMERATION
from cloudfw.events.decode import RECORD_ERRORS as RECORD_ERRORS
from cloudfw.events.errors import EventsError, Problem
from cloudfw.events.files import DEFAULT_BUFFER_LIMIT, READ_ERRORS
from cloudfw.events.files import open_maybe_gzip as open_maybe_gzip
from cloudfw.events.lines import ReadLine, read_line
from cloudfw.model import ChangeEvent, CloudfwError, EnumerationEvent, SourceRef, epoch_micros

if TYPE_CHECKING:
    from cloudfw.executor import Executor

SKIP_DIRS = frozenset({"CloudTrail-Digest", "CloudTrail-Insight", "CloudTrail-Insights"})
SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log")
MAX_KEPT_PROBLEMS = 1000
Event = ChangeEvent | EnumerationEvent


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
    #: CloudTrail reads may come out of `EventReader.read_lines` as `ReadLine`s (for a reader
    #: that writes jsonl); otherwise they are decoded straight into events
    lines: bool = False


@dataclass(frozen=True, slots=True)
class LocalFile:
    """Opens a local file: a picklable opener, so the file can be decoded by another process
    (or, on a shared file system, another machine)."""

    path: str
    portable: ClassVar[bool] = True  # `cloudfw.events.fanout` may send it to a worker

    def __call__(self) -> IO[bytes]:
        return open(self.path, "rb")


def local_units(path: str) -> Iterator[StreamUnit]:
    """A file, or every log file under a directory (AWSLogs/... trees included; digest and
    insight folders skipped), in a stable order."""
    p = Path(path)
    if p.is_file():
        yield StreamUnit(str(p), LocalFile(str(p)))
        return
    if not p.is_dir():
        raise EventsError(f"{path}: no such file or directory")
    for root, dirs, files in os.walk(p):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                fp = Path(root, name)
                yield StreamUnit(str(fp), LocalFile(str(fp)))


class EventReader:
    """Reads units into events. Use :func:`read_events` unless you need the stats live.

    With an ``executor``, runs of local files and S3 objects are decoded on it, a window of
    files at a time (`cloudfw.events.fanout`); their ops are applied here in input order, so
    the events, their order and the counts are those of a read in this process."""

    def __init__(
        self, options: ReadOptions | None = None, executor: Executor | None = None
    ) -> None:
        self.options = options or ReadOptions()
        self.stats = ReadStats()
        self.executor = executor
        self._azure = azure.Folder()
        self._gcp = gcp.Folder()
        self._seen: set[tuple[str, str]] = set()
        #: the enumeration records' event ids, per provider (just the id strings: there may be
        #: hundreds of thousands)
        self._read_ids: dict[str, set[str]] = {}
        kinds = self.options.kinds
        self.stats.reads = ENUMERATION in kinds
        keep = self.options.raw_sink is not None
        self.spec = DecodeSpec(kinds, self.options.buffer_limit, keep, self.options.lines)
        self._decoder = Decoder(self.spec)
        o = self.options
        #: the time window in microseconds (`ReadLine.micros`), None when there is none
        self._window = None if o.since is None and o.until is None else (
            None if o.since is None else epoch_micros(o.since),
            None if o.until is None else epoch_micros(o.until),
        )  # fmt: skip

    def read(self, units: Iterable[Unit]) -> Iterator[ChangeEvent]:
        """The change events (enumeration records, if the options ask for them, are read and
        counted but not returned: use :meth:`read_all`)."""
        for ev in self.read_lines(units):
            if isinstance(ev, ChangeEvent):
                yield ev

    def read_all(self, units: Iterable[Unit]) -> Iterator[Event]:
        """Change events and enumeration records, as the options' ``kinds`` ask, in the order
        the inputs hold them (Azure and GCP operations when they complete)."""
        for ev in self.read_lines(units):
            yield ev.event() if isinstance(ev, ReadLine) else ev

    def read_lines(self, units: Iterable[Unit]) -> Iterator[Event | ReadLine]:
        """:meth:`read_all`; with ``ReadOptions.lines``, the CloudTrail reads decoded field by
        field as their jsonl lines (`ReadLine`: what ``cloudfw events --format jsonl`` writes,
        without an event each)."""
        items = self._items(units)
        if self.executor is not None and self.options.raw_sink is None:
            from cloudfw.events.fanout import decoded

            for item in decoded(items, self.spec, self.executor):
                yield from self._apply_item(item)
        else:
            for item in items:
                yield from self._apply_item(item)
        for change in (*self._azure.flush(), *self._gcp.flush()):
            yield from self._emit(change)

    def _items(self, units: Iterable[Unit]) -> Iterator[StreamUnit | RecordUnit | Problem]:
        """Every input in order, groups expanded; a group whose expansion failed part-way is a
        `Problem` where it failed."""
        for unit in units:
            if not isinstance(unit, UnitGroup):
                yield unit
                continue
            try:
                it = iter(unit.expand())
                while True:
                    try:
                        sub = next(it)
                    except StopIteration:
                        break
                    yield sub
            except (CloudfwError, *READ_ERRORS) as e:  # a listing or paging that failed
                msg = str(e)
                loc = str(getattr(e, "location", "") or unit.location)
                yield Problem(loc, msg.removeprefix(f"{loc}: "))

    def _apply_item(
        self, item: StreamUnit | RecordUnit | Problem | Decoded
    ) -> Iterator[Event | ReadLine]:
        if isinstance(item, Problem):
            self.stats.units_failed += 1
            self.stats.add(item)
            return
        self.stats.units += 1
        count = Count()
        ops = item.ops if isinstance(item, Decoded) else self._decoder.ops(item, count)
        admit = self._admit
        try:
            for op in ops:
                if op[0] is LINE:  # most ops of a run that asks for reads: no generator each
                    fields = op[1]  # `LineFields`: the caller's provider, micros, event id
                    if admit(fields[3][0], fields[2], fields[1]):
                        yield read_line(fields)
                else:
                    yield from self._apply(op)
        finally:
            self.stats.records += item.records if isinstance(item, Decoded) else count.n

    def _apply(self, op: Op) -> Iterator[Event]:
        tag = op[0]
        if tag is READ:
            read: EnumerationEvent = op[1]
            when = epoch_micros(read.time) if self._window is not None else 0
            if self._admit(read.provider, when, read.event_id):
                yield read
        elif tag is CHANGE:
            _, ev, loc, index, rec = op
            try:
                for out in self._emit(ev):
                    if rec is not None:
                        self._keep(SourceRef("record", loc, record=index), rec)
                    yield out
            except RECORD_ERRORS as e:
                self.stats.add(Problem(loc, str(e) or type(e).__name__, index))
        elif tag is ENTRY:
            _, kind, entry, loc, index, rec = op
            folder: Any = self._azure if kind == "azure" else self._gcp
            try:
                origin = SourceRef("record", loc, record=index)
                if rec is not None:
                    self._keep(origin, rec)
                for ev in folder.add(entry, origin):
                    yield from self._emit(ev)
            except RECORD_ERRORS as e:
                self.stats.add(Problem(loc, str(e) or type(e).__name__, index))
        else:  # PROBLEM
            if op[2]:
                self.stats.units_failed += 1
            self.stats.add(op[1])

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

    def _admit(self, provider: str, micros: int, event_id: str) -> bool:
        """Whether an enumeration record (of ``provider``, at ``micros``, see `ReadLine`) is
        emitted (provider, time window, not a duplicate); counts it."""
        o = self.options
        if o.providers and provider not in o.providers:
            return False
        if self._window is not None:
            since, until = self._window
            if (since is not None and micros < since) or (until is not None and micros >= until):
                self.stats.outside += 1
                return False
        if event_id:
            seen = self._read_ids.get(provider)
            if seen is None:
                seen = self._read_ids[provider] = set()
            elif event_id in seen:
                self.stats.duplicates += 1
                return False
            seen.add(event_id)
        self.stats.enumerations += 1
        return True


def read_events(
    units: Iterable[Unit], options: ReadOptions | None = None
) -> tuple[list[ChangeEvent], ReadStats]:
    """Convenience for small inputs and tests: read everything into a list."""
    reader = EventReader(options)
    events = list(reader.read(units))
    return events, reader.stats

"""Record a ``cloudfw events`` run in the scan history (``--store`` / ``--no-store``).

The events stream straight to the output; :class:`EventSpool` sees each one on the way, adds its
jsonl contract line to a running SHA-256 (the run's digest, fed a block of lines at a time), and
a change event's line to a gzip-compressed temporary file; enumeration records (CloudTrail reads
already as their lines, `cloudfw.events.ReadLine`) are only tallied per caller and address
(`cloudfw.store.events.EnumerationTally`: what the first-seen history needs). Once the output is
complete the spool is read back into the store in one short transaction: memory stays flat, and
the store's write lock is not held while inputs are read.
"""

from __future__ import annotations

import gzip
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import orjson
import typer

from cloudfw.events import Event, ReadLine, ReadStats
from cloudfw.model import ChangeEvent, Coverage, CoverageStatus, EnumerationEvent
from cloudfw.store.events import EnumerationTally

PROVIDER = "events"
#: jsonl output is written (and hashed) in blocks of about this many bytes
BLOCK = 256 * 1024
E = TypeVar("E", bound=Event)
F = TypeVar("F", bound=Event | ReadLine)


def events_coverage(scope: str, stats: ReadStats) -> list[Coverage]:
    """One row for the run (status error when anything could not be read), then one error row
    per located problem (as many as the read kept) and one for any it did not keep."""
    ok = stats.complete
    rows = [
        Coverage(
            PROVIDER,
            scope,
            CoverageStatus.OK if ok else CoverageStatus.ERROR,
            "" if ok else stats.summary(),
            resources=stats.events,
        )
    ]
    for p in stats.problems:
        where = p.location if p.record is None else f"{p.location}#{p.record}"
        rows.append(Coverage(PROVIDER, where, CoverageStatus.ERROR, p.message))
    untold = stats.problem_count - len(stats.problems)
    if untold > 0:
        rows.append(Coverage(PROVIDER, scope, CoverageStatus.ERROR, f"{untold} more problem(s)"))
    return rows


def events_scope(paths: list[str]) -> str:
    return ",".join(sorted(paths)) if paths else "-"


class EventSpool:
    """Tee of the emitted events for the store; a no-op when ``enabled`` is False."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.count = 0
        self._sha = hashlib.sha256()
        self._raw: IO[bytes] | None = tempfile.TemporaryFile() if enabled else None  # noqa: SIM115
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=1) if enabled else None
        self.tally = EnumerationTally()

    @property
    def digest(self) -> str:
        """SHA-256 over the emitted jsonl lines, in order."""
        return self._sha.hexdigest()

    def tee(self, events: Iterator[E]) -> Iterator[E]:
        if self._gz is None:
            return events
        return self._tee(events, self._gz)

    def blocks(self, events: Iterator[Event | ReadLine]) -> Iterator[bytes]:
        """The events as jsonl contract lines, joined into blocks of about `BLOCK` bytes (each
        event serialized once, for the output and the spool alike)."""
        from cloudfw.events.serialize import to_jsonl

        out, tally = self._gz, self.tally
        block: list[bytes] = []
        size = 0
        for ev in events:
            if isinstance(ev, ReadLine):
                line = ev.line
                if out is not None:
                    tally.add_call(ev.caller, ev.success, ev.micros)
            else:
                line = to_jsonl(ev)
                if out is not None:
                    if isinstance(ev, EnumerationEvent):
                        tally.add(ev)
                    else:
                        out.write(line)
            block.append(line)
            size += len(line)
            if size >= BLOCK:
                yield self._block(block)
                block, size = [], 0
        if block:
            yield self._block(block)

    def _block(self, lines: list[bytes]) -> bytes:
        data = b"".join(lines)
        if self._gz is not None:
            self._sha.update(data)
            self.count += len(lines)
        return data

    def _tee(self, events: Iterator[E], out: gzip.GzipFile) -> Iterator[E]:
        from cloudfw.events.serialize import to_jsonl

        for ev in events:  # what `lines` does, for the other formats
            line = to_jsonl(ev)
            self._sha.update(line)
            if isinstance(ev, EnumerationEvent):
                self.tally.add(ev)
            else:
                out.write(line)
            self.count += 1
            yield ev

    def docs(self) -> Iterator[bytes]:
        """The spooled jsonl lines, in emitted order (call once the stream is done)."""
        if self._gz is None or self._raw is None:
            return
        self._gz.close()
        self._raw.seek(0)
        with gzip.GzipFile(fileobj=self._raw, mode="rb") as f:
            yield from f

    def record(self, paths: list[str], stats: ReadStats, store: Path | None) -> int | None:
        """Record the run; return the scan id (None when disabled)."""
        if not self.enabled:
            return None
        from cloudfw import __version__
        from cloudfw.cli.history import store_path
        from cloudfw.store import Store

        scope = events_scope(paths)
        with Store(store_path(store)) as db:
            scan_id = db.record_events(
                scope,
                self.digest,
                events_coverage(scope, stats),
                self.docs(),
                tool_version=__version__,
                enumeration=self.tally,
            )
            typer.echo(f"recorded scan {scan_id} ({self.count} events) in {db.path}", err=True)
        return scan_id

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
        if self._raw is not None:
            self._raw.close()

    def __enter__(self) -> EventSpool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def enumeration_history(store: Path | None) -> Any:
    """The enumeration records earlier `cloudfw events` runs stored, as a
    `cloudfw.events.recon.History` (empty when the store does not exist yet)."""
    from cloudfw.cli.history import store_path
    from cloudfw.events.recon import History
    from cloudfw.store import Store

    path = store_path(store)
    if not path.exists():
        return History()
    with Store(path) as db:
        rows, scans = db.enumeration_seen()
    return History.from_rows(rows, scans)


class EnumerationRun:
    """`cloudfw events --findings`: sees each enumeration record on the way out, then judges
    them (`cloudfw.events.recon`) against the baseline's policy and the scan history as it was
    before this run, and writes the findings as JSON."""

    def __init__(self, baseline: Path | None, store: Path | None, no_store: bool) -> None:
        from cloudfw.cli.runner import load_policy
        from cloudfw.events.recon import Detector

        self.loaded = load_policy(baseline)
        self.history = None if no_store else enumeration_history(store)
        self.detector = Detector()
        self.changes: list[ChangeEvent] = []  # the openings only: what reads may have led to

    def tee(self, events: Iterator[F]) -> Iterator[F]:
        from cloudfw.events.posture import OPENING

        for ev in events:
            if isinstance(ev, ReadLine):
                self.detector.add(ev.event())
            elif isinstance(ev, EnumerationEvent):
                self.detector.add(ev)
            elif ev.success and ev.action in OPENING:
                self.changes.append(ev)
            yield ev

    def write(self, path: Path) -> None:
        from cloudfw.cli.common import write_output
        from cloudfw.export.json_report import finding_to_dict

        b = self.loaded.baseline
        found = self.detector.findings(
            self.loaded.policy.enumeration,
            self.history,
            b.approved_principals if b else (),
            self.changes,
        )
        doc = {"schema": "cloudfw.enumeration/1", "check": "firewall-enumeration",
               "findings": [finding_to_dict(f) for f in found]}  # fmt: skip
        write_output(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n", path)
        for f in found:
            typer.echo(f"cloudfw: {f.severity.label}: {f.check}: {f.message}", err=True)
        typer.echo(f"cloudfw: wrote {path} ({len(found)} finding(s))", err=True)

"""Record a ``cloudfw events`` run in the scan history (``--store`` / ``--no-store``).

The events stream straight to the output; :class:`EventSpool` sees each one on the way, adds its
jsonl contract line to a running SHA-256 (the run's digest) and to a gzip-compressed temporary
file. Once the output is complete the spool is read back into the store in one short
transaction: memory stays flat, and the store's write lock is not held while inputs are read.
"""

from __future__ import annotations

import gzip
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
import typer

from cloudfw.events import ReadStats
from cloudfw.model import ChangeEvent, Coverage, CoverageStatus

PROVIDER = "events"


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

    @property
    def digest(self) -> str:
        """SHA-256 over the emitted jsonl lines, in order."""
        return self._sha.hexdigest()

    def tee(self, events: Iterator[ChangeEvent]) -> Iterator[ChangeEvent]:
        if self._gz is None:
            return events
        return self._tee(events, self._gz)

    def _tee(self, events: Iterator[ChangeEvent], out: gzip.GzipFile) -> Iterator[ChangeEvent]:
        from cloudfw.events.serialize import to_jsonl

        for ev in events:
            line = to_jsonl(ev)
            self._sha.update(line)
            out.write(line)
            self.count += 1
            yield ev

    def docs(self) -> Iterator[dict[str, Any]]:
        """The spooled event documents, in emitted order (call once the stream is done)."""
        if self._gz is None or self._raw is None:
            return
        self._gz.close()
        self._raw.seek(0)
        with gzip.GzipFile(fileobj=self._raw, mode="rb") as f:
            for line in f:
                yield orjson.loads(line)

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

"""Telemetry readers: each turns one input format into events with provenance, and malformed
lines into located :class:`~cloudfw.telemetry.events.Malformed` items (the rest is still read).

``read_file(path, fmt="auto")`` sniffs the format from the first lines when ``fmt`` is ``auto``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import orjson

from cloudfw.model import SourceRef
from cloudfw.telemetry.events import Item, Malformed, TelemetryError
from cloudfw.telemetry.readers.auditd import read_auditd
from cloudfw.telemetry.readers.eslogger import read_eslogger
from cloudfw.telemetry.readers.jsonl import read_jsonl
from cloudfw.telemetry.readers.osquery import read_osquery
from cloudfw.telemetry.readers.windows import read_windows_json, read_windows_xml

Reader = Callable[[Iterable[str], str], Iterator[Item]]

READERS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "auditd": read_auditd,
    "eslogger": read_eslogger,
    "osquery": read_osquery,
    "windows-json": read_windows_json,
    "windows-xml": read_windows_xml,
}
FORMATS = ("auto", *READERS)
_SNIFF_LINES = 20


def sniff(first: list[str], name: str = "") -> str:
    """The format of a file from its first lines (``jsonl`` when nothing else fits)."""
    if name.lower().endswith(".xml"):
        return "windows-xml"
    for line in first:
        text = line.strip()
        if not text:
            continue
        if text.startswith("<"):
            return "windows-xml"
        if text.startswith(("type=", "node=")):
            return "auditd"
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        if "event_type" in obj and "process" in obj and "event" in obj:
            return "eslogger"
        if {"hostIdentifier", "calendarTime", "diffResults", "snapshot"} & obj.keys() or (
            "columns" in obj and "name" in obj
        ):
            return "osquery"
        if {"winlog", "EventID", "EventId", "Event"} & obj.keys():
            return "windows-json"
        return "jsonl"
    return "jsonl"


def read_lines(lines: Iterable[str], name: str, fmt: str = "auto") -> Iterator[Item]:
    it = iter(lines)
    if fmt == "auto":
        head = list(itertools.islice(it, _SNIFF_LINES))
        fmt = sniff(head, name)
        it = itertools.chain(head, it)
    if fmt not in READERS:
        raise TelemetryError(
            f"unknown telemetry format {fmt!r} (expected one of {', '.join(FORMATS)})"
        )
    return READERS[fmt](it, name)


def read_file(path: Path, fmt: str = "auto") -> Iterator[Item]:
    """Stream the items of one file; ``TelemetryError`` if it cannot be opened."""
    try:
        fh = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise TelemetryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return _close_after(fh, read_lines(fh, str(path), fmt), str(path))


def merge_by_time(streams: Sequence[Iterator[Item]]) -> Iterator[Item]:
    """Interleave several streams by event time (each stream keeps its own order; an item without
    a time takes the time of the item before it). With one item of look-ahead per stream this
    stays streaming, and AN0464 can correlate an eslogger file with a network log."""

    def keyed(i: int, items: Iterator[Item]) -> Iterator[tuple[float, int, int, Item]]:
        last = float("-inf")
        for n, item in enumerate(items):
            t = getattr(item, "time", None)
            if t is not None:
                last = t.timestamp()
            yield last, i, n, item

    for *_, item in heapq.merge(*(keyed(i, s) for i, s in enumerate(streams))):
        yield item


def _close_after(fh: object, items: Iterator[Item], name: str) -> Iterator[Item]:
    try:
        yield from items
    except OSError as exc:  # the disk went away mid-file: the rest of it is unread
        yield Malformed(SourceRef("file", name), f"read failed: {exc.strerror or exc}")
    finally:
        close = getattr(fh, "close", None)
        if close is not None:
            close()

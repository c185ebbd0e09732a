"""Events scans: the change events one ``cloudfw events`` run emitted, one row each, and (with
``--kind enumeration|all``) what its enumeration records say about who enumerated from where.

A change event's row keeps the searchable fields as columns and the whole ``cloudfw.change/1``
jsonl contract line as JSON text in ``doc``. Enumeration records are not stored one by one (a busy
trail has hundreds of thousands of ``Describe*`` calls, and the first-seen history only asks who
read from where): the run stores one row per distinct (provider, account, principal, source IP),
``action = 'enumerate'``, whose ``doc`` is a :data:`SEEN_SCHEMA` summary (how many reads, how
many refused, the first and last read's time). Rows are inserted in batches, so a run of a
million events is never held in memory at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from cloudfw.model import EnumerationEvent, epoch_micros, from_epoch_micros
from cloudfw.store.chain import add_event_row

BATCH = 5_000
SEEN_SCHEMA = "cloudfw.enumeration-seen/1"
#: the first-seen history of enumeration records (``cloudfw events --kind enumeration|all``)
ENUMERATION_SEEN = (
    "SELECT DISTINCT provider, principal, source_ip FROM events WHERE action = 'enumerate'"
)
ENUMERATION_SCANS = "SELECT COUNT(DISTINCT scan_id) FROM events WHERE action = 'enumerate'"
INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
TEXT_FIELDS = (
    "event_id", "provider", "account", "region", "time", "action", "event_name", "resource_id",
    "principal", "source_ip",
)  # fmt: skip


def _row(scan_id: int, doc: Mapping[str, Any] | bytes) -> tuple[Any, ...]:
    if isinstance(doc, bytes):  # a jsonl line: stored as it was written (orjson's own output)
        text, doc = doc.rstrip(b"\n").decode(), orjson.loads(doc)
        assert isinstance(doc, Mapping)
    else:
        text = orjson.dumps(doc).decode()
    return (
        scan_id,
        *(str(doc.get(f) or "") for f in TEXT_FIELDS),
        int(bool(doc.get("success", True))),
        text,
    )


def insert_events(
    c: sqlite3.Connection,
    scan_id: int,
    events: Iterable[Mapping[str, Any] | bytes],
    sha: Any = None,
) -> int:
    """Insert every event document, or jsonl line (inside the caller's transaction); return
    how many. Each row (after ``scan_id``) is also fed to ``sha``
    (`cloudfw.store.chain.events_hasher`) if given."""
    it = (_row(scan_id, doc) for doc in events)
    n = 0
    while chunk := list(islice(it, BATCH)):
        c.executemany(INSERT, chunk)
        if sha is not None:
            for row in chunk:
                add_event_row(sha, row[1:])
        n += len(chunk)
    return n


def select_events(c: sqlite3.Connection, scan_id: int) -> Iterator[dict[str, Any]]:
    """The event documents of one scan, in the order they were emitted."""
    for (doc,) in c.execute("SELECT doc FROM events WHERE scan_id = ? ORDER BY rowid", [scan_id]):
        yield orjson.loads(doc)


def _stamp(t: datetime) -> str:
    text = t.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class EnumerationTally:
    """The enumeration records of one run, folded into one entry per distinct (provider,
    account, principal, source IP): what the first-seen history needs, in memory that grows
    with the callers, not with the reads."""

    def __init__(self) -> None:
        self.records = 0
        #: (provider, account, principal, source IP) -> [reads, refused, first, last], the
        #: times in microseconds since the epoch
        self._seen: dict[tuple[str, str, str, str], list[int]] = {}

    def add(self, ev: EnumerationEvent) -> None:
        key = (ev.provider, ev.account, ev.principal, ev.source_ip)
        self.add_call(key, ev.success, epoch_micros(ev.time))

    def add_call(self, caller: tuple[str, str, str, str], success: bool, micros: int) -> None:
        """`add` of a read known by its caller (provider, account, principal, source IP), its
        outcome and its time (`cloudfw.model.epoch_micros`)."""
        self.records += 1
        entry = self._seen.get(caller)
        if entry is None:
            self._seen[caller] = [1, 0 if success else 1, micros, micros]
            return
        entry[0] += 1
        if not success:
            entry[1] += 1
        if micros < entry[2]:
            entry[2] = micros
        elif micros > entry[3]:
            entry[3] = micros

    def __len__(self) -> int:
        return len(self._seen)

    def docs(self) -> Iterator[dict[str, Any]]:
        """One :data:`SEEN_SCHEMA` document per entry, in first-seen order."""
        for (provider, account, principal, ip), (n, refused, first, last) in self._seen.items():
            yield {
                "schema": SEEN_SCHEMA, "provider": provider, "account": account,
                "principal": principal, "source_ip": ip, "action": "enumerate", "reads": n,
                "refused": refused, "first": _stamp(from_epoch_micros(first)),
                "last": _stamp(from_epoch_micros(last)),
            }  # fmt: skip


def _seen_row(scan_id: int, doc: Mapping[str, Any]) -> tuple[Any, ...]:
    """The events-table row of a :data:`SEEN_SCHEMA` summary: ``time`` its first read,
    ``success`` whether any read succeeded; no event id, region or API."""
    return (
        scan_id, "", doc["provider"], doc["account"], "", doc["first"], "enumerate", "", "",
        doc["principal"], doc["source_ip"], int(doc["refused"] < doc["reads"]),
        orjson.dumps(doc).decode(),
    )  # fmt: skip


def insert_seen(
    c: sqlite3.Connection, scan_id: int, tally: EnumerationTally, sha: Any = None
) -> int:
    """Insert the tally's summaries (inside the caller's transaction); return how many rows.
    Each row is also fed to ``sha``, as in `insert_events` (the chain covers every row)."""
    it = (_seen_row(scan_id, doc) for doc in tally.docs())
    n = 0
    while chunk := list(islice(it, BATCH)):
        c.executemany(INSERT, chunk)
        if sha is not None:
            for row in chunk:
                add_event_row(sha, row[1:])
        n += len(chunk)
    return n

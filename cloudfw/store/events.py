"""Events scans: the change events (and, with ``--kind enumeration|all``, the enumeration
records, ``action = 'enumerate'``) one ``cloudfw events`` run emitted, one row each.

Each row keeps the searchable fields as columns and the whole ``cloudfw.change/1`` jsonl contract
document as JSON text in ``doc``. Rows are inserted in batches, so a run of a million events is
never held in memory at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import orjson

from cloudfw.store.chain import add_event_row

BATCH = 5_000
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

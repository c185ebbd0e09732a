"""The hash chain of the scan history (schema 4): tamper evidence for every recorded scan.

Each scan stores ``content_hash`` (SHA-256 of a canonical document of everything recorded for it:
its row, coverage, finding set, estate and events) and ``hash``, which also covers its place in
its chain: the chain of a (kind, scope) pair, ``seq`` 1, 2, ... and the previous scan's id and
hash (``prev_id``, ``prev_hash``). :func:`verify` recomputes every content hash from the stored
rows (finding documents decompressed and rehashed, rule set digests recomputed from their rules)
and walks every chain, naming the first scan that was edited, removed or inserted.

What a chain cannot show by itself: that its *newest* scans were not removed, or that someone
who can write the file did not recompute every hash after an edit. Both are caught against an
anchor kept elsewhere: the chain heads that ``evidence export`` puts in a bundle
(:func:`heads`), which a later ``history verify --anchor BUNDLE`` checks.

Scans recorded before schema 4 are chained by the migration (``chained = 2``): for them the chain
proves that they are unchanged since the upgrade, not before. Pruning records the newest removed
scan of each chain in ``chain_checkpoints``, so the oldest kept scan still links to something.

The content document and both hash formulas are version 1 and never change; a change would be a
new version with its own marker.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson

from cloudfw.store.content import doc_hash, estate_hash, finding_set_hash, version_digest

RECORDED, AT_MIGRATION = 1, 2
_ROW = (
    "id, kind, scope, started_at, digest, tool_version, complete, findings, rules, events,"
    " finding_set, estate, seq, prev_id, prev_hash, content_hash, hash, chained"
)


def events_hasher() -> Any:
    return hashlib.sha256(b"cloudfw.events/1\n")


def add_event_row(h: Any, row: Iterable[Any]) -> None:
    """Feed one ``events`` row (its columns after ``scan_id``) to an :func:`events_hasher`."""
    h.update(orjson.dumps(list(row)) + b"\n")


def content_hash(
    row: tuple[Any, ...],
    coverage: Iterable[tuple[Any, ...]],
    finding_set: str | None,
    estate: str | None,
    events_sha256: str,
) -> str:
    """The content hash of one scan (``row``: the first ten columns of :data:`_ROW`)."""
    doc = {
        "schema": "cloudfw.scan-content/1",
        "id": row[0],
        "kind": row[1],
        "scope": row[2],
        "started_at": row[3],
        "digest": row[4],
        "tool_version": row[5],
        "complete": bool(row[6]),
        "findings": row[7],
        "rules": row[8],
        "events": row[9],
        "coverage": [list(c) for c in coverage],
        "finding_set": finding_set,
        "estate": estate,
        "events_sha256": events_sha256,
    }
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


def link_hash(
    kind: str, scope: str, seq: int, scan_id: int, prev_id: int | None, prev_hash: str | None,
    content: str, chained: int,
) -> str:  # fmt: skip
    parts = ["cloudfw.chain/1", kind, scope, seq, scan_id, prev_id, prev_hash, content, chained]
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()


def _coverage(c: sqlite3.Connection, scan_id: int) -> list[tuple[Any, ...]]:
    sql = "SELECT provider, scope, status, reason, resources FROM coverage WHERE scan_id = ?"
    return c.execute(sql + " ORDER BY rowid", (scan_id,)).fetchall()


def link(
    c: sqlite3.Connection,
    scan_id: int,
    finding_set: str | None,
    estate: str | None,
    events_sha256: str,
    chained: int = RECORDED,
) -> str:
    """Chain scan ``scan_id`` after the newest chained scan of its (kind, scope), inside the
    caller's transaction; return its hash."""
    row = c.execute(f"SELECT {_ROW} FROM scans WHERE id = ?", (scan_id,)).fetchone()
    kind, scope = row[1], row[2]
    prev = (
        c.execute(
            "SELECT id, seq, hash FROM scans WHERE kind = ? AND scope = ? AND id < ?"
            " AND hash IS NOT NULL ORDER BY id DESC LIMIT 1",
            (kind, scope, scan_id),
        ).fetchone()
        or c.execute(
            "SELECT scan_id, seq, hash FROM chain_checkpoints WHERE kind = ? AND scope = ?",
            (kind, scope),
        ).fetchone()
    )
    prev_id, seq, prev_hash = prev if prev else (None, 0, None)
    content = content_hash(row[:10], _coverage(c, scan_id), finding_set, estate, events_sha256)
    h = link_hash(kind, scope, seq + 1, scan_id, prev_id, prev_hash, content, chained)
    c.execute(
        "UPDATE scans SET seq = ?, prev_id = ?, prev_hash = ?, content_hash = ?, hash = ?,"
        " chained = ? WHERE id = ?",
        (seq + 1, prev_id, prev_hash, content, h, chained, scan_id),
    )
    return h


class Rehash:
    """Recomputes content hashes from the stored rows; every shared piece is hashed once."""

    def __init__(self, c: sqlite3.Connection) -> None:
        self.c = c
        self.sets: dict[int, str | None] = {}
        self.estates: dict[int, str | None] = {}
        self.versions: dict[int, tuple[str, str]] | None = None
        self.docs: dict[int, str] = {}

    def finding_set(self, set_id: int | None) -> str | None:
        if set_id is None:
            return None
        if set_id not in self.sets:
            sql = "SELECT doc_id, suppressed FROM finding_set_members WHERE set_id = ? ORDER BY seq"
            members = self.c.execute(sql, (set_id,)).fetchall()
            exists = self.c.execute("SELECT 1 FROM finding_sets WHERE id = ?", (set_id,)).fetchone()
            self.sets[set_id] = (
                finding_set_hash((self._doc(d), bool(s)) for d, s in members) if exists else None
            )
        return self.sets[set_id]

    def _doc(self, doc_id: int) -> str:
        if doc_id not in self.docs:
            row = self.c.execute(
                "SELECT key, check_id, severity, resource, doc FROM finding_docs WHERE id = ?",
                (doc_id,),
            ).fetchone()
            try:
                self.docs[doc_id] = (
                    doc_hash(row[0], row[1], row[2], row[3], zlib.decompress(row[4]))
                    if row
                    else "-"
                )
            except zlib.error:
                self.docs[doc_id] = "unreadable"
        return self.docs[doc_id]

    def estate(self, estate_id: int | None) -> str | None:
        if estate_id is None:
            return None
        if estate_id not in self.estates:
            if self.versions is None:
                self.versions = self._all_versions()
            sql = "SELECT version_id FROM estate_members WHERE estate_id = ?"
            ids = [r[0] for r in self.c.execute(sql, (estate_id,))]
            exists = self.c.execute("SELECT 1 FROM estates WHERE id = ?", (estate_id,)).fetchone()
            self.estates[estate_id] = (
                estate_hash(self.versions.get(v, ("-", str(v))) for v in ids) if exists else None
            )
        return self.estates[estate_id]

    def _all_versions(self) -> dict[int, tuple[str, str]]:
        """Every rule set version's (uid, digest recomputed from its rules), in one streamed
        pass in primary-key order (SQLite's byte order of rule keys is Python's str order)."""
        digests: dict[int, str] = {}
        rows = self.c.execute(
            "SELECT m.version_id, m.rule_key, coalesce(h.hash, '-') FROM rule_members m"
            " LEFT JOIN rule_hashes h ON h.id = m.hash_id ORDER BY m.version_id, m.rule_key"
        )
        for vid, group in groupby(rows, key=itemgetter(0)):
            digests[vid] = version_digest([(key, h) for _, key, h in group])
        return {
            vid: (uid, digests.get(vid, version_digest([])))
            for vid, uid in self.c.execute("SELECT id, ruleset FROM ruleset_versions")
        }

    def events(self, scan_id: int) -> str:
        h = events_hasher()
        sql = "SELECT * FROM events WHERE scan_id = ? ORDER BY rowid"
        for r in self.c.execute(sql, (scan_id,)):
            add_event_row(h, r[1:])
        return str(h.hexdigest())

    def content(self, row: tuple[Any, ...]) -> str:
        return content_hash(
            row[:10],
            _coverage(self.c, row[0]),
            self.finding_set(row[10]),
            self.estate(row[11]),
            self.events(row[0]),
        )


def link_all(c: sqlite3.Connection, chained: int) -> None:
    """Chain every scan that has no hash yet, oldest first (the schema 4 migration)."""
    rehash = Rehash(c)
    for row in c.execute(f"SELECT {_ROW} FROM scans WHERE hash IS NULL ORDER BY id").fetchall():
        fs, es = rehash.finding_set(row[10]), rehash.estate(row[11])
        link(c, row[0], fs, es, rehash.events(row[0]), chained)


@dataclass(frozen=True, slots=True)
class Break:
    """The first point where a chain does not hold."""

    scan_id: int
    kind: str  # edited | removed | inserted
    chain: tuple[str, str]
    detail: str

    def __str__(self) -> str:
        return f"scan {self.scan_id} ({self.chain[0]} {self.chain[1]}): {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class ChainHead:
    kind: str
    scope: str
    scan_id: int
    seq: int
    hash: str
    started_at: str
    scans_in_window: int = 0


@dataclass(slots=True)
class Verdict:
    scans: int = 0
    chains: int = 0
    at_migration: int = 0
    pruned: int = 0
    breaks: list[Break] = field(default_factory=list)
    heads: list[ChainHead] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def _chains(c: sqlite3.Connection) -> Iterator[tuple[tuple[str, str], list[tuple[Any, ...]]]]:
    by_chain: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in c.execute(f"SELECT {_ROW} FROM scans ORDER BY id"):
        by_chain[(row[1], row[2])].append(row)
    yield from sorted(by_chain.items())


def verify(c: sqlite3.Connection) -> Verdict:
    """Recompute every scan's hashes and walk every chain."""
    rehash = Rehash(c)
    present = {r[0] for r in c.execute("SELECT id FROM scans")}
    checkpoints = {
        (r[0], r[1]): (r[2], r[3], r[4], r[5])
        for r in c.execute("SELECT kind, scope, scan_id, seq, hash, pruned FROM chain_checkpoints")
    }
    v = Verdict(pruned=sum(cp[3] for cp in checkpoints.values()))
    for chain, rows in _chains(c):
        v.chains += 1
        v.scans += len(rows)
        v.at_migration += sum(1 for r in rows if r[17] == AT_MIGRATION)
        cp = checkpoints.get(chain)
        expected = (cp[0], cp[2]) if cp else None
        brk = _walk(rehash, chain, rows, expected, present)
        if brk is not None:
            v.breaks.append(brk)
        elif rows:
            last = rows[-1]
            v.heads.append(ChainHead(chain[0], chain[1], last[0], last[12], last[16], last[3]))
    v.breaks.sort(key=lambda b: b.scan_id)
    return v


def _walk(
    rehash: Rehash,
    chain: tuple[str, str],
    rows: list[tuple[Any, ...]],
    expected: tuple[int, str] | None,
    present: set[int],
) -> Break | None:
    """The first break in one chain (``expected``: the pruned predecessor's id and hash)."""
    for row in rows:
        sid, seq, prev_id, prev_hash, content, h, chained = row[0], *row[12:18]
        if h is None:
            return Break(sid, "inserted", chain, "not chained (no hash): written outside cloudfw")
        if rehash.content(row) != content:
            return Break(sid, "edited", chain, "its recorded content no longer matches its hash")
        if link_hash(chain[0], chain[1], seq, sid, prev_id, prev_hash, content, chained) != h:
            return Break(sid, "edited", chain, "its chain fields no longer match its hash")
        brk = _link_break(chain, sid, prev_id, prev_hash, expected, present)
        if brk is not None:
            return brk
        expected = (sid, h)
    return None


def _link_break(
    chain: tuple[str, str],
    sid: int,
    prev_id: int | None,
    prev_hash: str | None,
    expected: tuple[int, str] | None,
    present: set[int],
) -> Break | None:
    """Does scan ``sid`` name the scan before it (``expected``) as its predecessor?"""
    if prev_id is not None and prev_id not in present and prev_id != (expected or (0,))[0]:
        why = f"scan {sid} names it as its predecessor; it is not in the store"
        return Break(prev_id, "removed", chain, why)
    if expected is None:
        if prev_id is None:
            return None
        why = f"it names scan {prev_id}, not of its chain, as its predecessor"
        return Break(sid, "inserted", chain, why)
    e_id, e_hash = expected
    if prev_id != e_id:
        why = f"scan {sid} names scan {prev_id} as its predecessor, not this one"
        return Break(e_id, "inserted", chain, why)
    if prev_hash != e_hash:
        why = f"rewritten with new hashes: scan {sid} still names its old hash"
        return Break(e_id, "edited", chain, why)
    return None


def heads(c: sqlite3.Connection, since: datetime | None, until: datetime | None) -> list[ChainHead]:
    """The head of every chain as of ``until`` (its newest scan started before it), with the
    number of its scans that started in [``since``, ``until``)."""
    out: list[ChainHead] = []
    for (kind, scope), rows in _chains(c):
        chained = [r for r in rows if r[16] is not None]
        before = [r for r in chained if until is None or _t(r[3]) < until]
        if not before:
            continue
        last = before[-1]
        n = sum(1 for r in before if since is None or _t(r[3]) >= since)
        out.append(ChainHead(kind, scope, last[0], last[12], last[16], last[3], n))
    return out


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def record_checkpoints(c: sqlite3.Connection, doomed: Iterable[int], at: str) -> None:
    """Before pruning ``doomed``: remember, per chain, the newest chained scan removed."""
    ids = sorted(set(doomed))
    newest: dict[tuple[str, str], tuple[int, int, str]] = {}
    count: dict[tuple[str, str], int] = defaultdict(int)
    for i in ids:
        row = c.execute(
            "SELECT kind, scope, id, seq, hash FROM scans WHERE id = ?", (i,)
        ).fetchone()
        if row is None:
            continue
        count[(row[0], row[1])] += 1
        if row[4] is not None:
            newest[(row[0], row[1])] = (row[2], row[3], row[4])
    for (kind, scope), (sid, seq, h) in newest.items():
        c.execute(
            "INSERT INTO chain_checkpoints VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, scope)"
            " DO UPDATE SET scan_id = excluded.scan_id, seq = excluded.seq, hash = excluded.hash,"
            " pruned = pruned + excluded.pruned, at = excluded.at",
            (kind, scope, sid, seq, h, count[(kind, scope)], at),
        )

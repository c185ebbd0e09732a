"""Content-addressed scan content (schema 3): what an unchanged estate shares with its last scan.

* A finding document (the JSON contract document, zlib-compressed) is stored once per content
  (``finding_docs``, keyed by a SHA-256 of the document and its indexed columns).
* A scan's findings are one *finding set* (``finding_sets``): the ordered list of documents with
  their suppressed flag, stored once per content. A scan with the same findings as an earlier one
  adds no finding rows at all.
* A rule set version (uid + digest of its rules, as before) is stored once (``ruleset_versions``,
  ``rule_members``; rule content hashes once each in ``rule_hashes``); a scan's rules are one
  *estate* (``estates``): the set of rule set versions it saw, stored once per content.

So recording an unchanged estate again costs its scan and coverage rows. Nothing here is ever
updated in place; :func:`unused` / :func:`collect` find and delete what no kept scan refers to.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

BATCH = 5_000
ZLEVEL = 1


class FindingRow(NamedTuple):
    """One finding as stored: its indexed columns and the JSON contract document."""

    key: str
    check_id: str
    severity: str
    resource: str
    suppressed: bool
    doc: bytes  # orjson bytes of the contract document


def doc_hash(key: str, check_id: str, severity: str, resource: str, doc: bytes) -> str:
    h = hashlib.sha256()
    for part in (key, check_id, severity, resource):
        h.update(part.encode())
        h.update(b"\x00")
    h.update(doc)
    return h.hexdigest()


def finding_set_hash(members: Iterable[tuple[str, bool]]) -> str:
    """SHA-256 over the ordered (document hash, suppressed) list."""
    h = hashlib.sha256(b"cloudfw.findings/1\n")
    for dh, sup in members:
        h.update(f"{dh} {int(sup)}\n".encode())
    return h.hexdigest()


def version_digest(items: Sequence[tuple[str, str]]) -> str:
    """The digest of one rule set version: its sorted (rule key, content hash) pairs (the same
    formula schema 1 used, so versions keep their identity across the migration)."""
    return hashlib.sha256(repr(list(items)).encode()).hexdigest()[:24]


def estate_hash(versions: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over the sorted (rule set uid, version digest) pairs."""
    return hashlib.sha256(repr(sorted(versions)).encode()).hexdigest()


def _batches(rows: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(rows)
    while chunk := list(islice(it, BATCH)):
        yield chunk


def _ids(c: sqlite3.Connection, table: str, hashes: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in _batches(hashes):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT hash, id FROM {table} WHERE hash IN ({marks})"
        out.update(c.execute(sql, chunk).fetchall())
    return out


def put_findings(c: sqlite3.Connection, rows: Iterable[FindingRow]) -> tuple[int, str, int]:
    """Store the findings of one scan (inside the caller's transaction); return the finding set
    id, its hash and the number of unsuppressed findings. Only documents and sets not yet stored are
    written."""
    members: list[tuple[str, bool]] = []
    doc_ids: dict[str, int] = {}
    shown = 0
    for chunk in _batches(rows):
        hashed = [(doc_hash(r.key, r.check_id, r.severity, r.resource, r.doc), r) for r in chunk]
        known = _ids(c, "finding_docs", [h for h, _ in hashed if h not in doc_ids])
        doc_ids.update(known)
        for h, r in hashed:
            if h not in doc_ids:
                cur = c.execute(
                    "INSERT INTO finding_docs (hash, key, check_id, severity, resource, doc)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (h, r.key, r.check_id, r.severity, r.resource, zlib.compress(r.doc, ZLEVEL)),
                )
                doc_ids[h] = int(cur.lastrowid or 0)
            members.append((h, r.suppressed))
            shown += not r.suppressed
    set_hash = finding_set_hash(members)
    row = c.execute("SELECT id FROM finding_sets WHERE hash = ?", (set_hash,)).fetchone()
    if row is not None:
        return int(row[0]), set_hash, shown
    set_id = int(
        c.execute("INSERT INTO finding_sets (hash) VALUES (?)", (set_hash,)).lastrowid or 0
    )
    rows_ = ((set_id, i, doc_ids[h], int(s)) for i, (h, s) in enumerate(members))
    for part in _batches(rows_):
        c.executemany("INSERT INTO finding_set_members VALUES (?, ?, ?, ?)", part)
    return set_id, set_hash, shown


def put_estate(
    c: sqlite3.Connection, rules: Iterable[tuple[str, str, str]]
) -> tuple[int, str, int]:
    """Store the rules of one scan, (rule set uid, rule key, content hash) each; return the estate
    id, its hash and the number of rules. Only versions and estates not yet stored are written."""
    by_set: dict[str, dict[str, str]] = defaultdict(dict)
    for ruleset, key, content in rules:
        by_set[ruleset][key] = content
    versions: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ruleset, members in by_set.items():
        items = sorted(members.items())
        versions[(ruleset, version_digest(items))] = items
    n_rules = sum(len(v) for v in versions.values())
    e_hash = estate_hash(versions)
    row = c.execute("SELECT id FROM estates WHERE hash = ?", (e_hash,)).fetchone()
    if row is not None:
        return int(row[0]), e_hash, n_rules
    version_ids: list[int] = []
    new: dict[int, list[tuple[str, str]]] = {}
    for (ruleset, digest), items in versions.items():
        sql = "SELECT id FROM ruleset_versions WHERE ruleset = ? AND digest = ?"
        hit = c.execute(sql, (ruleset, digest)).fetchone()
        if hit is None:
            sql = "INSERT INTO ruleset_versions (ruleset, digest) VALUES (?, ?)"
            vid = int(c.execute(sql, (ruleset, digest)).lastrowid or 0)
            new[vid] = items
        else:
            vid = int(hit[0])
        version_ids.append(vid)
    _put_rule_members(c, new)
    estate_id = int(c.execute("INSERT INTO estates (hash) VALUES (?)", (e_hash,)).lastrowid or 0)
    for part in _batches((estate_id, v) for v in sorted(set(version_ids))):
        c.executemany("INSERT INTO estate_members VALUES (?, ?)", part)
    return estate_id, e_hash, n_rules


def _put_rule_members(c: sqlite3.Connection, new: dict[int, list[tuple[str, str]]]) -> None:
    wanted = sorted({h for items in new.values() for _, h in items})
    hash_ids = _ids(c, "rule_hashes", wanted)
    for h in wanted:
        if h not in hash_ids:
            cur = c.execute("INSERT INTO rule_hashes (hash) VALUES (?)", (h,))
            hash_ids[h] = int(cur.lastrowid or 0)
    rows = ((vid, key, hash_ids[h]) for vid, items in new.items() for key, h in items)
    for part in _batches(rows):
        c.executemany("INSERT INTO rule_members VALUES (?, ?, ?)", part)


# -- garbage: content that no kept scan refers to ----------------------------------------------
# ``temp.doomed`` holds the ids of the scans being removed (empty: plain garbage collection).
_KEPT = "SELECT {col} FROM scans WHERE {col} IS NOT NULL AND id NOT IN (SELECT id FROM temp.doomed)"
_KEPT_SETS = _KEPT.format(col="finding_set")
_KEPT_ESTATES = _KEPT.format(col="estate")
_KEPT_VERSIONS = f"SELECT version_id FROM estate_members WHERE estate_id IN ({_KEPT_ESTATES})"
#: (what, table, condition for a row that no kept scan needs), in the order they are reported.
UNUSED: tuple[tuple[str, str, str], ...] = (
    ("finding sets", "finding_sets", f"id NOT IN ({_KEPT_SETS})"),
    ("finding set rows", "finding_set_members", f"set_id NOT IN ({_KEPT_SETS})"),
    ("finding documents", "finding_docs",
     f"id NOT IN (SELECT doc_id FROM finding_set_members WHERE set_id IN ({_KEPT_SETS}))"),
    ("estates", "estates", f"id NOT IN ({_KEPT_ESTATES})"),
    ("estate rows", "estate_members", f"estate_id NOT IN ({_KEPT_ESTATES})"),
    ("rule set versions", "ruleset_versions", f"id NOT IN ({_KEPT_VERSIONS})"),
    ("rule rows", "rule_members", f"version_id NOT IN ({_KEPT_VERSIONS})"),
    ("rule hashes", "rule_hashes",
     f"id NOT IN (SELECT hash_id FROM rule_members WHERE version_id IN ({_KEPT_VERSIONS}))"),
)  # fmt: skip


def mark_doomed(c: sqlite3.Connection, scan_ids: Iterable[int]) -> None:
    """Fill ``temp.doomed`` (a temporary table: allowed on a read-only connection too)."""
    c.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)")
    c.execute("DELETE FROM temp.doomed")
    for part in _batches((i,) for i in scan_ids):
        c.executemany("INSERT INTO temp.doomed VALUES (?)", part)


def unused(c: sqlite3.Connection) -> dict[str, int]:
    """How many rows of each content table no kept scan refers to (nothing is changed)."""
    return {
        what: int(c.execute(f"SELECT count(*) FROM {table} WHERE {cond}").fetchone()[0])
        for what, table, cond in UNUSED
    }


def collect(c: sqlite3.Connection) -> None:
    """Delete what :func:`unused` counts (inside the caller's transaction)."""
    for _, table, cond in UNUSED:
        c.execute(f"DELETE FROM {table} WHERE {cond}")

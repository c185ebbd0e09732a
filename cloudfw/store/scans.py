"""Scan history: record a scan atomically, list scans, diff two scans.

A scan is one run of ``audit`` (or ``host audit``, ``events``: ``kind`` says which) over a
``scope``. It keeps the snapshot digest, the coverage, every finding (the JSON contract document,
zlib-compressed, keyed by `Finding.key`) and every rule as (rule set uid, rule key, content
hash), so a diff can say which rules were added, removed or changed and which findings are new
or resolved. Rule sets are stored once per version: an unchanged estate adds one row per rule set.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from cloudfw.export.json_report import finding_to_dict
from cloudfw.model import (
    Action,
    AddressSet,
    Coverage,
    Direction,
    Finding,
    IfaceMatch,
    Intervals,
    Logging,
    Rule,
    RuleSet,
)
from cloudfw.store.db import StoreError, connect, transaction
from cloudfw.store.events import (
    ENUMERATION_SCANS,
    ENUMERATION_SEEN,
    EnumerationTally,
    insert_events,
    insert_seen,
    select_events,
)

BATCH = 5_000


class RuleRow(NamedTuple):
    """One audited rule (a tuple: millions of them cross process pipes and go to SQLite)."""

    ruleset: str
    rule_key: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class ScanInfo:
    id: int
    kind: str
    scope: str
    started_at: str
    digest: str
    tool_version: str
    complete: bool
    findings: int
    rules: int
    events: int = 0  # change events and enumeration records emitted (``events`` scans)


@dataclass(frozen=True, slots=True)
class ScanDiff:
    a: ScanInfo
    b: ScanInfo
    rules_added: tuple[RuleRow, ...]
    rules_removed: tuple[RuleRow, ...]
    rules_changed: tuple[tuple[RuleRow, RuleRow], ...]
    findings_new: tuple[dict[str, Any], ...]
    findings_resolved: tuple[dict[str, Any], ...]


def _addr(a: AddressSet) -> tuple[object, ...]:
    return (a.v4.spans, a.v6.spans, sorted(repr(p) for p in a.symbols), a.universal)


def rule_hash(r: Rule) -> str:
    """A stable hash of what a rule does (where it was read from excluded). Built from the
    model's interval spans, not the printable tokens: about 5x cheaper on big estates; rules of
    an estate repeat a few thousand contents, so each is hashed once."""
    # the parsers intern address and port sets: key on their identity (the entry keeps them
    # alive, so an id is never reused while it is cached)
    key = (id(r.protocols), id(r.ports), id(r.peers), id(r.local), r.direction, r.action,
           r.order, r.layer, r.enabled, r.logging, r.targets, r.quick, r.description,
           r.unresolved, r.in_iface, r.out_iface)  # fmt: skip
    hit = _HASHES.get(key)
    if hit is not None:
        return hit[1]
    if len(_HASHES) > 100_000:
        _HASHES.clear()
    value = _content_hash(
        r.direction,
        r.action,
        r.protocols,
        r.ports,
        r.peers,
        r.local,
        r.order,
        r.layer,
        r.enabled,
        r.logging,
        r.targets,
        r.quick,
        r.description,
        r.unresolved,
        (r.in_iface, r.out_iface),
    )
    _HASHES[key] = ((r.protocols, r.ports, r.peers, r.local), value)
    return value


_HASHES: dict[tuple[object, ...], tuple[tuple[object, ...], str]] = {}


def _content_hash(
    direction: Direction, action: Action, protocols: Intervals, ports: Intervals,
    peers: AddressSet, local: AddressSet, order: int, layer: int, enabled: bool,
    logging: Logging, targets: frozenset[str], quick: bool, description: str, unresolved: str,
    ifaces: tuple[IfaceMatch | None, IfaceMatch | None] = (None, None),
) -> str:  # fmt: skip
    content: tuple[object, ...] = (
        direction.value,
        action.value,
        protocols.spans,
        ports.spans,
        _addr(peers),
        _addr(local),
        order,
        layer,
        enabled,
        logging.value,
        sorted(targets),
        quick,
        description,
        unresolved,
    )
    if ifaces != (None, None):  # bound rules only: the hashes of every other rule stay as stored
        content = (*content, tuple(None if m is None else str(m) for m in ifaces))
    return hashlib.sha256(repr(content).encode()).hexdigest()[:32]


def rule_rows(rulesets: Iterable[RuleSet]) -> Iterator[RuleRow]:
    """Every rule of ``rulesets`` (a snapshot's) as (rule set uid, rule key, content hash)."""
    for rs in rulesets:
        uid = rs.asset.uid
        for r in rs.rules:
            yield RuleRow(uid, r.key, rule_hash(r))


def audit_scope(coverage: Iterable[Coverage]) -> str:
    """The scope of an audit: its sorted scope units (``aws:ACCOUNT:REGION``, ...)."""
    units = sorted({c.scope for c in coverage})
    return ",".join(units) if units else "-"


def _batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while chunk := list(islice(it, BATCH)):
        yield chunk


def _info(row: tuple[Any, ...]) -> ScanInfo:
    return ScanInfo(
        row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7], row[8], row[9]
    )


SCAN_COLUMNS = (
    "id, kind, scope, started_at, digest, tool_version, complete, findings, rules, events"
)


class Store:
    """The scan history in one SQLite file. ``clock`` stamps scans (injected for tests)."""

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self.clock = clock or (lambda: datetime.now(UTC))
        self.conn = connect(path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_scan(
        self,
        kind: str,
        scope: str,
        digest: str,
        coverage: Iterable[Coverage],
        findings: Iterable[Finding],
        rules: Iterable[RuleRow],
        *,
        tool_version: str = "",
        suppressed: Iterable[Finding] = (),
        finding_doc: Callable[[Finding], dict[str, Any]] | None = None,
    ) -> int:
        """Record one scan in a single transaction and return its id. All or nothing: a crash
        or a kill before the commit leaves the store as it was."""
        to_doc = finding_doc or finding_to_dict
        try:
            with transaction(self.conn) as c:
                scan_id = self._insert_scan(c, kind, scope, digest, tool_version, coverage)
                n_findings = 0
                rows = (
                    (
                        scan_id,
                        f.key,
                        f.check,
                        f.severity.label,
                        f.asset.uid,
                        int(sup),
                        zlib.compress(orjson.dumps(to_doc(f)), 1),
                    )
                    for sup, fs in ((False, findings), (True, suppressed))
                    for f in fs
                )
                for chunk in _batches(rows):
                    c.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
                    n_findings += sum(1 for r in chunk if not r[5])
                n_rules = self._record_rules(c, scan_id, rules)
                c.execute(
                    "UPDATE scans SET findings = ?, rules = ? WHERE id = ?",
                    (n_findings, n_rules, scan_id),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: could not record the scan: {exc}") from None
        return scan_id

    def record_events(
        self,
        scope: str,
        digest: str,
        coverage: Iterable[Coverage],
        events: Iterable[Mapping[str, Any] | bytes],
        *,
        tool_version: str = "",
        enumeration: EnumerationTally | None = None,
    ) -> int:
        """Record one ``cloudfw events`` run (kind ``events``): the scan, its coverage, every
        change event document (the jsonl contract) and the ``enumeration`` records' summaries
        (one row per caller and address), all in a single transaction; return its id. The
        scan's ``events`` counts the change events and the enumeration records."""
        try:
            with transaction(self.conn) as c:
                scan_id = self._insert_scan(c, "events", scope, digest, tool_version, coverage)
                n = insert_events(c, scan_id, events)
                if enumeration is not None:
                    insert_seen(c, scan_id, enumeration)
                    n += enumeration.records
                c.execute("UPDATE scans SET events = ? WHERE id = ?", (n, scan_id))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: could not record the events scan: {exc}") from None
        return scan_id

    def _insert_scan(
        self,
        c: sqlite3.Connection,
        kind: str,
        scope: str,
        digest: str,
        tool_version: str,
        coverage: Iterable[Coverage],
    ) -> int:
        """The scan row and its coverage rows (inside the caller's transaction)."""
        cov = list(coverage)
        cur = c.execute(
            "INSERT INTO scans (kind, scope, started_at, digest, tool_version, complete,"
            " findings, rules) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
            (
                kind,
                scope,
                self.clock().isoformat(),
                digest,
                tool_version,
                int(all(x.ok for x in cov)),
            ),
        )
        scan_id = int(cur.lastrowid or 0)
        c.executemany(
            "INSERT INTO coverage VALUES (?, ?, ?, ?, ?, ?)",
            [(scan_id, x.provider, x.scope, x.status.value, x.reason, x.resources) for x in cov],
        )
        return scan_id

    @staticmethod
    def _record_rules(c: sqlite3.Connection, scan_id: int, rules: Iterable[RuleRow]) -> int:
        """Rule sets are stored once per version (rule set uid + digest of its rules); a scan
        points at the versions it saw, so an unchanged estate costs one row per rule set."""
        by_set: dict[str, dict[str, str]] = defaultdict(dict)
        for r in rules:
            by_set[r.ruleset][r.rule_key] = r.content_hash
        versions: list[tuple[Any, ...]] = []
        members_of: dict[tuple[str, str], list[tuple[str, str]]] = {}
        n_rules = 0
        for ruleset, members in by_set.items():
            items = sorted(members.items())
            digest = hashlib.sha256(repr(items).encode()).hexdigest()[:24]
            versions.append((scan_id, ruleset, digest))
            members_of[(ruleset, digest)] = items
            n_rules += len(items)
        if not versions:
            return 0
        for chunk in _batches(versions):
            c.executemany("INSERT OR IGNORE INTO scan_rulesets VALUES (?, ?, ?)", chunk)
        known = c.execute(
            "SELECT v.ruleset, v.digest FROM scan_rulesets v WHERE v.scan_id = ? AND EXISTS "
            "(SELECT 1 FROM ruleset_rules r WHERE r.ruleset = v.ruleset AND r.digest = v.digest)",
            (scan_id,),
        ).fetchall()
        for k in known:  # versions stored by an earlier scan: their rows are there already
            members_of.pop((k[0], k[1]), None)
        rows = ((rs, digest, key, h) for (rs, digest), items in members_of.items()
                for key, h in items)  # fmt: skip
        for chunk in _batches(rows):
            c.executemany("INSERT OR IGNORE INTO ruleset_rules VALUES (?, ?, ?, ?)", chunk)
        return n_rules

    def scans(self, kind: str | None = None, limit: int | None = None) -> list[ScanInfo]:
        """Newest first."""
        sql = f"SELECT {SCAN_COLUMNS} FROM scans"
        args: list[Any] = []
        if kind:
            sql += " WHERE kind = ?"
            args.append(kind)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [_info(r) for r in self._read(sql, args)]

    def scan(self, scan_id: int) -> ScanInfo:
        rows = self._read(f"SELECT {SCAN_COLUMNS} FROM scans WHERE id = ?", [scan_id])
        if not rows:
            raise StoreError(f"{self.path}: no scan {scan_id} (see `cloudfw history`)")
        return _info(rows[0])

    def previous_scan(self, kind: str, scope: str, before: int | None = None) -> ScanInfo | None:
        sql = f"SELECT {SCAN_COLUMNS} FROM scans WHERE kind = ? AND scope = ?"
        args: list[Any] = [kind, scope]
        if before is not None:
            sql += " AND id < ?"
            args.append(before)
        rows = self._read(sql + " ORDER BY id DESC LIMIT 1", args)
        return _info(rows[0]) if rows else None

    def finding_keys(self, scan_id: int) -> set[str]:
        sql = "SELECT key FROM findings WHERE scan_id = ? AND suppressed = 0"
        return {r[0] for r in self._read(sql, [scan_id])}

    def findings(self, scan_id: int) -> dict[str, dict[str, Any]]:
        sql = "SELECT key, doc FROM findings WHERE scan_id = ? AND suppressed = 0 ORDER BY rowid"
        return {r[0]: orjson.loads(zlib.decompress(r[1])) for r in self._read(sql, [scan_id])}

    def rules(self, scan_id: int) -> dict[tuple[str, str], RuleRow]:
        sql = (
            "SELECT r.ruleset, r.rule_key, r.content_hash FROM scan_rulesets s JOIN "
            "ruleset_rules r ON r.ruleset = s.ruleset AND r.digest = s.digest WHERE s.scan_id = ?"
        )
        return {(r[0], r[1]): RuleRow(r[0], r[1], r[2]) for r in self._read(sql, [scan_id])}

    def coverage(self, scan_id: int) -> list[tuple[str, str, str, str, int]]:
        sql = "SELECT provider, scope, status, reason, resources FROM coverage WHERE scan_id = ?"
        return [(r[0], r[1], r[2], r[3], r[4]) for r in self._read(sql, [scan_id])]

    def events(self, scan_id: int) -> list[dict[str, Any]]:
        """The change events an ``events`` scan recorded, in emitted order, then its
        enumeration summaries (``schema: cloudfw.enumeration-seen/1``, one per caller and
        address)."""
        try:
            return list(select_events(self.conn, scan_id))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the scan store: {exc}") from None

    def enumeration_seen(self) -> tuple[list[tuple[str, str, str]], int]:
        """Every distinct (provider, principal, source_ip) of the enumeration records
        (``action = 'enumerate'``) that ``events`` scans stored, and how many scans stored
        some: the first-seen history of ``firewall-enumeration``."""
        rows = self._read(ENUMERATION_SEEN, [])
        scans = self._read(ENUMERATION_SCANS, [])[0][0]
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows], int(scans)

    def diff(self, a: int, b: int) -> ScanDiff:
        """What changed from scan ``a`` to scan ``b``."""
        sa, sb = self.scan(a), self.scan(b)
        ra, rb = self.rules(a), self.rules(b)
        fa, fb = self.findings(a), self.findings(b)
        changed = tuple(
            (ra[k], rb[k])
            for k in sorted(ra.keys() & rb.keys())
            if ra[k].content_hash != rb[k].content_hash
        )
        return ScanDiff(
            a=sa,
            b=sb,
            rules_added=tuple(rb[k] for k in sorted(rb.keys() - ra.keys())),
            rules_removed=tuple(ra[k] for k in sorted(ra.keys() - rb.keys())),
            rules_changed=changed,
            findings_new=tuple(v for k, v in fb.items() if k not in fa),
            findings_resolved=tuple(v for k, v in fa.items() if k not in fb),
        )

    def _read(self, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
        try:
            return list(self.conn.execute(sql, args))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the scan store: {exc}") from None

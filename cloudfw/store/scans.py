"""Scan history: record a scan atomically, list scans, diff two scans.

A scan is one run of ``audit`` (or ``host audit``, ``events``: ``kind`` says which) over a
``scope``. It keeps the snapshot digest, the coverage, every finding (the JSON contract document,
zlib-compressed, keyed by `Finding.key`) and every rule as (rule set uid, rule key, content
hash), so a diff can say which rules were added, removed or changed and which findings are new
or resolved. Findings and rule set versions are content-addressed (`cloudfw.store.content`):
an unchanged estate adds one scan row and its coverage rows. Every scan is hash-chained
(`cloudfw.store.chain`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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
from cloudfw.store.anchor import check_anchor
from cloudfw.store.chain import ChainHead, Verdict, events_hasher, link
from cloudfw.store.chain import heads as chain_heads
from cloudfw.store.chain import verify as verify_chain
from cloudfw.store.content import FindingRow, put_estate, put_findings
from cloudfw.store.db import StoreError, close_writer, connect, connect_readonly, transaction
from cloudfw.store.events import (
    ENUMERATION_SCANS,
    ENUMERATION_SEEN,
    EnumerationTally,
    insert_events,
    insert_seen,
    select_events,
)
from cloudfw.store.prune import PruneResult, store_bytes
from cloudfw.store.prune import prune as run_prune
from cloudfw.store.prune import select as select_prune


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


def _info(row: tuple[Any, ...]) -> ScanInfo:
    return ScanInfo(
        row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7], row[8], row[9]
    )


SCAN_COLUMNS = (
    "id, kind, scope, started_at, digest, tool_version, complete, findings, rules, events"
)


class Store:
    """The scan history in one SQLite file. ``clock`` stamps scans (injected for tests).

    ``readonly`` opens it for reading only (`history`, `diff`, `history verify`, ...): nothing is
    created or written, and recording raises."""

    def __init__(
        self, path: Path, clock: Callable[[], datetime] | None = None, *, readonly: bool = False
    ) -> None:
        self.path = path
        self.clock = clock or (lambda: datetime.now(UTC))
        self.readonly = readonly
        self.conn = connect_readonly(path) if readonly else connect(path)

    def close(self) -> None:
        if self.readonly:
            self.conn.close()
        else:
            close_writer(self.conn)

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
        or a kill before the commit leaves the store as it was. Findings and rules already
        stored by an earlier scan are shared, not written again."""
        to_doc = finding_doc or finding_to_dict
        rows = (
            FindingRow(f.key, f.check, f.severity.label, f.asset.uid, sup, orjson.dumps(to_doc(f)))
            for sup, fs in ((False, findings), (True, suppressed))
            for f in fs
        )
        try:
            with transaction(self.conn) as c:
                scan_id = self._insert_scan(c, kind, scope, digest, tool_version, coverage)
                set_id, set_hash, n_findings = put_findings(c, rows)
                estate_id, e_hash, n_rules = put_estate(c, rules)
                c.execute(
                    "UPDATE scans SET findings = ?, rules = ?, finding_set = ?, estate = ?"
                    " WHERE id = ?",
                    (n_findings, n_rules, set_id, estate_id, scan_id),
                )
                link(c, scan_id, set_hash, e_hash, events_hasher().hexdigest())
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
        sha = events_hasher()
        try:
            with transaction(self.conn) as c:
                scan_id = self._insert_scan(c, "events", scope, digest, tool_version, coverage)
                n = insert_events(c, scan_id, events, sha)
                if enumeration is not None:
                    insert_seen(c, scan_id, enumeration, sha)
                    n += enumeration.records
                c.execute("UPDATE scans SET events = ? WHERE id = ?", (n, scan_id))
                link(c, scan_id, None, None, sha.hexdigest())
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
        sql = (
            "SELECT d.key FROM scans s JOIN finding_set_members m ON m.set_id = s.finding_set"
            " JOIN finding_docs d ON d.id = m.doc_id WHERE s.id = ? AND m.suppressed = 0"
        )
        return {r[0] for r in self._read(sql, [scan_id])}

    def findings(self, scan_id: int) -> dict[str, dict[str, Any]]:
        sql = (
            "SELECT d.key, d.doc FROM scans s"
            " JOIN finding_set_members m ON m.set_id = s.finding_set"
            " JOIN finding_docs d ON d.id = m.doc_id WHERE s.id = ? AND m.suppressed = 0"
            " ORDER BY m.seq"
        )
        return {r[0]: orjson.loads(zlib.decompress(r[1])) for r in self._read(sql, [scan_id])}

    def rules(self, scan_id: int) -> dict[tuple[str, str], RuleRow]:
        sql = (
            "SELECT v.ruleset, m.rule_key, h.hash FROM scans s"
            " JOIN estate_members e ON e.estate_id = s.estate"
            " JOIN ruleset_versions v ON v.id = e.version_id"
            " JOIN rule_members m ON m.version_id = v.id"
            " JOIN rule_hashes h ON h.id = m.hash_id WHERE s.id = ?"
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

    def size(self) -> tuple[int, int]:
        """(bytes on disk, number of scans)."""
        n = int(self._read("SELECT count(*) FROM scans", [])[0][0])
        return store_bytes(self.path), n

    def verify(self) -> Verdict:
        """Recompute the hash chain (`cloudfw.store.chain.verify`)."""
        try:
            return verify_chain(self.conn)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the scan store: {exc}") from None

    def chain_heads(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[ChainHead]:
        """The head of every (kind, scope) chain as of ``until`` (its newest scan that started
        before it), each with the number of its scans that started in [since, until)."""
        try:
            return chain_heads(self.conn, since, until)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the scan store: {exc}") from None

    def chain_head(self, kind: str, scope: str, until: datetime | None = None) -> ChainHead | None:
        """The head of one chain as of ``until`` (None when it has no scan before it)."""
        return next(
            (h for h in self.chain_heads(None, until) if (h.kind, h.scope) == (kind, scope)), None
        )

    def check_anchor(self, doc: dict[str, Any]) -> list[str]:
        """Problems with an anchor's chain heads (`cloudfw.store.chain.check_anchor`)."""
        try:
            return check_anchor(self.conn, doc)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the scan store: {exc}") from None

    def prune(
        self, keep: int | None = None, older_than: datetime | None = None, *, dry_run: bool = False
    ) -> PruneResult:
        """Remove, per chain, the scans beyond the newest ``keep`` and started before
        ``older_than`` (both must hold when both are given), then the content only they used.
        ``dry_run`` changes nothing (and works on a read-only store)."""
        if not dry_run and self.readonly:
            raise StoreError(f"{self.path}: opened read-only: cannot prune")
        try:
            doomed = select_prune(self.conn, keep, older_than)
            return run_prune(self.conn, self.path, doomed, self.clock().isoformat(), dry_run)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: could not prune the scan store: {exc}") from None

    def _read(self, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
        try:
            return list(self.conn.execute(sql, args))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the scan store: {exc}") from None

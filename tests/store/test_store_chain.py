"""The hash-chained history (issue 20 point 2): `history verify` names the first scan that was
edited, removed or inserted in SQLite directly; chain heads go into evidence bundles."""

from __future__ import annotations

import shutil
import sqlite3
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from cloudfw.model import Asset, Coverage, CoverageStatus, Finding, Severity
from cloudfw.store import RuleRow, Store
from cloudfw.store.anchor import CHAIN_FILE
from cloudfw.store.chain import AT_MIGRATION, content_hash, link_hash
from tests.store.conftest import Cli

FIXTURES = Path(__file__).with_name("fixtures")
T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
COV = (Coverage("aws", "aws:1:us-east-1", CoverageStatus.OK, resources=3),)
EV = {
    "provider": "aws", "account": "1", "region": "us-east-1", "time": "2026-10-02T10:00:00Z",
    "action": "authorize", "event_name": "AuthorizeSecurityGroupIngress", "resource_id": "sg-1",
    "principal": "alice", "source_ip": "198.51.100.7", "success": True, "event_id": "e-1",
}  # fmt: skip


def _finding(i: int) -> Finding:
    a = Asset("aws", "1", "us-east-1", "security-group", f"sg-{i}")
    return Finding("allow-all", Severity.HIGH, a, f"open {i}", rule_keys=(f"r{i}",))


def _clock() -> Iterator[datetime]:
    t = T0
    while True:
        yield t
        t += timedelta(days=1)


def _history(path: Path) -> list[int]:
    """Scans 1-5 audit scope ``s`` (2 and 3 identical), 6 an events run; 7 audits scope ``t``."""
    clock = _clock()
    ids = []
    with Store(path, clock=lambda: next(clock)) as db:
        for n in (1, 2, 2, 3, 4):
            rules = [RuleRow("rs-1", f"r{i}", f"{i * n:032x}") for i in range(4)]
            ids.append(db.record_scan("audit", "s", "d", COV, map(_finding, range(n)), rules))
        ids.append(db.record_events("trail", "dig", COV, [EV]))
        ids.append(db.record_scan("audit", "t", "d", COV, [_finding(9)], []))
    return ids


def _sql(path: Path, *statements: str) -> None:
    """Tamper the way anyone with the file can: plain sqlite3, no cloudfw."""
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def _broken(path: Path) -> list[tuple[int, str]]:
    with Store(path, readonly=True) as db:
        return [(b.scan_id, b.kind) for b in db.verify().breaks]


def test_an_untouched_history_verifies(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    assert _history(path) == [1, 2, 3, 4, 5, 6, 7]
    with Store(path, readonly=True) as db:
        v = db.verify()
        assert v.intact and (v.scans, v.chains, v.at_migration) == (7, 3, 0)
        rows = db.conn.execute("SELECT id, seq, prev_id FROM scans ORDER BY id").fetchall()
    assert rows == [(1, 1, None), (2, 2, 1), (3, 3, 2), (4, 4, 3), (5, 5, 4), (6, 1, None),
                    (7, 1, None)]  # fmt: skip
    code, out, _ = cli("history", "verify", "--store", str(path))
    assert code == 0 and out.startswith("history: intact: 7 scan(s) in 3 chain(s)\n")
    assert "  audit s: head scan 5 (#5) " in out


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE scans SET complete = 0 WHERE id = 3", [(3, "edited")]),
        ("UPDATE scans SET started_at = '2026-09-01T00:00:00+00:00' WHERE id = 2", [(2, "edited")]),
        ("UPDATE coverage SET status = 'error' WHERE scan_id = 4", [(4, "edited")]),
        ("UPDATE events SET principal = 'mallory' WHERE scan_id = 6", [(6, "edited")]),
        # shared content: the first scan that uses it is named
        ("UPDATE finding_docs SET severity = 'low' WHERE id = 1", [(1, "edited")]),
        ("UPDATE rule_members SET hash_id = 1 WHERE rule_key = 'r3' AND version_id = 2",
         [(2, "edited")]),
        ("DELETE FROM finding_set_members WHERE set_id = 2 AND seq = 1", [(2, "edited")]),
        ("DELETE FROM scans WHERE id = 3", [(3, "removed")]),
        ("DELETE FROM scans WHERE id = 1", [(1, "removed")]),
        ("INSERT INTO scans (kind, scope, started_at, digest, tool_version, complete, findings,"
         " rules) VALUES ('audit', 's', '2026-10-09T00:00:00+00:00', 'd', '', 1, 0, 0)",
         [(8, "inserted")]),
    ],
)  # fmt: skip
def test_tampering_in_sqlite_is_named(
    cli: Cli, tmp_path: Path, tamper: str, expected: list[tuple[int, str]]
) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)
    _sql(path, tamper)
    assert _broken(path) == expected
    code, out, _ = cli("history", "verify", "--store", str(path))
    assert code == 1
    first_id, first_kind = expected[0]
    assert out.splitlines()[0].startswith(f"history: BROKEN: scan {first_id} (")
    assert f": {first_kind}: " in out.splitlines()[0]


def _forge(path: Path, scan_id: int, **changes: object) -> None:
    """Edit a scan and recompute its own hashes with cloudfw's formulas (a careful forger)."""
    with Store(path) as db:
        c = db.conn
        for k, value in changes.items():
            c.execute(f"UPDATE scans SET {k} = ? WHERE id = ?", (value, scan_id))
        row = c.execute(
            "SELECT id, kind, scope, started_at, digest, tool_version, complete, findings, rules,"
            " events, finding_set, estate, seq, prev_id, prev_hash, chained FROM scans"
            " WHERE id = ?",
            (scan_id,),
        ).fetchone()
        from cloudfw.store.chain import Rehash

        r = Rehash(c)
        cov = c.execute(
            "SELECT provider, scope, status, reason, resources FROM coverage WHERE scan_id = ?",
            (scan_id,),
        ).fetchall()
        content = content_hash(row[:10], cov, r.finding_set(row[10]), r.estate(row[11]),
                               r.events(scan_id))  # fmt: skip
        h = link_hash(row[1], row[2], row[12], row[0], row[13], row[14], content, row[15])
        c.execute("UPDATE scans SET content_hash = ?, hash = ? WHERE id = ?", (content, h, scan_id))


def test_a_rewrite_with_recomputed_hashes_is_named_by_the_next_scan(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)
    _forge(path, 2, complete=0)
    with Store(path, readonly=True) as db:
        (b,) = db.verify().breaks
    assert (b.scan_id, b.kind) == (2, "edited") and "scan 3 still names its old hash" in b.detail


def test_a_forged_middle_scan_is_inserted(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)
    # a copy of scan 2's row as scan 8 of chain 't', after scan 7, with recomputed hashes
    _sql(
        path,
        "INSERT INTO scans (id, kind, scope, started_at, digest, tool_version, complete,"
        " findings, rules, events, finding_set, estate, seq, prev_id, prev_hash, content_hash,"
        " hash, chained) SELECT 8, kind, 't', started_at, digest, tool_version, complete,"
        " findings, rules, events, finding_set, estate, 2, 7, (SELECT hash FROM scans WHERE"
        " id = 7), content_hash, hash, chained FROM scans WHERE id = 2",
    )
    _forge(path, 8)
    with Store(path) as db:  # the real next scan of 't' chains after the forged one...
        db.record_scan("audit", "t", "d", COV, [_finding(9)], [])
    assert _broken(path) == []  # ... so a forged *newest* scan can only be caught by an anchor
    _sql(path, "UPDATE scans SET prev_id = 7, prev_hash = (SELECT hash FROM scans WHERE id = 7)"
         " WHERE id = 9")  # fmt: skip
    _forge(path, 9)  # now 9 skips the forged 8 again: 8 is named as inserted
    assert _broken(path) == [(8, "inserted")]


def test_schema2_scans_are_chained_at_migration(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    shutil.copyfile(FIXTURES / "schema2.sqlite", path)
    with Store(path) as db:
        v = db.verify()
        assert v.intact and (v.scans, v.at_migration) == (4, 4)
        chained = {r[0] for r in db.conn.execute("SELECT chained FROM scans")}
        assert chained == {AT_MIGRATION}
        new = db.record_scan("audit", "aws:123456789012:us-east-1", "d3", COV, [], [])
        row = db.conn.execute("SELECT seq, prev_id, chained FROM scans WHERE id = ?", (new,))
        assert row.fetchone() == (4, 3, 1)
    _sql(path, "UPDATE scans SET digest = 'x' WHERE id = 1")
    assert _broken(path) == [(1, "edited")]


def test_prune_keeps_the_chain_verifiable(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)
    code, _, _ = cli("history", "prune", "--keep", "2", "--store", str(path))
    assert code == 0
    code, out, _ = cli("history", "verify", "--store", str(path))
    assert code == 0 and "3 older scan(s) were pruned" in out
    _sql(path, "DELETE FROM scans WHERE id = 4")  # the oldest kept one
    assert _broken(path) == [(4, "removed")]


def test_chain_head_for_a_window(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)  # scans of 's' started 2026-10-01 .. 10-05
    with Store(path, readonly=True) as db:
        assert db.chain_head("audit", "s", datetime(2026, 10, 3, tzinfo=UTC)).scan_id == 2  # type: ignore[union-attr]
        assert db.chain_head("audit", "s", datetime(2026, 9, 1, tzinfo=UTC)) is None
        heads = db.chain_heads(datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC))
    assert [(h.kind, h.scope, h.scan_id, h.scans_in_window) for h in heads] == [
        ("audit", "s", 4, 3)
    ]


def test_evidence_bundle_anchors_the_chain(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)
    bundle = tmp_path / "q4"
    code, _, err = cli("evidence", "export", "--since", "2026-10-01", "--until",
                        "2026-11-01", "--out", str(bundle), "--store", str(path))  # fmt: skip
    assert code == 0, err
    assert "history-chain.json: 3 chain head(s), 7 scan(s) in the window; history intact" in err
    doc = orjson.loads((bundle / CHAIN_FILE).read_bytes())
    manifest = orjson.loads((bundle / "manifest.json").read_bytes())
    assert CHAIN_FILE in manifest["files"]
    assert doc["intact"] is True
    assert [(h["kind"], h["scope"], h["scan"], h["seq"]) for h in doc["heads"]] == [
        ("audit", "s", 5, 5), ("audit", "t", 7, 1), ("events", "trail", 6, 1)
    ]  # fmt: skip
    code, _, _ = cli("evidence", "verify", str(bundle))
    assert code == 0
    code, out, _ = cli("history", "verify", "--anchor", str(bundle), "--store", str(path))
    assert code == 0 and "1 anchor(s) matched (3 chain head(s))" in out
    with Store(path) as db:  # later scans are fine
        db.record_scan("audit", "s", "d", COV, [], [])
    code, _, _ = cli("history", "verify", "--anchor", str(bundle), "--store", str(path))
    assert code == 0
    # the newest scans removed: the chain alone cannot tell, the anchor can
    _sql(path, "DELETE FROM scans WHERE id >= 5 AND kind = 'audit' AND scope = 's'")
    assert _broken(path) == []
    code, out, _ = cli("history", "verify", "--anchor", str(bundle), "--store", str(path))
    assert code == 1
    assert out == (f"history: BROKEN: {bundle}: scan 5 (audit s): removed: the bundle's chain "
                   "head is no longer in the history\n")  # fmt: skip


def test_export_without_a_history_says_so(cli: Cli, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    missing = tmp_path / "none.sqlite"
    code, _, err = cli("evidence", "export", "--since", "2026-10-01", "--until",
                        "2026-11-01", "--out", str(bundle), "--store", str(missing))  # fmt: skip
    assert code == 0 and f"no scan history at {missing}: no {CHAIN_FILE}" in err
    assert not missing.exists() and not (bundle / CHAIN_FILE).exists()


def test_a_finding_document_swapped_for_another_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _history(path)
    doc = orjson.loads(zlib.decompress(
        sqlite3.connect(path).execute("SELECT doc FROM finding_docs WHERE id = 2").fetchone()[0]
    ))  # fmt: skip
    doc["severity"] = "info"
    _sql(path, f"UPDATE finding_docs SET doc = x'{zlib.compress(orjson.dumps(doc)).hex()}'"
         " WHERE id = 2")  # fmt: skip
    assert _broken(path)[0] == (2, "edited")

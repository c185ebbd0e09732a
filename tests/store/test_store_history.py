"""The scan store: atomic records, diffs, migrations, refusing foreign or corrupt files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Finding,
    Rule,
    RuleSet,
    Severity,
    Snapshot,
    parse_ports,
    parse_protocol,
)
from cloudfw.store import MIGRATIONS, Store, StoreError, audit_scope, rule_rows
from cloudfw.store.db import APPLICATION_ID

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SG = Asset("aws", "1", "us-east-1", "security-group", "sg-1")
COV = (Coverage("aws", "aws:1:us-east-1", CoverageStatus.OK, resources=1),)


def _rule(key: str, ports: str) -> Rule:
    return Rule(
        key=key,
        direction=Direction.INGRESS,
        action=Action.ALLOW,
        protocols=parse_protocol("tcp"),
        ports=parse_ports(ports),
        peers=AddressSet.parse_many(("0.0.0.0/0",)),
    )


def _snap(*rules: Rule) -> Snapshot:
    rs = RuleSet(asset=SG, semantics=EvalSemantics.ALLOW_UNION, rules=rules)
    return Snapshot((rs,), COV, T0, "t")


def _finding(check: str, rule: str) -> Finding:
    return Finding(check, Severity.HIGH, SG, f"{check} via {rule}", rule_keys=(rule,))


def _store(path: Path) -> Store:
    return Store(path, clock=lambda: T0)


def test_record_list_and_diff(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    s1 = _snap(_rule("r-ssh", "22"), _rule("r-web", "443"), _rule("r-old", "8080"))
    s2 = _snap(_rule("r-ssh", "22"), _rule("r-web", "443-444"), _rule("r-new", "3389"))
    f_ssh, f_old, f_rdp = (
        _finding("internet-ingress[ssh]", "r-ssh"),
        _finding("allow-all", "r-old"),
        _finding("internet-ingress[rdp]", "r-new"),
    )
    with _store(path) as db:
        scope = audit_scope(COV)
        a = db.record_scan("audit", scope, "d1", COV, [f_ssh, f_old], rule_rows(s1.rulesets))
        b = db.record_scan("audit", scope, "d2", COV, [f_ssh, f_rdp], rule_rows(s2.rulesets))
        assert [s.id for s in db.scans()] == [b, a]
        info = db.scan(a)
        assert (info.findings, info.rules, info.digest, info.complete) == (2, 3, "d1", True)
        assert info.started_at == T0.isoformat()
        assert db.previous_scan("audit", "aws:1:us-east-1", before=b) == info
        assert db.previous_scan("audit", "other-scope") is None
        d = db.diff(a, b)
    assert [r.rule_key for r in d.rules_added] == ["r-new"]
    assert [r.rule_key for r in d.rules_removed] == ["r-old"]
    assert [b_.rule_key for _, b_ in d.rules_changed] == ["r-web"]
    assert [f["key"] for f in d.findings_new] == [f_rdp.key]
    assert [f["key"] for f in d.findings_resolved] == [f_old.key]
    assert d.findings_new[0]["check"] == "internet-ingress[rdp]"  # the JSON contract document


def test_rule_hash_ignores_origin_only() -> None:
    from dataclasses import replace

    from cloudfw.model import SourceRef

    r = _rule("r", "22")
    moved = replace(r, origin=SourceRef("api", "ec2:DescribeSecurityGroupRules"))
    widened = replace(r, ports=parse_ports("22-23"))
    (h,), (h_moved,), (h_wide,) = (list(rule_rows(_snap(x).rulesets)) for x in (r, moved, widened))
    assert h == h_moved and h != h_wide


def test_rule_hash_sees_interface_bindings_and_keeps_unbound_hashes() -> None:
    from dataclasses import replace

    from cloudfw.model import IfaceMatch

    r = _rule("r", "22")
    on_eth1 = replace(r, in_iface=IfaceMatch.of(["eth1"]))
    on_wg0 = replace(r, in_iface=IfaceMatch.of(["wg0"]))
    hashes = [next(iter(rule_rows(_snap(x).rulesets))).content_hash for x in (r, on_eth1, on_wg0)]
    assert len(set(hashes)) == 3
    assert hashes[0] == "bf4480ce2d2d97c1579e338c70d9e88b"  # as stored before interfaces existed


def test_a_failing_record_leaves_nothing(tmp_path: Path) -> None:
    def boom() -> list[Finding]:
        raise RuntimeError("collector died")

    with _store(tmp_path / "h.sqlite") as db:
        db.record_scan("audit", "s", "d0", COV, [], [])

        def findings():  # type: ignore[no-untyped-def]
            yield _finding("allow-all", "r1")
            boom()

        with pytest.raises(RuntimeError):
            db.record_scan("audit", "s", "d1", COV, findings(), [])
        assert [s.digest for s in db.scans()] == ["d0"]
        assert db.conn.execute("SELECT count(*) FROM finding_docs").fetchone()[0] == 0


def test_schema_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    db = _store(path)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # while writing
    db.close()  # the last writer leaves the file in rollback mode, with no -wal/-shm
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.sqlite"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this cloudfw"):
        _store(path)


def test_foreign_sqlite_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a cloudfw scan store"):
        _store(path)
    assert path.read_bytes() == before


def test_garbage_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    garbage = b"this is not a database\x00\xff" * 100
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match="not an SQLite database"):
        _store(path)
    assert path.read_bytes() == garbage


def test_damaged_sqlite_file_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with _store(path) as db:
        db.record_scan("audit", "s", "d", COV, [_finding("allow-all", "r")], [])
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xee" * (4096 - 100)  # wreck page 1 after the header (the schema)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt or unreadable"):
        _store(path)
    assert path.read_bytes() == bytes(data)


def test_unchanged_rule_sets_are_stored_once(tmp_path: Path) -> None:
    snap = _snap(_rule("r-ssh", "22"), _rule("r-web", "443"))
    changed = _snap(_rule("r-ssh", "22"), _rule("r-web", "8443"))
    with _store(tmp_path / "h.sqlite") as db:
        ids = [
            db.record_scan("audit", "s", "d", COV, [], rule_rows(s.rulesets))
            for s in (snap, snap, snap, changed)
        ]
        stored = db.conn.execute("SELECT count(*) FROM rule_members").fetchone()[0]
        assert stored == 4  # two versions of one rule set, two rules each
        assert db.conn.execute("SELECT count(*) FROM estates").fetchone()[0] == 2
        assert all(len(db.rules(i)) == 2 for i in ids)
        assert db.diff(ids[0], ids[2]).rules_changed == ()
        assert [b.rule_key for _, b in db.diff(ids[2], ids[3]).rules_changed] == ["r-web"]

"""Store hygiene (issue 18 point 7): content shared across scans, prune, read commands that
never write, the size line."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudfw.model import Asset, Coverage, CoverageStatus, Finding, Severity
from cloudfw.store import RuleRow, Store
from tests.store.conftest import Cli

FIXTURES = Path(__file__).with_name("fixtures")
T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
COV = (Coverage("aws", "aws:1:us-east-1", CoverageStatus.OK, resources=3),)
CONTENT = ("finding_docs", "finding_sets", "finding_set_members", "rule_hashes",
           "ruleset_versions", "rule_members", "estates", "estate_members")  # fmt: skip


def _findings(n: int, extra: str = "") -> list[Finding]:
    out = []
    for i in range(n):
        a = Asset("aws", "1", "us-east-1", "security-group", f"sg-{i}")
        out.append(Finding("allow-all", Severity.HIGH, a, f"open {i}{extra}", rule_keys=(f"r{i}",)))
    return out


def _rules(n: int, changed: int | None = None) -> list[RuleRow]:
    return [
        RuleRow(f"aws:1:us-east-1:security-group:sg-{i // 10}", f"r{i}",
                f"{i + (10**6 if i == changed else 0):032x}")
        for i in range(n)
    ]  # fmt: skip


def _clock(start: datetime = T0, step: timedelta = timedelta(days=1)) -> Iterator[datetime]:
    t = start
    while True:
        yield t
        t += step


def _counts(db: Store) -> dict[str, int]:
    return {t: db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in CONTENT}


def _files(root: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_an_unchanged_estate_adds_no_content_rows(tmp_path: Path) -> None:
    clock = _clock()
    with Store(tmp_path / "h.sqlite", clock=lambda: next(clock)) as db:
        first = db.record_scan("audit", "s", "d", COV, _findings(50), _rules(200))
        once = _counts(db)
        assert once["finding_docs"] == 50 and once["rule_members"] == 200
        again = [db.record_scan("audit", "s", "d", COV, _findings(50), _rules(200)) for _ in "ab"]
        assert _counts(db) == once  # only the scan and coverage rows were added
        assert db.findings(again[-1]) == db.findings(first)
        assert db.rules(again[-1]) == db.rules(first)
        # one finding and one rule change: one new document, one new rule set version (of 10
        # rules), a new finding set and estate pointing at the shared rest
        changed = _findings(50)
        changed[0] = _findings(1, extra=" now wider")[0]
        last = db.record_scan("audit", "s", "d", COV, changed, _rules(200, changed=5))
        grown = {k: v - once[k] for k, v in _counts(db).items()}
        assert grown == {
            "finding_docs": 1, "finding_sets": 1, "finding_set_members": 50, "rule_hashes": 1,
            "ruleset_versions": 1, "rule_members": 10, "estates": 1, "estate_members": 20,
        }  # fmt: skip
        d = db.diff(again[-1], last)
        assert [b.rule_key for _, b in d.rules_changed] == ["r5"]
        assert len(d.findings_new) == len(d.findings_resolved) == 0  # same keys, new text
        assert db.findings(last)[changed[0].key]["message"] == "open 0 now wider"


def test_prune_keeps_the_newest_per_chain_and_diffs_of_kept_scans(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    clock = _clock()
    with Store(path, clock=lambda: next(clock)) as db:
        ids = [
            db.record_scan("audit", scope, "d", COV, _findings(n), _rules(10 * n, changed=n))
            for n, scope in zip(range(1, 9), "abababab", strict=True)
        ]
        assert ids == list(range(1, 9))
        kept_a, kept_b = (5, 7), (6, 8)  # the newest two of each scope
        before = db.diff(kept_a[0], kept_a[1]), db.diff(kept_b[0], kept_b[1])
        plan = db.prune(keep=2, dry_run=True)
        assert plan.scans == (1, 2, 3, 4) and plan.dry_run
        assert plan.unused["finding documents"] == 0  # every document is in a kept scan too
        assert plan.unused["rule set versions"] > 0
        assert len(db.scans()) == 8  # the dry run changed nothing
        done = db.prune(keep=2)
        assert done.scans == plan.scans and done.unused == plan.unused
        assert [s.id for s in db.scans()] == [8, 7, 6, 5]
        assert (db.diff(kept_a[0], kept_a[1]), db.diff(kept_b[0], kept_b[1])) == before
        assert all(v == 0 for v in db.prune(keep=2, dry_run=True).unused.values())
        assert db.verify().intact
        assert db.conn.execute("SELECT count(*) FROM coverage").fetchone()[0] == 4


def test_prune_older_than_with_keep_needs_both(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    clock = _clock()
    with Store(path, clock=lambda: next(clock)) as db:
        for _ in range(5):  # 2026-10-01 .. 2026-10-05
            db.record_scan("audit", "s", "d", COV, _findings(2), _rules(4))
    code, out, _ = cli("history", "prune", "--older-than", "2026-10-04", "--keep", "4",
                        "--dry-run", "--store", str(path))  # fmt: skip
    assert code == 0 and out.startswith("prune: would remove 1 scan(s) (scans 1)\n")
    code, out, _ = cli("history", "prune", "--older-than", "2026-10-04", "--store", str(path))
    assert code == 0 and "prune: removed 3 scan(s) (scans 1-3)" in out and "prune: store" in out
    with Store(path, readonly=True) as db:
        assert [s.id for s in db.scans()] == [5, 4]
    code, _, err = cli("history", "prune", "--store", str(path))
    assert code == 2 and "give --keep N, --older-than AGE, or both" in err


def test_prune_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with Store(path) as db:
        for n in range(6):
            db.record_scan("audit", "s", "d", COV, _findings(300, f"#{n}"), _rules(3000, n))
        r = db.prune(keep=1)
    assert r.bytes_after < r.bytes_before / 3
    assert path.stat().st_size <= r.bytes_after  # its -shm is gone once closed


def _v2_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "old" / "history.sqlite"
    dest.parent.mkdir()
    shutil.copyfile(FIXTURES / "schema2.sqlite", dest)
    return dest


@pytest.mark.parametrize("case", ["missing", "empty", "schema2", "current"])
def test_read_commands_never_create_or_write_the_store(cli: Cli, tmp_path: Path, case: str) -> None:
    root = tmp_path / "old"
    path = root / "history.sqlite"
    if case == "schema2":
        _v2_copy(tmp_path)
    elif case != "missing":
        root.mkdir()
        path.touch()
        if case == "current":
            with Store(path) as db:
                db.record_scan("audit", "s", "d", COV, _findings(3), _rules(30))
    before = _files(tmp_path)
    reads = [
        ("history",), ("history", "-f", "json"), ("history", "verify"),
        ("history", "verify", "-f", "json"), ("history", "prune", "--keep", "0", "--dry-run"),
        ("diff", "1", "2"),
    ]  # fmt: skip
    for args in reads:
        code, _, err = cli(*args, "--store", str(path))
        assert "Traceback" not in err, (args, err)
        assert code in (0, 2), (args, code, err)  # 2: diff of scans an empty store lacks
        assert _files(tmp_path) == before, args
    assert root.exists() == (case != "missing")


def test_history_shows_the_store_size(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with Store(path) as db:
        for _ in range(4):
            db.record_scan("audit", "s", "d", COV, _findings(3), _rules(30))
    size = path.stat().st_size
    code, out, _ = cli("history", "--store", str(path))
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"store: {path}: ") and f"({size:,} bytes), 4 scan(s)" in last
    assert last.endswith("/scan")
    code, out, err = cli("history", "--store", str(path), "-f", "json")
    assert code == 0 and out.startswith("[") and f"({size:,} bytes)" in err


def test_a_schema2_store_reads_in_memory_then_migrates_on_write(tmp_path: Path) -> None:
    path = _v2_copy(tmp_path)
    raw = path.read_bytes()
    with Store(path, readonly=True) as db:
        assert [s.id for s in db.scans()] == [4, 3, 2, 1]
        upgraded_in_memory = db.diff(1, 2)
    assert path.read_bytes() == raw
    with Store(path) as db:  # a writer migrates the file itself
        d = db.diff(1, 2)
        assert d == upgraded_in_memory
        assert [r.rule_key for r in d.rules_added] == ["sgr-3389"]
        assert [b.rule_key for _, b in d.rules_changed] == ["sgr-443"]
        assert [f["check"] for f in d.findings_new] == ["internet-ingress[rdp]"]
        assert db.diff(2, 3).rules_changed == () and db.finding_keys(3) == db.finding_keys(2)
        assert db.events(4)[0]["event_name"] == "AuthorizeSecurityGroupIngress"
        # scans 2 and 3 were identical: the migration shares their content
        assert db.conn.execute("SELECT count(*) FROM estates").fetchone()[0] == 2
        assert db.conn.execute("SELECT count(*) FROM finding_docs").fetchone()[0] == 2
    assert not ({p.name for p in path.parent.iterdir()} - {"history.sqlite"})

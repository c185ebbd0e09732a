"""`cloudfw events --store/--no-store`: each run recorded atomically with its digest, coverage and
every event; `history` lists it; old stores migrate forward; a killed writer leaves nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cloudfw.model import Coverage, CoverageStatus
from cloudfw.store import MIGRATIONS, Store, default_store_path
from cloudfw.store.db import APPLICATION_ID
from tests.store.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
GCP = ROOT / "fixtures" / "events" / "gcp" / "audit-entries.json"
WORKER = str(Path(__file__).with_name("events_worker.py"))


def test_events_run_is_recorded_with_digest_and_every_event(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    code, out, err = cli("events", str(GCP), "--store", str(store))
    assert code == 0, err
    assert "recorded scan 1 (6 events)" in err
    with Store(store) as db:
        [scan] = db.scans()
        assert (scan.kind, scan.scope, scan.complete, scan.events) == ("events", str(GCP), True, 6)
        assert (scan.findings, scan.rules) == (0, 0)
        assert scan.digest == hashlib.sha256(out.encode()).hexdigest()
        assert db.events(scan.id) == [json.loads(line) for line in out.splitlines()]
        assert db.coverage(scan.id) == [("events", str(GCP), "ok", "", 6)]
        row = db.conn.execute(
            "SELECT provider, event_name, success FROM events WHERE scan_id = ? ORDER BY rowid",
            [scan.id],
        ).fetchone()
        first = json.loads(out.splitlines()[0])
        assert row == (first["provider"], first["event_name"], int(first["success"]))


def test_digest_is_stable_across_runs_and_formats(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    for fmt in ("jsonl", "jsonl", "table"):
        code, _, err = cli("events", str(GCP), "--store", str(store), "-f", fmt)
        assert code == 0, err
    with Store(store) as db:
        scans = db.scans()
        assert [s.id for s in scans] == [3, 2, 1]
        assert len({s.digest for s in scans}) == 1
        assert {s.events for s in scans} == {6}


def test_unreadable_file_makes_the_scan_incomplete_and_is_located(cli: Cli, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(GCP, logs / "audit-entries.json")
    (logs / "broken.json").write_text("garbage{")
    store = tmp_path / "h.sqlite"
    code, _, err = cli("events", str(logs), "--store", str(store))
    assert code == 3, err
    with Store(store) as db:
        [scan] = db.scans()
        assert not scan.complete and scan.events == 6
        cov = db.coverage(scan.id)
        assert cov[0][:3] == ("events", str(logs), "error") and cov[0][4] == 6
        assert "1 input(s)" in cov[0][3]
        assert [c[1] for c in cov[1:]] == [str(logs / "broken.json")]
        assert cov[1][2] == "error" and "not JSON" in cov[1][3]


def test_history_lists_events_scans_and_keeps_the_json_fields(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    assert cli("events", str(GCP), "--store", str(store))[0] == 0
    code, out, _ = cli("history", "--store", str(store), "--kind", "events", "-f", "json")
    assert code == 0
    [doc] = json.loads(out)
    assert doc["kind"] == "events" and doc["events"] == 6
    old = {"id", "kind", "scope", "started_at", "digest", "tool_version", "complete"}
    assert old | {"findings", "rules", "events"} == set(doc)
    code, out, _ = cli("history", "--store", str(store))
    header, _, row = out.splitlines()[:3]
    assert header.split()[-1] == "EVENTS" and row.split()[2] == "events"
    assert row.split()[-1] == "6"


def test_no_store_records_nothing_and_the_default_store_is_used(cli: Cli, tmp_path: Path) -> None:
    default = default_store_path()
    assert str(default).startswith(str(tmp_path))  # the store conftest's private data dir
    code, _, err = cli("events", str(GCP), "--no-store")
    assert code == 0 and "recorded" not in err
    assert not default.exists()
    code, _, err = cli("events", str(GCP))
    assert code == 0 and str(default) in err
    with Store(default) as db:
        assert [s.kind for s in db.scans()] == ["events"]


def test_a_file_that_is_not_a_store_is_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("my notes\n")
    code, _, err = cli("events", str(GCP), "--store", str(bogus))
    assert code == 2
    assert err.strip().splitlines()[-1].startswith(f"cloudfw: error: {bogus}: not a cloudfw")
    assert bogus.read_text() == "my notes\n"


def _old_store(path: Path) -> None:
    """A store as the previous cloudfw left it: schema version 1, one audit scan."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO scans VALUES (7, 'audit', 'aws:1:us-east-1', '2026-11-01T12:00:00+00:00',"
        " 'abc', '0.0.9', 1, 1, 2)"
    )
    conn.execute("INSERT INTO coverage VALUES (7, 'aws', 'aws:1:us-east-1', 'ok', '', 3)")
    conn.close()


def test_a_version_1_store_migrates_forward_and_keeps_its_scans(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "old.sqlite"
    _old_store(store)
    with Store(store) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 2
        [old] = db.scans()
        assert (old.id, old.kind, old.digest, old.findings, old.rules) == (7, "audit", "abc", 1, 2)
        assert old.events == 0 and db.coverage(7) == [("aws", "aws:1:us-east-1", "ok", "", 3)]
    assert cli("events", str(GCP), "--store", str(store))[0] == 0
    with Store(store) as db:
        assert [(s.id, s.kind, s.events) for s in db.scans()] == [(8, "events", 6), (7, "audit", 0)]
        # deleting a scan takes its events with it (ON DELETE CASCADE)
        db.conn.execute("DELETE FROM scans WHERE id = 8")
        assert db.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_sigkill_mid_write_leaves_no_partial_events_scan(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    cov = (Coverage("events", "small", CoverageStatus.OK, resources=1),)
    with Store(path) as db:
        db.record_events("small", "d0", cov, [{"provider": "aws", "event_id": "e0"}])
        before = db.scans()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    big = subprocess.Popen(
        [sys.executable, WORKER, str(path), "400000"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert big.stdout is not None
    assert big.stdout.readline().strip() == "started"
    wal = path.with_name(path.name + "-wal")
    deadline = time.monotonic() + 60
    # wait until the uncommitted transaction is spilling pages into the WAL: mid-write
    while not (wal.exists() and wal.stat().st_size > 4_000_000):
        assert big.poll() is None, "the big events scan finished before it could be killed"
        assert time.monotonic() < deadline, "the big events scan never started writing"
        time.sleep(0.02)
    big.send_signal(signal.SIGKILL)
    big.wait(timeout=30)
    assert big.returncode == -signal.SIGKILL
    with Store(path) as db:
        assert db.scans() == before
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = db.conn.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM coverage)"
        ).fetchone()
        assert counts == (1, 1)  # the small scan's rows, nothing of the killed one
        assert db.events(before[0].id) == [{"provider": "aws", "event_id": "e0"}]
        db.record_events("after", "d1", cov, [])
        assert db.scans()[0].scope == "after"

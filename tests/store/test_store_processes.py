"""Real processes: two concurrent writers lose nothing; SIGKILL mid-write leaves no partial scan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cloudfw.store import Store

WORKER = str(Path(__file__).with_name("store_worker.py"))
ROOT = Path(__file__).resolve().parents[2]


def _worker(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    Store(path).close()  # create + migrate once, so both writers race on records only
    procs = [_worker("loop", str(path), tag, "15") for tag in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Store(path) as db:
        scans = db.scans()
        assert len(scans) == 30
        assert {s.scope for s in scans} == {"scope-a", "scope-b"}
        assert {s.digest for s in scans} == {f"digest-{t}-{i}" for t in "ab" for i in range(15)}
        for s in scans:
            assert (s.findings, s.rules) == (20, 20)
            assert len(db.finding_keys(s.id)) == 20 and len(db.rules(s.id)) == 20


def test_sigkill_mid_write_leaves_previous_scans_intact(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    proc = _worker("loop", str(path), "old", "3")
    assert proc.wait(timeout=60) == 0
    with Store(path) as db:
        before = db.scans()
    big = _worker("big", str(path), "400000")
    assert big.stdout is not None
    assert big.stdout.readline().strip() == "started"
    wal = path.with_name(path.name + "-wal")
    deadline = time.monotonic() + 60
    # wait until the uncommitted transaction is spilling pages into the WAL: mid-write
    while not (wal.exists() and wal.stat().st_size > 4_000_000):
        assert big.poll() is None, "the big scan finished before it could be killed"
        assert time.monotonic() < deadline, "the big scan never started writing"
        time.sleep(0.02)
    big.send_signal(signal.SIGKILL)
    big.wait(timeout=30)
    assert big.returncode == -signal.SIGKILL
    with Store(path) as db:
        assert db.scans() == before
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = db.conn.execute(
            "SELECT (SELECT count(*) FROM finding_docs), (SELECT count(*) FROM rule_members),"
            " (SELECT count(*) FROM estate_members)"
        ).fetchone()
        assert counts == (60, 60, 60)  # the three old scans' rows, nothing of the killed one
        assert db.verify().intact
        # and the store still takes new scans
        db.record_scan("audit", "after", "d", (), [], [])
        assert db.scans()[0].scope == "after"

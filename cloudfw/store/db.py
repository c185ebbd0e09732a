"""The SQLite file: opening it safely, versioned migrations, transactions.

* WAL mode, ``busy_timeout`` and ``BEGIN IMMEDIATE`` for every write: two processes recording
  at once queue up instead of losing data, and a killed writer leaves no partial scan (SQLite
  rolls the unfinished transaction back from the WAL on the next open).
* Migrations are an ordered list; ``PRAGMA user_version`` says how many have been applied, and
  ``PRAGMA application_id`` marks the file as a cloudfw store.
* A file that is not an SQLite database, or an SQLite database that is not a cloudfw store, is
  refused with a one-line error. Nothing ever rewrites or truncates it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cloudfw.model import CloudfwError

SQLITE_HEADER = b"SQLite format 3\x00"
APPLICATION_ID = 0x43465731  # "CFW1"
BUSY_TIMEOUT_MS = 30_000

#: Each entry is one schema version: a list of statements. Append only; never edit a released one.
MIGRATIONS: Sequence[Sequence[str]] = (
    (
        """CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            started_at TEXT NOT NULL,
            digest TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            complete INTEGER NOT NULL,
            findings INTEGER NOT NULL,
            rules INTEGER NOT NULL
        )""",
        "CREATE INDEX scans_kind_scope ON scans (kind, scope, id)",
        """CREATE TABLE coverage (
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            provider TEXT NOT NULL,
            scope TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            resources INTEGER NOT NULL
        )""",
        "CREATE INDEX coverage_scan ON coverage (scan_id)",
        """CREATE TABLE findings (
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            check_id TEXT NOT NULL,
            severity TEXT NOT NULL,
            resource TEXT NOT NULL,
            suppressed INTEGER NOT NULL,
            doc BLOB NOT NULL
        )""",
        "CREATE INDEX findings_scan_key ON findings (scan_id, key)",
        """CREATE TABLE ruleset_rules (
            ruleset TEXT NOT NULL,
            digest TEXT NOT NULL,
            rule_key TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            PRIMARY KEY (ruleset, digest, rule_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE scan_rulesets (
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            ruleset TEXT NOT NULL,
            digest TEXT NOT NULL,
            PRIMARY KEY (scan_id, ruleset)
        ) WITHOUT ROWID""",
    ),
    (  # 2: `cloudfw events` runs: every change event emitted (doc: the jsonl contract line)
        "ALTER TABLE scans ADD COLUMN events INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE events (
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            event_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            time TEXT NOT NULL,
            action TEXT NOT NULL,
            event_name TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            principal TEXT NOT NULL,
            source_ip TEXT NOT NULL,
            success INTEGER NOT NULL,
            doc TEXT NOT NULL
        )""",
        "CREATE INDEX events_scan ON events (scan_id)",
    ),
)


class StoreError(CloudfwError):
    """The scan history store cannot be opened, read or written."""


def _looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when missing) and migrate the store at ``path``."""
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path}: store path is not a regular file")
        if path.stat().st_size and not _looks_like_sqlite(path):
            raise StoreError(
                f"{path}: not a cloudfw scan store (not an SQLite database); "
                "left untouched: move it away or pass another --store"
            )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the scan store: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_identity(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: corrupt or unreadable scan store: {exc}") from None
    except StoreError:
        conn.close()
        raise
    return conn


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id == 0 and version == 0 and tables == 0:
        return  # a new, empty database
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{path}: an SQLite database but not a cloudfw scan store; left untouched: "
            "pass another --store"
        )
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path}: scan store schema version {version} is newer than this cloudfw "
            f"understands ({len(MIGRATIONS)}); upgrade cloudfw"
        )


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Apply the pending migrations in one transaction; return the schema version."""
    with transaction(conn):
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for number in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
        if version < len(MIGRATIONS):
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    return len(MIGRATIONS)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

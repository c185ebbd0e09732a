"""The SQLite file: opening it safely, versioned migrations, transactions.

* WAL mode, ``busy_timeout`` and ``BEGIN IMMEDIATE`` for every write: two processes recording
  at once queue up instead of losing data, and a killed writer leaves no partial scan (SQLite
  rolls the unfinished transaction back from the WAL on the next open).
* Migrations are an ordered list; ``PRAGMA user_version`` says how many have been applied, and
  ``PRAGMA application_id`` marks the file as a cloudfw store. A step is an SQL statement or a
  function of the connection (for data that SQL alone cannot move, such as hashing).
* Writers close with ``PRAGMA optimize`` and, when they are the last connection, put the file back
  in rollback-journal mode (the WAL is checkpointed into it): a reader then opens the file alone,
  ``mode=ro``, and never creates the ``-wal`` / ``-shm`` files that a WAL database needs.
* Read commands open the file read-only (:func:`connect_readonly`) and never create, migrate or
  write it; a store that an older cloudfw wrote is upgraded in a private in-memory copy.
* A file that is not an SQLite database, or an SQLite database that is not a cloudfw store, is
  refused with a one-line error. Nothing ever rewrites or truncates it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cloudfw.model import CloudfwError
from cloudfw.store import upgrade

SQLITE_HEADER = b"SQLite format 3\x00"
APPLICATION_ID = 0x43465731  # "CFW1"
BUSY_TIMEOUT_MS = 30_000

Step = str | Callable[[sqlite3.Connection], None]

#: Each entry is one schema version: a list of steps. Append only; never edit a released one.
MIGRATIONS: Sequence[Sequence[Step]] = (
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
    (  # 3: content-addressed findings and rules (cloudfw.store.content): repeats cost ~nothing
        """CREATE TABLE finding_docs (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            key TEXT NOT NULL,
            check_id TEXT NOT NULL,
            severity TEXT NOT NULL,
            resource TEXT NOT NULL,
            doc BLOB NOT NULL
        )""",
        "CREATE TABLE finding_sets (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE)",
        """CREATE TABLE finding_set_members (
            set_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            doc_id INTEGER NOT NULL,
            suppressed INTEGER NOT NULL,
            PRIMARY KEY (set_id, seq)
        ) WITHOUT ROWID""",
        "CREATE TABLE rule_hashes (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE)",
        """CREATE TABLE ruleset_versions (
            id INTEGER PRIMARY KEY,
            ruleset TEXT NOT NULL,
            digest TEXT NOT NULL,
            UNIQUE (ruleset, digest)
        )""",
        """CREATE TABLE rule_members (
            version_id INTEGER NOT NULL,
            rule_key TEXT NOT NULL,
            hash_id INTEGER NOT NULL,
            PRIMARY KEY (version_id, rule_key)
        ) WITHOUT ROWID""",
        "CREATE TABLE estates (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE)",
        """CREATE TABLE estate_members (
            estate_id INTEGER NOT NULL,
            version_id INTEGER NOT NULL,
            PRIMARY KEY (estate_id, version_id)
        ) WITHOUT ROWID""",
        "ALTER TABLE scans ADD COLUMN finding_set INTEGER",
        "ALTER TABLE scans ADD COLUMN estate INTEGER",
        """INSERT INTO ruleset_versions (ruleset, digest)
            SELECT DISTINCT ruleset, digest FROM ruleset_rules ORDER BY ruleset, digest""",
        """INSERT INTO rule_hashes (hash)
            SELECT DISTINCT content_hash FROM ruleset_rules ORDER BY content_hash""",
        """INSERT INTO rule_members
            SELECT v.id, r.rule_key, h.id FROM ruleset_rules r
            JOIN ruleset_versions v ON v.ruleset = r.ruleset AND v.digest = r.digest
            JOIN rule_hashes h ON h.hash = r.content_hash""",
        upgrade.move_to_content_store,
        "DROP TABLE findings",
        "DROP TABLE scan_rulesets",
        "DROP TABLE ruleset_rules",
    ),
    (  # 4: the hash chain (cloudfw.store.chain); scans recorded before it are chained here
        "ALTER TABLE scans ADD COLUMN seq INTEGER",
        "ALTER TABLE scans ADD COLUMN prev_id INTEGER",
        "ALTER TABLE scans ADD COLUMN prev_hash TEXT",
        "ALTER TABLE scans ADD COLUMN content_hash TEXT",
        "ALTER TABLE scans ADD COLUMN hash TEXT",
        "ALTER TABLE scans ADD COLUMN chained INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE chain_checkpoints (
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            scan_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            pruned INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (kind, scope)
        )""",
        upgrade.chain_existing_scans,
    ),
)


class StoreError(CloudfwError):
    """The scan history store cannot be opened, read or written."""


def _looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when missing) and migrate the store at ``path``, for writing."""
    _refuse_foreign(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)

    def setup(conn: sqlite3.Connection) -> sqlite3.Connection:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
        return conn

    return _open(path, str(path), False, setup)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open the store at ``path`` for reading only. Never creates, migrates or writes the file:
    a store of an older schema is copied into memory and upgraded there, and a missing or empty
    file reads as an empty store (in memory)."""
    _refuse_foreign(path)
    if not path.exists() or path.stat().st_size == 0:
        memory = sqlite3.connect(":memory:", isolation_level=None)
        migrate(memory, path)
        return memory
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if _wal_without_log(path):
        uri += "&immutable=1"  # nothing in a WAL to read, and opening one would create it

    def setup(conn: sqlite3.Connection) -> sqlite3.Connection:
        conn.execute("PRAGMA temp_store = MEMORY")
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) < len(MIGRATIONS):
            memory = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(memory)
            conn.close()
            migrate(memory, path)
            return memory
        return conn

    return _open(path, uri, True, setup)


def _open(
    path: Path,
    target: str,
    uri: bool,
    setup: Callable[[sqlite3.Connection], sqlite3.Connection],
) -> sqlite3.Connection:
    """Connect, check that the file is a cloudfw store, then ``setup``; one-line errors.

    Opening races a writer that is closing (it may be switching the file between WAL and
    rollback-journal mode, which SQLite reports as "database is locked" without waiting on the
    busy timeout): a busy open is tried again until the busy timeout has passed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn = sqlite3.connect(
                target, uri=uri, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the scan store: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _check_identity(conn, path)
            return setup(conn)
        except sqlite3.OperationalError as exc:
            conn.close()
            if _busy(exc) and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise StoreError(f"{path}: corrupt or unreadable scan store: {exc}") from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: corrupt or unreadable scan store: {exc}") from None
        except StoreError:
            conn.close()
            raise


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def close_writer(conn: sqlite3.Connection) -> None:
    """``PRAGMA optimize``, then, when no other connection is open, fold the WAL back into the
    file and leave it in rollback-journal mode (so read-only opens need no ``-wal``/``-shm``);
    the next writer switches to WAL again. Either step is skipped when another process is busy."""
    try:
        conn.execute("PRAGMA optimize")
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error:
        pass  # another connection is open: it (or the last one to close) does this
    finally:
        conn.close()


def _wal_without_log(path: Path) -> bool:
    """A file left in WAL mode (header bytes 18-19 are 2) with no ``-wal`` file beside it: the
    database is fully checkpointed, and no writer is running."""
    with path.open("rb") as f:
        header = f.read(20)
    wal = path.with_name(path.name + "-wal")
    return header[18:20] == b"\x02\x02" and not wal.exists()


def _refuse_foreign(path: Path) -> None:
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path}: store path is not a regular file")
        if path.stat().st_size and not _looks_like_sqlite(path):
            raise StoreError(
                f"{path}: not a cloudfw scan store (not an SQLite database); "
                "left untouched: move it away or pass another --store"
            )


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
            for step in MIGRATIONS[number]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
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

"""Data steps of the schema migrations that SQL alone cannot do (hashing, compressing).

Each function runs once, inside the migration transaction, against the schema of its own
version; later code must not change what they compute.
"""

from __future__ import annotations

import sqlite3
import zlib

from cloudfw.store.content import FindingRow, estate_hash, put_findings


def move_to_content_store(c: sqlite3.Connection) -> None:
    """Schema 3: every existing scan's findings become a finding set and its rule set versions
    an estate (``ruleset_rules`` has already been moved to ``rule_members`` by SQL)."""
    scans = [(int(r[0]), r[1]) for r in c.execute("SELECT id, kind FROM scans ORDER BY id")]
    for scan_id, kind in scans:
        if kind == "events":
            continue
        rows = c.execute(
            "SELECT key, check_id, severity, resource, suppressed, doc FROM findings"
            " WHERE scan_id = ? ORDER BY rowid",
            (scan_id,),
        ).fetchall()
        found = (
            FindingRow(r[0], r[1], r[2], r[3], bool(r[4]), zlib.decompress(r[5])) for r in rows
        )
        set_id, _, _ = put_findings(c, found)
        c.execute("UPDATE scans SET finding_set = ? WHERE id = ?", (set_id, scan_id))
        versions = c.execute(
            "SELECT v.id, v.ruleset, v.digest FROM scan_rulesets s JOIN ruleset_versions v"
            " ON v.ruleset = s.ruleset AND v.digest = s.digest WHERE s.scan_id = ?",
            (scan_id,),
        ).fetchall()
        e_hash = estate_hash((r[1], r[2]) for r in versions)
        hit = c.execute("SELECT id FROM estates WHERE hash = ?", (e_hash,)).fetchone()
        if hit is None:
            estate_id = int(
                c.execute("INSERT INTO estates (hash) VALUES (?)", (e_hash,)).lastrowid or 0
            )
            c.executemany(
                "INSERT INTO estate_members VALUES (?, ?)", [(estate_id, r[0]) for r in versions]
            )
        else:
            estate_id = int(hit[0])
        c.execute("UPDATE scans SET estate = ? WHERE id = ?", (estate_id, scan_id))


def chain_existing_scans(c: sqlite3.Connection) -> None:
    """Schema 4: chain the scans recorded before the chain existed, oldest first, marked
    ``chained = 2`` (at migration): the chain proves they are unchanged since the upgrade."""
    from cloudfw.store.chain import link_all

    link_all(c, chained=2)

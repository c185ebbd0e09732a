"""`cloudfw history prune`: drop the oldest scans of each chain, then the content nobody uses.

A prune only ever removes the *oldest* scans of a (kind, scope) chain, so every kept scan keeps
its predecessor or the chain checkpoint (`cloudfw.store.chain.record_checkpoints`), and every
kept scan's findings and rules stay (content is shared and only deleted once no kept scan refers
to it): diffs and ``--new-only`` between kept scans are unchanged. The file is vacuumed
afterwards, so it actually shrinks.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cloudfw.store.chain import record_checkpoints
from cloudfw.store.content import collect, mark_doomed, unused
from cloudfw.store.db import transaction


@dataclass(frozen=True, slots=True)
class PruneResult:
    scans: tuple[int, ...]
    unused: dict[str, int] = field(default_factory=dict)
    bytes_before: int = 0
    bytes_after: int = 0
    dry_run: bool = True


def store_bytes(path: Path) -> int:
    """The file and its ``-wal`` / ``-shm`` companions, in bytes (0 when missing)."""
    parts = (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
    return sum(p.stat().st_size for p in parts if p.is_file())


def select(c: sqlite3.Connection, keep: int | None, before: datetime | None) -> list[int]:
    """The scans to remove: per chain, those beyond the newest ``keep`` *and* started before
    ``before`` (either criterion alone when the other is None), extended to every older scan of
    the chain, so that only a chain's oldest scans ever go."""
    if keep is None and before is None:
        return []
    chains: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for sid, kind, scope, started in c.execute(
        "SELECT id, kind, scope, started_at FROM scans ORDER BY id DESC"
    ):
        chains[(kind, scope)].append((sid, started))
    doomed: list[int] = []
    for rows in chains.values():
        cut = next(
            (
                i
                for i, (_, started) in enumerate(rows)
                if (keep is None or i >= keep)
                and (before is None or datetime.fromisoformat(started) < before)
            ),
            None,
        )
        if cut is not None:
            doomed.extend(sid for sid, _ in rows[cut:])
    return sorted(doomed)


def prune(
    c: sqlite3.Connection, path: Path, doomed: list[int], at: str, dry_run: bool
) -> PruneResult:
    """Remove ``doomed`` and the content only they used (``dry_run``: count it, change
    nothing; works on a read-only connection)."""
    before = store_bytes(path)
    if dry_run:
        mark_doomed(c, doomed)
        return PruneResult(tuple(doomed), unused(c), before, before, True)
    with transaction(c):
        mark_doomed(c, doomed)
        counts = unused(c)
        record_checkpoints(c, doomed, at)
        collect(c)
        c.execute("DELETE FROM scans WHERE id IN (SELECT id FROM temp.doomed)")
    if doomed or any(counts.values()):
        c.execute("VACUUM")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return PruneResult(tuple(doomed), counts, before, store_bytes(path), False)

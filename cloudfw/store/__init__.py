"""Scan history in an embedded SQLite store (``--store PATH``; default under the user data dir)."""

from __future__ import annotations

from pathlib import Path

from cloudfw.store.chain import Break, ChainHead, Verdict
from cloudfw.store.db import MIGRATIONS, StoreError
from cloudfw.store.prune import PruneResult
from cloudfw.store.scans import RuleRow, ScanDiff, ScanInfo, Store, audit_scope, rule_rows

__all__ = [
    "MIGRATIONS",
    "Break",
    "ChainHead",
    "PruneResult",
    "RuleRow",
    "ScanDiff",
    "ScanInfo",
    "Store",
    "StoreError",
    "Verdict",
    "audit_scope",
    "default_store_path",
    "rule_rows",
]


def default_store_path() -> Path:
    """``<user data dir>/cloudfw/history.sqlite`` (honours ``XDG_DATA_HOME`` on Linux)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("cloudfw")) / "history.sqlite"

"""Anchors: chain heads kept outside the store, in evidence bundles (``history-chain.json``).

`evidence export` writes :func:`anchor_doc` into the bundle (covered by its manifest); `history
verify --anchor BUNDLE` checks with :func:`check_anchor` that every head it recorded is still in
the history with the same hash: then every scan up to it is unchanged, and removing the newest
scans (which a chain alone cannot show) is caught.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from cloudfw.store.chain import ChainHead, Verdict
from cloudfw.store.db import StoreError

CHAIN_FILE = "history-chain.json"
ANCHOR_SCHEMA = "cloudfw.history-chain/1"


def anchor_doc(
    verdict: Verdict, found: list[ChainHead], window: dict[str, str | None]
) -> dict[str, Any]:
    """The bundle's ``history-chain.json``: every chain's head as of the window's end, and
    whether the chain verified when the bundle was written."""
    return {
        "schema": ANCHOR_SCHEMA,
        "window": window,
        "intact": verdict.intact,
        "problems": [str(b) for b in verdict.breaks],
        "heads": [
            {"kind": h.kind, "scope": h.scope, "scan": h.scan_id, "seq": h.seq, "hash": h.hash,
             "started_at": h.started_at, "scans_in_window": h.scans_in_window}
            for h in found
        ],
    }  # fmt: skip


def load_anchor(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise StoreError(f"{path}: no such file (the bundle was exported without a scan history)")
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise StoreError(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("schema") != ANCHOR_SCHEMA:
        raise StoreError(f"{path}: schema: expected {ANCHOR_SCHEMA!r}")
    heads = doc.get("heads")
    if not isinstance(heads, list) or not all(
        isinstance(h, dict) and isinstance(h.get("scan"), int) and isinstance(h.get("hash"), str)
        for h in heads
    ):
        raise StoreError(f"{path}: heads: expected a list of {{scan, hash, ...}} objects")
    return doc


def check_anchor(c: sqlite3.Connection, doc: dict[str, Any]) -> list[str]:
    """What no longer matches the chain heads of an anchor document (empty: all match)."""
    out: list[str] = []
    for h in doc["heads"]:
        sid, want = h["scan"], h["hash"]
        where = f"scan {sid} ({h.get('kind')} {h.get('scope')})"
        row = c.execute("SELECT hash FROM scans WHERE id = ?", (sid,)).fetchone()
        if row is not None:
            if row[0] != want:
                out.append(f"{where}: edited since the bundle: its hash is no longer {want}")
            continue
        cp = c.execute(
            "SELECT seq, hash FROM chain_checkpoints WHERE kind = ? AND scope = ?",
            (h.get("kind"), h.get("scope")),
        ).fetchone()
        if cp is None or cp[0] < h.get("seq", 0) or (cp[0] == h.get("seq") and cp[1] != want):
            out.append(f"{where}: removed: the bundle's chain head is no longer in the history")
    return out

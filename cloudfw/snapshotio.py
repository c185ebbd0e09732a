"""Reading and writing snapshot files (``cloudfw collect … --out``, ``audit --snapshot``)."""

from __future__ import annotations

import gc
import gzip
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import orjson

from cloudfw.model import CloudfwError, Snapshot
from cloudfw.model.serde import (
    DecodeError,
    document_digest,
    snapshot_digest,
    snapshot_from_dict,
    snapshot_to_dict,
)

MAX_SNAPSHOT_BYTES = 4 * 1024**3


class SnapshotFileError(CloudfwError):
    """A snapshot file that cannot be read; the message names the file and field or position."""


def read_snapshot(path: Path) -> Snapshot:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SnapshotFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size > MAX_SNAPSHOT_BYTES:
        raise SnapshotFileError(f"{path}: {size} bytes is larger than the 4 GiB limit")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SnapshotFileError(f"{path}: cannot read: {exc}") from None
    with _bulk_allocation():
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            line = _line_of(raw, exc.pos)
            raise SnapshotFileError(f"{path}: line {line}: invalid JSON: {exc.msg}") from None
        try:
            snap = snapshot_from_dict(doc)
        except DecodeError as exc:
            raise SnapshotFileError(f"{path}: {exc}") from None
        return replace(snap, digest_hint=document_digest(doc, _canonical))


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Decoding allocates millions of long-lived, acyclic objects: the cyclic GC would rescan
    them again and again (about 40% of the time). Pause it, then freeze what was built so later
    collections skip it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _line_of(raw: bytes, pos: int) -> int:
    return raw.count(b"\n", 0, max(pos, 0)) + 1


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write atomically: a killed run never leaves a half-written snapshot behind."""
    data = orjson.dumps(snapshot_to_dict(snapshot), option=orjson.OPT_INDENT_2)
    if path.suffix == ".gz":
        data = gzip.compress(data)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SnapshotFileError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _canonical(doc: object) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def digest(snapshot: Snapshot) -> str:
    """`cloudfw.model.serde.snapshot_digest`, with orjson producing the same canonical bytes."""
    return snapshot_digest(snapshot, _canonical)

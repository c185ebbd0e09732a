"""Reading and writing snapshot files (``cloudfw collect … --out``, ``audit --snapshot``).

Files are written in the *line layout*: compact JSON with the header (schema, time, coverage,
warnings) on the first line, then one rule set per line, each in canonical JSON (sorted keys),
sorted by asset identity (provider, account, region, type, id), then ``]}``. It is one ordinary
JSON document (any JSON tool reads it, ``jq .`` pretty-prints it), diffable line by line per rule
set, and cloudfw streams it back one rule set at a time, so only one rule set's JSON tree is ever
alive and the digest is hashed as the lines go by (the lines are the digest's own bytes; lines
as the writer makes them are decoded straight into the model by `cloudfw.snaplines`); one
account's rule sets are adjacent, which `cloudfw.sharded` relies on. Any other layout of the same
document (hand-written, pretty-printed) is read as one document instead.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from cloudfw.model import CloudfwError, RuleSet, Snapshot
from cloudfw.model.encode import asset_order
from cloudfw.model.serde import (
    DecodeError,
    document_digest,
    ruleset_from_dict,
    ruleset_to_dict,
    snapshot_digest,
    snapshot_from_dict,
    snapshot_to_dict,
)
from cloudfw.snaplines import LineDecoder

Key = tuple[str, ...]  # `asset_order` of a rule set: the digest's (and the files') order
MAX_SNAPSHOT_BYTES = 4 * 1024**3
_HEAD_END = b',"rulesets":[\n'  # the first line of the line layout ends so
TAIL = b"]}"  # and its last line is this
_COMMA = ord(",")
_READ_ERRORS = (OSError, EOFError, zlib.error)


class SnapshotFileError(CloudfwError):
    """A snapshot file that cannot be read; the message names the file and field or position."""


def read_snapshot(path: Path) -> Snapshot:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SnapshotFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size > MAX_SNAPSHOT_BYTES:
        raise SnapshotFileError(f"{path}: {size} bytes is larger than the 4 GiB limit")
    with _bulk_allocation():
        try:
            snap = _read_lines(path)
            if snap is None:  # not in the line layout: parse it as one document
                snap = _read_document(path)
        except _READ_ERRORS as exc:
            raise SnapshotFileError(f"{path}: cannot read: {exc}") from None
        except DecodeError as exc:
            raise SnapshotFileError(f"{path}: {exc}") from None
        return snap


def open_snapshot(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _read_document(path: Path) -> Snapshot:
    with open_snapshot(path) as f:
        raw = f.read()
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        line = raw.count(b"\n", 0, max(exc.pos, 0)) + 1
        raise SnapshotFileError(f"{path}: line {line}: invalid JSON: {exc.msg}") from None
    snap = snapshot_from_dict(doc)
    return replace(snap, digest_hint=document_digest(doc, canonical))


class NotLineLayout(Exception):  # a signal between readers, never shown
    """The file deviates from the line layout: read it as one document instead."""


def _read_lines(path: Path) -> Snapshot | None:
    """Stream the line layout; None when the file deviates from it in any way (the caller then
    reads it as one document, which also locates real syntax errors)."""
    with open_snapshot(path) as f:
        head = read_header(f)
        if head is None:
            return None
        base = snapshot_from_dict(head)
        digest = _StreamDigest(head)
        rulesets: list[RuleSet] = []
        lines = LineDecoder()
        try:
            for body in layout_bodies(f):
                rs = lines.decode(body)  # a canonical line: its bytes are its digest bytes
                if rs is not None:
                    digest.add(asset_order(rs.asset), body)
                else:
                    d = _object(body)
                    rs = ruleset_from_dict(d, f"$.rulesets[{len(rulesets)}]")
                    digest.add(asset_order(rs.asset), canonical(d))
                rulesets.append(rs)
        except NotLineLayout:
            return None
    keys: list[Key] = [asset_order(rs.asset) for rs in rulesets]
    try:
        hint = digest.hexdigest() or _sorted_digest(path, head, keys)
    except NotLineLayout:  # the file changed under us: read it again, whole
        return None
    return replace(base, rulesets=tuple(rulesets), digest_hint=hint)


def read_header(f: io.BufferedIOBase) -> dict[str, Any] | None:
    """The header object of a line-layout file (its first line), or None."""
    first = f.readline()
    if first[:1] != b"{" or not first.endswith(_HEAD_END):
        return None
    try:
        head = orjson.loads(first[: -len(_HEAD_END)] + b"}")
    except orjson.JSONDecodeError:
        return None
    return head if type(head) is dict and "rulesets" not in head else None


def layout_bodies(f: io.BufferedIOBase) -> Iterator[bytes]:
    """After `read_header`: each rule-set line's JSON, without its comma. Raises NotLineLayout
    on any deviation (a missing or extra comma, no closing line, anything after it)."""
    comma, seen = True, False  # `comma`: the previous rule-set line ended with one
    for line in f:
        body = line[:-1] if line[-1:] == b"\n" else line
        if body == TAIL:
            if (seen and comma) or f.read().strip():
                raise NotLineLayout
            return
        if not comma or len(body) < 2:
            raise NotLineLayout
        comma, seen = body[-1] == _COMMA, True
        yield body[:-1] if comma else body
    raise NotLineLayout  # truncated: no closing line


def _object(body: bytes) -> dict[str, Any]:
    try:
        d = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise NotLineLayout from None
    if type(d) is not dict:
        raise NotLineLayout
    return d


def lines_digest(path: Path, head: dict[str, Any]) -> str:
    """The digest of a line-layout file *if* every rule-set line is canonical JSON and the lines
    are in digest order (as `encode_snapshot` writes them): its lines are then the canonical
    document's own bytes, hashed as they are. The caller must have checked both."""
    pre, post = canonical_frame(head)
    h = hashlib.sha256(pre)
    with open_snapshot(path) as f:
        f.readline()
        for i, body in enumerate(layout_bodies(f)):
            if i:
                h.update(b",")
            h.update(body)
    h.update(post)
    return h.hexdigest()


class _StreamDigest:
    """`document_digest` of the whole document, hashed rule set by rule set while they arrive in
    its sort order (`asset_order`), as `encode_snapshot` writes them. ``hexdigest`` is
    empty when they did not arrive sorted."""

    def __init__(self, head: dict[str, Any]) -> None:
        self._pre, self._post = canonical_frame(head)
        self._hash = hashlib.sha256(self._pre)
        self._last: Key | None = None
        self._sorted = True

    def add(self, key: Key, canonical_bytes: bytes) -> None:
        if not self._sorted:
            return
        if self._last is not None:
            if key < self._last:
                self._sorted = False
                return
            self._hash.update(b",")
        self._last = key
        self._hash.update(canonical_bytes)

    def hexdigest(self) -> str:
        if not self._sorted:
            return ""
        self._hash.update(self._post)
        return self._hash.hexdigest()


def canonical_frame(head: dict[str, Any]) -> tuple[bytes, bytes]:
    """The canonical bytes of the digested body around its rule sets: ``…"rulesets":[`` and
    ``]…``. Keys are sorted, and ``"rulesets":[]`` can only be the key itself (inside JSON
    strings its quotes would be escaped)."""
    body = {k: v for k, v in head.items() if k != "collected_at"}
    body["rulesets"] = []
    pre, post = canonical(body).split(b'"rulesets":[]', 1)
    return pre + b'"rulesets":[', b"]" + post


def _sorted_digest(path: Path, head: dict[str, Any], keys: list[Key]) -> str:
    """The digest of a line-layout file whose rule sets are not in digest order (``keys``, one
    per line): a second pass that keeps each line's canonical bytes and hashes them sorted."""
    with open_snapshot(path) as f:
        f.readline()
        canon = [canonical(_object(body)) for body in layout_bodies(f)]
    if len(canon) != len(keys):
        raise NotLineLayout
    order = sorted(range(len(keys)), key=keys.__getitem__)
    pre, post = canonical_frame(head)
    h = hashlib.sha256(pre)
    h.update(b",".join(canon[i] for i in order))
    h.update(post)
    return h.hexdigest()


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


def encode_lines(snapshot: Snapshot) -> Iterator[bytes]:
    """The line layout (see the module docstring), one line at a time: only one rule set's
    JSON is ever built."""
    rulesets = sorted(snapshot.rulesets, key=lambda rs: asset_order(rs.asset))
    doc = snapshot_to_dict(replace(snapshot, rulesets=()))
    del doc["rulesets"]
    yield orjson.dumps(doc)[:-1] + _HEAD_END
    last = len(rulesets) - 1
    for i, rs in enumerate(rulesets):
        yield canonical(ruleset_to_dict(rs)) + (b",\n" if i < last else b"\n")
    yield TAIL + b"\n"


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The line layout (see the module docstring), as one byte string."""
    return b"".join(encode_lines(snapshot))


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write atomically (`write_atomic`), streaming: line by line (gzip-compressed for a
    ``.gz`` path), so the file's bytes are never all in memory."""
    try:
        write_atomic(path, encode_lines(snapshot), compress=path.suffix == ".gz")
    except OSError as exc:
        raise SnapshotFileError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_atomic(path: Path, data: bytes | Iterable[bytes], *, compress: bool = False) -> None:
    """Write ``data`` (bytes, or chunks of them; gzip-compressed if ``compress``) through a
    temporary file renamed into place: a killed run never leaves a half-written file behind,
    and a failed write leaves no temporary file either."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    chunks = [data] if isinstance(data, bytes) else data
    try:
        with tmp.open("wb") as raw:
            out: io.BufferedIOBase = raw
            if compress:
                out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
            with out:
                for chunk in chunks:
                    out.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def canonical(doc: object) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def digest(snapshot: Snapshot) -> str:
    """`cloudfw.model.serde.snapshot_digest`, with orjson producing the same canonical bytes."""
    return snapshot_digest(snapshot, canonical)

"""Reading raw records from files and streams, with flat memory. Format sniffed per file.

Layouts recognised from the first bytes (after gzip, which is detected by its magic number):

* a container object whose first key is ``Records`` (CloudTrail file), ``records`` (Azure Event
  Hub / storage), ``Events`` (LookupEvents CLI output), ``entries`` (GCP ``entries.list``) or
  ``QueryResultRows`` (CloudTrail Lake ``GetQueryResults``);
* a JSON array of records (GCP export, Lake rows, anything);
* JSON Lines (Azure storage blobs, GCS sinks, EventBridge archives);
* a single JSON object (one record, or a container whose array is not the first key).

Inputs up to ``buffer_limit`` bytes (decompressed) are parsed in one go with orjson; larger ones
are streamed with ijson (or line by line), so memory never depends on the input size. A corrupt
or truncated input still yields every record before the damage, then raises :class:`FileDamage`.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple, cast

import ijson  # type: ignore[import-untyped]
import orjson
import simdjson

CONTAINERS = {
    "Records": "aws",
    "records": "azure",
    "Events": "lookup",
    "entries": "gcp",
    "QueryResultRows": "lake",
}
DEFAULT_BUFFER_LIMIT = 32 * 1024 * 1024
CHUNK = 1024 * 1024
SNIFF = 64 * 1024  # always read this much to tell the layout apart
_FIRST_KEY = re.compile(rb'^\s*\{\s*"([^"\\]{1,64})"\s*:\s*(\S)')
READ_ERRORS = (EOFError, OSError, zlib.error, gzip.BadGzipFile)


class FileDamage(Exception):
    """Raised after the salvageable records of a damaged input were yielded."""


class Raw(NamedTuple):  # a tuple: one is built for every record that is not skipped
    kind: str  # aws | lookup | lake | azure | gcp | auto
    position: str  # record index (0-based) or "line N"
    data: Any  # the record, or SKIPPED when the pre-filter knew it is not a firewall change


#: takes a record's JSON and index; returns what to yield in its place, or None to have the
#: record yielded as a `Raw` after all
ReadHook = Callable[[bytes, str], object]


class Skipped:
    """Counts the records the lazy pre-filter never turned into Python objects."""

    def __init__(self) -> None:
        self.count = 0


def _lazy_container(
    body: bytes,
    container: str,
    kind: str,
    names: frozenset[str],
    skipped: Skipped,
    reads: frozenset[str] = frozenset(),
    read: ReadHook | None = None,
) -> Iterator[Raw | object]:
    """A buffered CloudTrail-style document through simdjson's lazy parser: only records whose
    ``eventName`` is in ``names`` (or that lack one) become Python objects; the others are only
    counted in ``skipped``. Records named in ``reads`` go to ``read`` first (see `iter_raw`).
    Raises ValueError on invalid JSON before yielding anything."""
    doc = simdjson.Parser().parse(body)
    items = doc.get(container) if isinstance(doc, simdjson.Object) else None
    if not isinstance(items, simdjson.Array):
        raise ValueError("no container array")
    records: Iterable[Any] = items  # Object | Array | scalar: duck-typed in the hot loop
    for i, rec in enumerate(records):
        try:
            name = rec.get("eventName")
        except AttributeError:  # not an object: let the reader report it
            data = rec.as_list() if isinstance(rec, simdjson.Array) else rec
            yield Raw(kind, str(i), data)
            continue
        if name.__class__ is str and name not in names:
            skipped.count += 1
        elif read is not None and name in reads and (got := read(rec.mini, str(i))) is not None:
            yield got
        else:
            yield Raw(kind, str(i), rec.as_dict())


class _Chain(io.RawIOBase):
    """Bytes already read, followed by the rest of a stream."""

    def __init__(self, head: bytes, rest: IO[bytes] | None) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self._rest is None:
            return 0
        data = self._rest.read(len(buf))
        buf[: len(data)] = data
        return len(data)


class _Gunzip(io.RawIOBase):
    """Streaming gunzip (multi-member) that hands out every byte it could decompress, then ends
    the stream and records ``error`` for a truncated or corrupt input (``gzip.GzipFile`` would
    raise and lose the last block instead)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(wbits=31)
        self._pending = memoryview(b"")
        self._done = False
        self.error = ""

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        while not self._pending:
            if self._done:
                return 0
            chunk = self._d.unconsumed_tail
            if self._d.eof and self._d.unused_data:  # the next gzip member
                chunk = self._d.unused_data
                self._d = zlib.decompressobj(wbits=31)
            elif not chunk:
                chunk = self._raw.read(64 * 1024)
            if not chunk:
                self._done = True
                if not self._d.eof:
                    self.error = "truncated input (gzip stream ended before its end marker)"
                return 0
            try:
                out = self._d.decompress(chunk, CHUNK)  # bounded: memory stays flat
            except zlib.error as e:
                self._done = True
                self.error = f"corrupt gzip data ({e})"
                out = b""
            self._pending = memoryview(out)
        n = min(len(buf), len(self._pending))
        buf[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def open_maybe_gzip(raw: IO[bytes]) -> IO[bytes]:
    """Wrap ``raw`` in a streaming gunzip when it starts with the gzip magic number."""
    magic = raw.read(2)
    chained = _Chain(magic, raw)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], io.BufferedReader(_Gunzip(cast(IO[bytes], chained)), CHUNK))
    return io.BufferedReader(chained, buffer_size=CHUNK)


def stream_error(stream: IO[bytes]) -> str:
    """The decompression error recorded on a stream from :func:`open_maybe_gzip`, if any."""
    return str(getattr(getattr(stream, "raw", None), "error", ""))


def _read_head(stream: IO[bytes], limit: int) -> tuple[bytes, bool, str]:
    """Read up to ``limit + 1`` bytes. Returns (data, reached_eof, read_error)."""
    parts: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = stream.read(min(CHUNK, limit + 1 - size))
            if not chunk:
                return b"".join(parts), True, stream_error(stream)
            parts.append(chunk)
            size += len(chunk)
    except READ_ERRORS as e:
        return b"".join(parts), True, _describe(e)
    return b"".join(parts), False, ""


def _describe(e: BaseException) -> str:
    if isinstance(e, EOFError):
        return f"truncated input ({e})"
    return f"unreadable input ({type(e).__name__}: {e})"


def _doc_records(doc: Any) -> Iterator[Raw]:
    if isinstance(doc, list):
        for i, rec in enumerate(doc):
            yield Raw("auto", str(i), rec)
        return
    if isinstance(doc, dict):
        for key, kind in CONTAINERS.items():
            if isinstance(doc.get(key), list):
                for i, rec in enumerate(doc[key]):
                    yield Raw(kind, str(i), rec)
                return
        yield Raw("auto", "0", doc)
        return
    raise FileDamage(f"expected a JSON object or array, got {type(doc).__name__}")


class _LineCounter:
    """A binary stream that counts the lines handed out (to locate a streaming parse error)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.line = 1

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.line += data.count(b"\n")
        return data


def _first_line(e: BaseException) -> str:
    """yajl's messages end with a multi-line excerpt; the first line says what went wrong."""
    return next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)


def _stream_items(stream: IO[bytes], prefix: str, kind: str) -> Iterator[Raw]:
    i = 0
    counter = _LineCounter(stream)
    try:
        for rec in ijson.items(counter, prefix, use_float=True):
            yield Raw(kind, str(i), rec)
            i += 1
    except ijson.JSONError as e:
        where = f"at or before line {counter.line}"
        raise FileDamage(f"invalid JSON after record {i}, {where}: {_first_line(e)}") from None
    except READ_ERRORS as e:
        raise FileDamage(f"{_describe(e)} after record {i}") from None


def _salvage(body: bytes, prefix: str, kind: str, error: orjson.JSONDecodeError) -> Iterator[Raw]:
    """The records before the damage in a buffered document, then one located FileDamage."""
    n = 0
    try:
        for raw in _stream_items(io.BytesIO(body), prefix, kind):
            n += 1
            yield raw
    except FileDamage:
        pass
    where = f"line {error.lineno} column {error.colno}"
    raise FileDamage(f"invalid JSON after record {n}, at {where}: {error.msg}")


def _stream_lines(stream: IO[bytes]) -> Iterator[Raw]:
    bad: list[str] = []
    n = 0
    try:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                bad.append(f"line {n}: invalid JSON ({e})")
                continue
            yield Raw("auto", f"line {n}", rec)
    except READ_ERRORS as e:
        raise FileDamage(f"{_describe(e)} after line {n}") from None
    if bad:
        raise FileDamage("; ".join(bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""))


def _one_document(head: bytes) -> bool:
    """A large input starting with '{': one (pretty-printed or huge) document, or JSON Lines?"""
    nl = head.find(b"\n")
    if nl < 0:
        return True  # the first line is longer than the buffer: not a record per line
    try:
        orjson.loads(head[:nl])
    except orjson.JSONDecodeError:
        return True  # the first line is not a whole JSON value
    return False


def _stream_document(stream: IO[bytes]) -> Iterator[Raw]:
    """Records of the first known container array anywhere at the top level of one document."""
    builder: Any = None
    kind, depth, i = "", 0, 0
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if builder is not None:
                builder.event(event, value)
                depth += event in ("start_map", "start_array")
                depth -= event in ("end_map", "end_array")
                if depth == 0:
                    yield Raw(kind, str(i), builder.value)
                    builder, i = None, i + 1
                continue
            key, dot, leaf = prefix.rpartition(".")
            if leaf != "item" or dot == "" or key not in CONTAINERS or event == "end_array":
                continue
            if kind and kind != CONTAINERS[key]:
                continue  # only the first container counts
            kind = CONTAINERS[key]
            if event in ("start_map", "start_array"):
                builder, depth = ijson.ObjectBuilder(), 1
                builder.event(event, value)
            else:
                yield Raw(kind, str(i), value)
                i += 1
    except ijson.JSONError as e:
        raise FileDamage(f"invalid JSON after record {i}: {_first_line(e)}") from None
    if not kind:
        raise FileDamage("a large JSON document without a Records/records/Events/entries array")


def iter_raw(
    stream: IO[bytes],
    buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    aws_names: frozenset[str] | None = None,
    skipped: Skipped | None = None,
    aws_reads: frozenset[str] = frozenset(),
    read: ReadHook | None = None,
) -> Iterator[Raw | object]:
    """Every record in one (already decompressed) input; raises FileDamage at the end if the
    input is damaged (after yielding what could be salvaged). With ``aws_names``, buffered
    CloudTrail files are parsed lazily and records with another ``eventName`` are only counted
    in ``skipped``; a plain CloudTrail record named in ``aws_reads`` is first handed to
    ``read`` (its minified JSON and its index), and what that returns is yielded in its place
    (a `Raw` of it when None: `cloudfw.events.trailread` decodes reads without a dict each)."""
    head, eof, read_error = _read_head(stream, max(buffer_limit, SNIFF))
    rest = None if eof else stream
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        if read_error:
            raise FileDamage(read_error)
        return
    m = _FIRST_KEY.match(body[:4096])
    container = m.group(1).decode() if m and m.group(2) == b"[" else ""
    kind = CONTAINERS.get(container, "")
    whole = eof and not read_error and len(head) <= buffer_limit
    if whole and aws_names is not None and skipped is not None and kind in ("aws", "lookup"):
        reads = aws_reads if kind == "aws" else frozenset()
        lazy = _lazy_container(body, container, kind, aws_names, skipped, reads, read)
        try:
            head_rec = next(lazy, None)  # simdjson validates the whole document here
        except (ValueError, RuntimeError):  # RuntimeError: a number past 64 bits (BIGINT_ERROR)
            pass  # invalid JSON: orjson below locates the error, ijson salvages
        else:
            if head_rec is not None:
                yield head_rec
            yield from lazy
            return
    if whole and (body[:1] == b"[" or kind):
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            prefix = f"{container}.item" if kind else "item"
            yield from _salvage(body, prefix, kind or "auto", e)
        yield from _doc_records(doc)
        return
    if body[:1] == b"[" or kind:
        prefix = f"{container}.item" if kind else "item"
        try:
            yield from _stream_items(io.BufferedReader(_Chain(body, rest)), prefix, kind or "auto")
        except FileDamage as e:
            read_error = read_error or stream_error(stream)
            raise FileDamage(f"{read_error}: {e}" if read_error else str(e)) from None
        read_error = read_error or stream_error(stream)
        if read_error:
            raise FileDamage(read_error)
        return
    if body[:1] != b"{":
        raise FileDamage("not JSON: expected '{' or '[' at the start")
    if whole:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # not a single document: JSON Lines
        else:
            yield from _doc_records(doc)
            return
    reader = io.BufferedReader(_Chain(body, rest), buffer_size=CHUNK)
    try:
        if _one_document(body):
            yield from _stream_document(reader)
        else:
            yield from _stream_lines(reader)
    except FileDamage as e:
        read_error = read_error or stream_error(stream)
        raise FileDamage(f"{read_error}: {e}" if read_error else str(e)) from None
    read_error = read_error or stream_error(stream)
    if read_error:
        raise FileDamage(read_error)

"""Finding and opening import files: directories walked in name order, gzip by its magic bytes,
one JSON document per file or JSON Lines (one record per line, streamed)."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from cloudfw.imports.errors import ImportFileError, where

# What a directory walk picks up; a file named on the command line is always read.
SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
_GZIP_MAGIC = b"\x1f\x8b"
_READ_ERRORS = (OSError, EOFError, zlib.error)


@dataclass(frozen=True, slots=True)
class Document:
    """One JSON value: a whole file, or one line of a JSON Lines file (``line`` set)."""

    file: str
    value: object
    line: int | None = None
    group: str = ""  # the command-line argument it was found under (one directory = one group)

    @property
    def where(self) -> str:
        return where(self.file, self.line)


def expand(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, group) for each argument: the file itself, or every import file under a directory
    (recursively, in name order, hidden files skipped)."""
    out: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.name.endswith(SUFFIXES)
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise ImportFileError(f"{p}: directory holds no .json, .jsonl or .gz file")
            out.extend((f, str(p)) for f in found)
        elif p.exists():
            out.append((p, str(p)))
        else:
            raise ImportFileError(f"{p}: no such file or directory")
    return out


def _open(path: Path) -> io.BufferedIOBase:
    f: io.BufferedIOBase = path.open("rb")
    if f.read(2) == _GZIP_MAGIC:
        f.close()
        return gzip.open(path, "rb")
    f.seek(0)
    return f


def documents(path: Path, group: str) -> Iterator[Document]:
    """The file's JSON documents. Syntax errors name the file and line."""
    name = str(path)
    try:
        with _open(path) as f:
            first = f.readline()
            rest_start = f.readline()
            if _is_json_lines(first, rest_start):
                yield from _lines(name, group, f, [first, rest_start])
                return
            raw = first + rest_start + f.read()
    except _READ_ERRORS as exc:
        raise ImportFileError(f"{name}: cannot read: {exc}") from None
    if not raw.strip():
        raise ImportFileError(f"{name}: empty file (expected JSON)")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        line = raw.count(b"\n", 0, max(exc.pos, 0)) + 1
        raise ImportFileError(f"{where(name, line)}: invalid JSON: {exc.msg}") from None
    yield Document(name, value, None, group)


def _is_json_lines(first: bytes, second: bytes) -> bool:
    """A first line that is a whole JSON object, followed by another line: JSON Lines. (A
    pretty-printed document's first line is a lone bracket; a one-line document has no second
    non-blank line.)"""
    if not first.strip().startswith(b"{") or not second.strip():
        return False
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def _lines(name: str, group: str, f: io.BufferedIOBase, head: list[bytes]) -> Iterator[Document]:
    n = 0
    for chunk in (head, f):
        for line in chunk:
            n += 1
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ImportFileError(f"{name}:{n}: invalid JSON: {exc.msg}") from None
            yield Document(name, value, n, group)

"""Write an evidence bundle, streaming: events go to disk as they are read."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from cloudfw.events.serialize import FIELDS, csv_row, to_jsonl
from cloudfw.evidence.manifest import (
    MANIFEST,
    SCHEMA,
    SELF_DIGEST,
    bundle_files,
    self_digest,
    sha256_file,
)
from cloudfw.evidence.redact import redact
from cloudfw.model import ChangeEvent, CloudfwError, SourceRef

MAX_PROBLEMS = 200


class EvidenceError(CloudfwError):
    """A bundle that cannot be written or read (not empty, no manifest, bad manifest)."""


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


class BundleWriter:
    """Use as a context manager; call :meth:`add_event` / :meth:`add_raw` while reading, then
    :meth:`finish` once. The output directory must be new or empty, so a bundle never mixes
    runs."""

    def __init__(
        self,
        out: Path,
        *,
        since: datetime | None,
        until: datetime | None,
        inputs: list[str],
        tool_version: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.out = out
        self.since, self.until = since, until
        self.inputs = inputs
        self.tool_version = tool_version
        self.clock = clock
        self.changes = 0
        self.raw = 0
        self._files: list[IO[Any]] = []

    def __enter__(self) -> BundleWriter:
        if self.out.exists() and (not self.out.is_dir() or any(self.out.iterdir())):
            raise EvidenceError(f"{self.out}: output directory exists and is not empty")
        self.out.mkdir(parents=True, exist_ok=True)
        self._jsonl = (self.out / "changes.jsonl").open("wb")
        self._csv_file = (self.out / "changes.csv").open("w", newline="", encoding="utf-8")
        self._raw = (self.out / "raw-records.jsonl").open("wb")
        self._files = [self._jsonl, self._csv_file, self._raw]
        self._csv = csv.writer(self._csv_file, lineterminator="\n")
        self._csv.writerow(FIELDS)
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        for f in self._files:
            f.close()
        self._files = []

    def add_event(self, ev: ChangeEvent) -> None:
        self.changes += 1
        self._jsonl.write(to_jsonl(ev))
        self._csv.writerow(csv_row(ev))

    def add_raw(self, origin: SourceRef, record: Mapping[str, Any]) -> None:
        self.raw += 1
        line = {"source": str(origin), "record": redact(record)}
        self._raw.write(orjson.dumps(line) + b"\n")

    def add_file(self, src: Path, name: str, redact_json: bool = False) -> None:
        """Copy an input (findings, baseline) into the bundle; JSON can be redacted on the way."""
        dest = self.out / name
        if redact_json:
            try:
                doc = orjson.loads(src.read_bytes())
            except orjson.JSONDecodeError as e:
                raise EvidenceError(f"{src}: not JSON ({e})") from None
            dest.write_bytes(orjson.dumps(redact(doc), option=orjson.OPT_INDENT_2) + b"\n")
        else:
            shutil.copyfile(src, dest)

    def add_json(self, name: str, doc: Mapping[str, Any]) -> None:
        """Write a JSON document into the bundle (the scan history's chain heads)."""
        (self.out / name).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")

    def finish(self, coverage: Mapping[str, Any]) -> dict[str, Any]:
        """Close the data files, hash everything and write manifest.json."""
        self._close()
        files = {
            rel: {"sha256": sha256_file(self.out / rel), "bytes": (self.out / rel).stat().st_size}
            for rel in bundle_files(self.out)
        }
        manifest: dict[str, Any] = {
            "schema": SCHEMA,
            "tool": "cloudfw",
            "tool_version": self.tool_version,
            "generated_at": _iso(self.clock()),
            "window": {"since": _iso(self.since), "until": _iso(self.until)},
            "inputs": self.inputs,
            "counts": {"changes": self.changes, "raw_records": self.raw},
            "coverage": dict(coverage),
            "files": files,
        }
        manifest[SELF_DIGEST] = self_digest(manifest)
        (self.out / MANIFEST).write_bytes(
            orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
        return manifest

"""Write an evidence bundle, streaming: events go to disk as they are read.

The bundle is written into a hidden sibling directory (``.NAME.partial-XXXX``) and renamed onto
``--out`` only once every file, the manifest and the signature are written and synced: a run
killed at any point leaves no directory at ``--out`` that looks like a bundle, only the hidden
partial one, which has no manifest until its very last steps (and is removed on any error).
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloudfw.events.serialize import FIELDS, csv_row, to_jsonl
from cloudfw.evidence.manifest import (
    MANIFEST,
    SCHEMA,
    SELF_DIGEST,
    SIGNATURE,
    EvidenceError,
    bundle_files,
    self_digest,
    sha256_file,
)
from cloudfw.evidence.redact import redact
from cloudfw.evidence.review import SUMMARY_HTML, SUMMARY_JSON, ChangeReview, History, head
from cloudfw.evidence.review import write_json as write_summary_json
from cloudfw.evidence.review_html import write_html
from cloudfw.evidence.sshsig import sign
from cloudfw.model import ChangeEvent, SourceRef
from cloudfw.policy.baseline import Baseline

MAX_PROBLEMS = 200


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sync_tree(root: Path) -> None:
    """fsync every file and the directory itself, so the rename publishes durable data."""
    for p in root.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _sync_dir(root)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BundleWriter:
    """Use as a context manager; call :meth:`add_event` / :meth:`add_raw` while reading, then
    :meth:`finish` once. The output directory must be new or empty, so a bundle never mixes
    runs; it appears only when :meth:`finish` completes (module doc). ``baseline``, when given,
    judges each change event for the review summary."""

    def __init__(
        self,
        out: Path,
        *,
        since: datetime | None,
        until: datetime | None,
        inputs: list[str],
        tool_version: str,
        clock: Callable[[], datetime],
        baseline: Baseline | None = None,
    ) -> None:
        self.out = out
        self.since, self.until = since, until
        self.inputs = inputs
        self.tool_version = tool_version
        self.clock = clock
        self.baseline = baseline
        self.changes = 0
        self.raw = 0
        self._files: list[IO[Any]] = []
        self._dir = out  # the partial directory, once entered
        self._done = False

    def __enter__(self) -> BundleWriter:
        if self.out.exists() and (not self.out.is_dir() or any(self.out.iterdir())):
            raise EvidenceError(f"{self.out}: output directory exists and is not empty")
        parent = self.out.absolute().parent
        parent.mkdir(parents=True, exist_ok=True)
        self._dir = parent / f".{self.out.name}.partial-{secrets.token_hex(4)}"
        self._dir.mkdir()  # the mode mkdir gives (umask), as the bundle had before
        self._jsonl = (self._dir / "changes.jsonl").open("wb")
        self._csv_file = (self._dir / "changes.csv").open("w", newline="", encoding="utf-8")
        self._raw = (self._dir / "raw-records.jsonl").open("wb")
        self._spool = tempfile.TemporaryFile(dir=self._dir)  # unnamed: never part of the bundle
        self._files = [self._jsonl, self._csv_file, self._raw, self._spool]
        self._csv = csv.writer(self._csv_file, lineterminator="\n")
        self._csv.writerow(FIELDS)
        self.review = ChangeReview(self.baseline, self._spool)
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()
        if not self._done:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _close(self) -> None:
        for f in self._files:
            f.close()
        self._files = []

    def add_event(self, ev: ChangeEvent) -> None:
        self.changes += 1
        self._jsonl.write(to_jsonl(ev))
        self._csv.writerow(csv_row(ev))
        self.review.add(ev)

    def add_raw(self, origin: SourceRef, record: Mapping[str, Any]) -> None:
        self.raw += 1
        line = {"source": str(origin), "record": redact(record)}
        self._raw.write(orjson.dumps(line) + b"\n")

    def add_file(self, src: Path, name: str, redact_json: bool = False) -> None:
        """Copy an input (findings, baseline) into the bundle; JSON can be redacted on the way."""
        dest = self._dir / name
        if redact_json:
            try:
                doc = orjson.loads(src.read_bytes())
            except orjson.JSONDecodeError as e:
                raise EvidenceError(f"{src}: not JSON ({e})") from None
            dest.write_bytes(orjson.dumps(redact(doc), option=orjson.OPT_INDENT_2) + b"\n")
        else:
            shutil.copyfile(src, dest)

    def add_json(self, name: str, doc: Mapping[str, Any]) -> None:
        """Write a JSON document into the bundle (the scan history's chain heads); like every
        file it is hashed into the manifest by `finish`."""
        (self._dir / name).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")

    def _write_review(self, coverage: Mapping[str, Any], history: History, now: datetime) -> None:
        doc = head(
            since=self.since, until=self.until, generated_at=now,
            tool_version=self.tool_version,
            baseline=None if self.baseline is None else self.baseline.path,
            history=history, changes=self.review,
            bundle_complete=bool(coverage.get("complete", True)),
        )  # fmt: skip
        with (self._dir / SUMMARY_JSON).open("wb") as f:
            write_summary_json(f, doc, self.review.rows())
        with (self._dir / SUMMARY_HTML).open("w", encoding="utf-8") as f:
            write_html(f, doc, self.review.rows)

    def finish(
        self,
        coverage: Mapping[str, Any],
        *,
        history: History | None = None,
        signer: Ed25519PrivateKey | None = None,
    ) -> dict[str, Any]:
        """Write the review summary, hash everything, write manifest.json (and, with ``signer``,
        manifest.json.sig), sync, then rename the partial directory onto ``out``."""
        now = self.clock()
        self._csv_file.flush()
        self._write_review(coverage, history or History(None, notes=["scan history not read"]), now)
        self._close()
        files = {
            rel: {"sha256": sha256_file(self._dir / rel), "bytes": (self._dir / rel).stat().st_size}
            for rel in bundle_files(self._dir)
        }
        manifest: dict[str, Any] = {
            "schema": SCHEMA,
            "tool": "cloudfw",
            "tool_version": self.tool_version,
            "generated_at": _iso(now),
            "window": {"since": _iso(self.since), "until": _iso(self.until)},
            "inputs": self.inputs,
            "counts": {"changes": self.changes, "raw_records": self.raw},
            "coverage": dict(coverage),
            "files": files,
        }
        manifest[SELF_DIGEST] = self_digest(manifest)
        body = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        (self._dir / MANIFEST).write_bytes(body)
        if signer is not None:
            (self._dir / SIGNATURE).write_text(sign(signer, body), encoding="ascii")
        _sync_tree(self._dir)
        try:
            os.rename(self._dir, self.out)  # replaces an empty --out directory atomically
        except OSError as exc:
            raise EvidenceError(f"{self.out}: cannot put the bundle in place: "
                                f"{exc.strerror or exc}") from None  # fmt: skip
        self._done = True
        _sync_dir(self.out.absolute().parent)
        return manifest

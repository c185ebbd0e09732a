"""Helpers shared by the events tests (golden files, reading fixtures)."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import typer

from cloudfw.events import ReadOptions, ReadStats, read_events
from cloudfw.events.serialize import to_jsonl
from cloudfw.events.stream import local_units
from cloudfw.model import ChangeEvent

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "events"
GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, text: str, folder: Path = GOLDEN) -> None:
    """Compare with <folder>/<name> (tests/events/golden by default); CLOUDFW_UPDATE_GOLDEN=1
    rewrites it."""
    path = folder / name
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with CLOUDFW_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def read_path(path: Path, **opts: object) -> tuple[list[ChangeEvent], ReadStats]:
    return read_events(list(local_units(str(path))), ReadOptions(**opts))  # type: ignore[arg-type]


def jsonl(events: list[ChangeEvent]) -> str:
    return b"".join(to_jsonl(e) for e in events).decode()


def write_json(path: Path, doc: object) -> Path:
    """Write ``doc`` as one JSON document (a CloudTrail file, an export, an entry list)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


@functools.cache
def _app() -> typer.Typer:
    from cloudfw.cli.app import _register_all, app

    _register_all()
    return app


def run_cli(*args: str) -> tuple[int, str, str]:
    """The real `cloudfw` command line (every command registered), as a user runs it."""
    from typer.testing import CliRunner

    res = CliRunner().invoke(_app(), list(args))
    return res.exit_code, res.stdout, res.stderr


def events_cli(*paths: Path, fmt: str = "jsonl") -> list[dict[str, object]]:
    """`cloudfw events PATH... --no-store` as JSON Lines documents (asserts a clean run)."""
    code, out, err = run_cli("events", *map(str, paths), "--no-store", "--format", fmt)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def empty_snapshot(tmp_path: Path, scope: str) -> Path:
    """A snapshot with no rule sets whose one scope (``provider:...``) was read fine."""
    from datetime import UTC, datetime

    from cloudfw.model import Coverage, CoverageStatus, Snapshot
    from cloudfw.snapshotio import write_snapshot

    cov = Coverage(scope.split(":", 1)[0], scope, CoverageStatus.OK)
    path = tmp_path / "snap.json"
    write_snapshot(Snapshot((), (cov,), datetime(2026, 11, 5, tzinfo=UTC), "test"), path)
    return path


def audit_findings(
    tmp_path: Path, events: Path, baseline: str, scope: str, check: str = ""
) -> list[dict[str, object]]:
    """`cloudfw audit --snapshot (empty) --events EVENTS --baseline (this YAML) --format json`:
    the findings (of ``check`` only, when given)."""
    path = tmp_path / "prod.yaml"
    path.write_text(baseline, encoding="utf-8")
    snap = empty_snapshot(tmp_path, scope)
    code, out, err = run_cli("audit", "--snapshot", str(snap), "--events", str(events),
                             "--baseline", str(path), "--no-store", "--format", "json")  # fmt: skip
    assert code in (0, 1), err
    found: list[dict[str, object]] = json.loads(out)["findings"]
    return [f for f in found if not check or f["check"] == check]

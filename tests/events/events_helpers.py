"""Helpers shared by the events tests (golden files, reading fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

from cloudfw.events import ReadOptions, ReadStats, read_events
from cloudfw.events.serialize import to_jsonl
from cloudfw.events.stream import local_units
from cloudfw.model import ChangeEvent

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "events"
GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, text: str) -> None:
    """Compare with tests/events/golden/<name>; CLOUDFW_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with CLOUDFW_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def read_path(path: Path, **opts: object) -> tuple[list[ChangeEvent], ReadStats]:
    return read_events(list(local_units(str(path))), ReadOptions(**opts))  # type: ignore[arg-type]


def jsonl(events: list[ChangeEvent]) -> str:
    return b"".join(to_jsonl(e) for e in events).decode()

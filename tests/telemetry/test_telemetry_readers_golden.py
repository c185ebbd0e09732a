"""Reader golden tests: every fixture -> events (with provenance) and detections.

Regenerate after an intended change with ``CLOUDFW_UPDATE_GOLDEN=1 pytest tests/telemetry``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from telemetry_helpers import check_golden

from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.events import Malformed
from cloudfw.telemetry.readers import read_file, sniff

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "telemetry"
NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_file())


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        d = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"kind": type(value).__name__, **d}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _rel(path: Path) -> Path:
    return path.relative_to(ROOT)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # provenance paths are relative to the repository


@pytest.mark.parametrize("name", NAMES)
def test_events_golden(name: str) -> None:
    items = list(read_file(_rel(FIXTURES / name)))
    assert items, name
    assert not [i for i in items if isinstance(i, Malformed)]
    check_golden(f"{name}.events.json", [_plain(i) for i in items])


@pytest.mark.parametrize("name", NAMES)
def test_detections_golden(name: str) -> None:
    det = Detector()
    out = []
    for item in read_file(_rel(FIXTURES / name)):
        assert not isinstance(item, Malformed)
        out.extend(det.feed(item))
    out.extend(det.finish())
    check_golden(f"{name}.detections.json", [d.to_dict() for d in out])


def test_sniffing() -> None:
    expected = {
        "auditd.log": "auditd", "eslogger.jsonl": "eslogger", "generic.jsonl": "jsonl",
        "osquery.jsonl": "osquery", "security.xml": "windows-xml", "sysmon.jsonl": "windows-json",
        "sysmon.xml": "windows-xml", "wfas.jsonl": "windows-json",
    }  # fmt: skip
    for name, fmt in expected.items():
        head = (FIXTURES / name).read_text(encoding="utf-8").splitlines()[:5]
        assert sniff(head, name) == fmt, name


def test_exec_event_builds_what_the_dataclass_builds() -> None:
    from cloudfw.model import SourceRef
    from cloudfw.telemetry.events import PROCESS_FIELDS, ProcessEvent, exec_event

    assert tuple(f.name for f in dataclasses.fields(ProcessEvent)) == PROCESS_FIELDS
    args = (SourceRef("file", "a.jsonl", 4), "linux", "web-1", datetime(2026, 1, 2), 10, 1,
            "root", "/usr/sbin/iptables", ("iptables", "-F"), "", "/bin/sh", "sh -c x")  # fmt: skip
    fast, slow = exec_event(*args), ProcessEvent(*args)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.kind == "exec"
    with pytest.raises(AttributeError):
        fast.pid = 2  # type: ignore[misc]  # still frozen

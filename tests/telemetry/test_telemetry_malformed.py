"""Bad input: malformed lines are counted and located, the rest is still read."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudfw.telemetry.events import Malformed, ProcessEvent
from cloudfw.telemetry.readers import read_file, read_lines
from cloudfw.telemetry.readers.auditd import decode_execve, parse_fields, parse_sockaddr
from cloudfw.telemetry.readers.common import parse_time, to_int

BAD = Path(__file__).resolve().parents[2] / "fixtures" / "telemetry" / "malformed"


def _split(path: Path) -> tuple[list[Malformed], list[object]]:
    items = list(read_file(path))
    bad = [i for i in items if isinstance(i, Malformed)]
    return bad, [i for i in items if not isinstance(i, Malformed)]


def test_generic_jsonl() -> None:
    bad, good = _split(BAD / "generic.jsonl")
    assert [b.source.line for b in bad] == [2, 3, 4, 5, 6, 7, 8]
    msgs = [b.message for b in bad]
    assert msgs[0].startswith("invalid JSON")
    assert msgs[1] == "expected a JSON object"
    assert "bad time 'yesterday'" in msgs[2]
    assert "platform" in msgs[3] and "solaris" in msgs[3]
    assert msgs[4].startswith("pid:")
    assert "cmdline" in msgs[5]
    assert msgs[6].startswith("action:")
    assert [e.source.line for e in good] == [1, 10]  # type: ignore[attr-defined]
    assert all(b.source.location.endswith("generic.jsonl") for b in bad)


def test_auditd() -> None:
    bad, good = _split(BAD / "auditd.log")
    assert [(b.source.line, b.source.record) for b in bad] == [(1, "1"), (4, None)]
    assert "neither quoted nor hex" in bad[0].message
    assert "not an audit record" in bad[1].message
    [ev] = good  # the group without EOE is flushed at the end of the file
    assert isinstance(ev, ProcessEvent) and ev.argv == ("ufw", "disable")


def test_windows_xml() -> None:
    bad, good = _split(BAD / "security.xml")
    assert [b.source.line for b in bad] == [3, 4, 6]
    assert "invalid XML event" in bad[0].message
    assert bad[2].message == "unterminated <Event> element"
    assert [g.event_id for g in good] == [5025, 5034]  # type: ignore[attr-defined]


def test_other_json_readers_locate_errors() -> None:
    lines = ['{"event_type": 9}', "{nope", '{"event":{"exec":{}},"process":{},"event_type":9}']
    bad = [i for i in read_lines(lines, "es.jsonl", "eslogger") if isinstance(i, Malformed)]
    assert [b.source.line for b in bad] == [1, 2, 3]
    lines = ['{"name":"q","hostIdentifier":"h","columns":{"cmdline":"x","pid":"abc"}}', "[]"]
    bad = [i for i in read_lines(lines, "o.jsonl", "osquery") if isinstance(i, Malformed)]
    assert [b.source.line for b in bad] == [1, 2] and "columns.pid" in bad[0].message
    lines = [
        '{"winlog":{"event_id":"x"}}',
        '{"EventID":4688,"CommandLine":"a","NewProcessId":"0xZZ"}',
    ]
    bad = [i for i in read_lines(lines, "w.jsonl", "windows-json") if isinstance(i, Malformed)]
    assert [b.source.line for b in bad] == [1, 2]


def test_unreadable_file() -> None:
    from cloudfw.telemetry.events import TelemetryError

    with pytest.raises(TelemetryError, match="cannot read"):
        list(read_file(BAD / "does-not-exist.log"))


def test_time_and_int_parsing() -> None:
    assert parse_time("2026-11-20T10:00:00.123456789Z").microsecond == 123456  # type: ignore[union-attr]
    assert parse_time(1763632800).year == 2025  # type: ignore[union-attr]
    assert parse_time("1763632800123") == parse_time(1763632800.123)
    assert parse_time("2026-11-20 11:00:00.410").tzinfo is not None  # type: ignore[union-attr]
    assert parse_time("Tue Sep 30 17:37:30 2014 UTC").year == 2014  # type: ignore[union-attr]
    assert parse_time(None) is None
    with pytest.raises(ValueError):
        parse_time(True)
    assert to_int("0x1f40", "pid") == 8000 and to_int("12", "pid") == 12
    with pytest.raises(ValueError, match="pid"):
        to_int(1.5, "pid")


def test_auditd_primitives() -> None:
    f, q = parse_fields('argc=3 a0="sh" a1="-c" a2=6C73202D6C61 msg=\'unit=ufw comm="systemd"\'')
    assert decode_execve([(f, q)]) == ("sh", "-c", "ls -la")
    assert f["msg"] == 'unit=ufw comm="systemd"'
    f, q = parse_fields('argc=2 a0="x" a1_len=6 a1[0]=616263 a1[1]="def"')
    assert decode_execve([(f, q)]) == ("x", "abcdef")
    assert parse_sockaddr("0200115CC0A80001" + "00" * 8) == ("inet", "192.168.0.1", 4444)
    v6 = "0A0001BB00000000" + "20010DB8000000000000000000000001" + "00000000"
    assert parse_sockaddr(v6) == ("inet6", "2001:db8::1", 443)
    assert parse_sockaddr("01002F746D70")[0] == "unix"

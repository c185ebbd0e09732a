"""osquery results logs: ``process_events`` and ``socket_events`` rows, in the event format
(``columns`` + ``action``), the snapshot format (``snapshot: [...]``) and the batch format
(``diffResults.added``). ``removed`` rows are skipped; so are rows of other tables.

osquery does not say which OS wrote a row: ``decorations.platform`` (or a top-level ``platform``)
wins, else the query name or the path decides (``C:\\`` -> windows, ``/System``, ``/Applications``,
``/usr/libexec`` or ``/Users`` -> macos, otherwise linux).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from cloudfw.model import SourceRef
from cloudfw.telemetry.events import (
    CONNECT,
    INBOUND,
    OTHER,
    Item,
    NetworkEvent,
    ProcessEvent,
)
from cloudfw.telemetry.readers.common import (
    parse_time,
    read_json_lines,
    to_int,
    to_str,
)

_MAC_PATH = re.compile(r"^/(System|Applications|usr/libexec|Users|Library|opt/homebrew)/")
_SOCKET_ACTIONS = {"connect": CONNECT, "accept": INBOUND}


def read_osquery(lines: Iterable[str], path: str) -> Iterator[Item]:
    return read_json_lines(lines, path, from_osquery)


def _deco(obj: dict[str, Any]) -> dict[str, Any]:
    d = obj.get("decorations")
    return d if isinstance(d, dict) else {}


def _rows(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(obj.get("columns"), dict):
        return [obj["columns"]] if obj.get("action", "added") != "removed" else []
    if isinstance(obj.get("snapshot"), list):
        return [r for r in obj["snapshot"] if isinstance(r, dict)]
    diff = obj.get("diffResults")
    if isinstance(diff, dict) and isinstance(diff.get("added"), list):
        return [r for r in diff["added"] if isinstance(r, dict)]
    raise ValueError("osquery: expected 'columns', 'snapshot' or 'diffResults'")


def _platform(obj: dict[str, Any], row: dict[str, Any]) -> str:
    deco = _deco(obj)
    plat = to_str(deco.get("platform") or obj.get("platform")).lower()
    if plat in ("darwin", "macos"):
        return "macos"
    if plat in ("windows", "linux"):
        return plat
    name = to_str(obj.get("name")).lower()
    p = to_str(row.get("path"))
    if "windows" in name or re.match(r"^[a-zA-Z]:\\", p):
        return "windows"
    if "darwin" in name or "macos" in name or _MAC_PATH.match(p):
        return "macos"
    return "linux"


def from_osquery(obj: dict[str, Any], ref: SourceRef) -> Iterator[ProcessEvent | NetworkEvent]:
    deco = _deco(obj)
    host = to_str(obj.get("hostIdentifier") or obj.get("hostname") or deco.get("hostname"))
    rows = _rows(obj)
    for i, row in enumerate(rows):
        if len(rows) > 1 or "columns" not in obj:  # snapshot / batch: name the row
            ref = SourceRef(ref.kind, ref.location, ref.line, f"row {i}")
        time = parse_time(row.get("time") or obj.get("unixTime"))
        pid = to_int(row.get("pid"), "columns.pid")
        plat = _platform(obj, row)
        if "cmdline" in row:
            cmdline = to_str(row.get("cmdline"))
            exe = to_str(row.get("path"))
            if not cmdline and not exe:
                continue
            yield ProcessEvent(
                source=ref, platform=plat, host=host, time=time, pid=pid,
                ppid=to_int(row.get("parent"), "columns.parent"),
                user=to_str(row.get("uid") or row.get("auid")), exe=exe, cmdline=cmdline or exe,
            )  # fmt: skip
        elif "remote_address" in row:
            action = _SOCKET_ACTIONS.get(to_str(row.get("action")), OTHER)
            yield NetworkEvent(
                source=ref, platform=plat, action=action, host=host, time=time, pid=pid,
                exe=to_str(row.get("path")), remote_addr=to_str(row.get("remote_address")),
                remote_port=to_int(row.get("remote_port"), "columns.remote_port"),
                local_addr=to_str(row.get("local_address")),
                local_port=to_int(row.get("local_port"), "columns.local_port"),
                protocol=to_str(row.get("protocol")), detail=to_str(row.get("action")),
            )  # fmt: skip

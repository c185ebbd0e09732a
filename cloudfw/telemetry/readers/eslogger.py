"""macOS ``eslogger`` JSON (one ``es_message_t``-shaped object per line).

``exec`` -> ProcessEvent (``event.exec.target`` is the new image, ``args`` a list or
``{"count", "items"}``); ``fork`` -> ProcessEvent(kind="fork") for lineage; ``open`` -> FileEvent
(``/dev/bpf*`` arms AN0464). Other event kinds are read and skipped. eslogger's output is "NOT API"
(eslogger(1)), so the event kind is taken from the key under ``event``, not from ``event_type``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cloudfw.model import SourceRef
from cloudfw.telemetry.events import FileEvent, Item, ProcessEvent
from cloudfw.telemetry.readers.common import (
    dig,
    optional,
    parse_time,
    read_json_lines,
    to_int,
    to_str,
)

_TYPES = {9: "exec", 10: "open", 11: "fork", 15: "exit"}


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, dict):
        value = value.get("items", [])
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{field}: expected a list")
    return tuple(to_str(v.get("value") if isinstance(v, dict) else v) for v in value)


def read_eslogger(lines: Iterable[str], path: str) -> Iterator[Item]:
    return read_json_lines(lines, path, lambda obj, ref: optional(from_eslogger(obj, ref)))


def from_eslogger(obj: dict[str, Any], ref: SourceRef) -> FileEvent | ProcessEvent | None:
    event = obj.get("event")
    proc = obj.get("process")
    if not isinstance(event, dict) or not isinstance(proc, dict):
        raise ValueError("eslogger: expected 'event' and 'process' objects")
    seq = obj.get("global_seq_num")
    if seq is not None:
        ref = SourceRef(ref.kind, ref.location, ref.line, f"global_seq_num {seq}")
    kind = next(iter(event), None) if len(event) == 1 else _TYPES.get(obj.get("event_type", -1))
    time = parse_time(obj.get("time"))
    host = to_str(obj.get("host") or obj.get("hostname"))
    pid = to_int(dig(proc, "audit_token", "pid"), "process.audit_token.pid")
    exe = to_str(dig(proc, "executable", "path"))
    if kind == "exec":
        target = dig(event, "exec", "target")
        if not isinstance(target, dict):
            raise ValueError("event.exec.target: missing")
        argv = _strings(dig(event, "exec", "args"), "event.exec.args")
        texe = to_str(dig(target, "executable", "path"))
        if not argv and not texe:
            raise ValueError("event.exec: neither args nor target.executable.path")
        return ProcessEvent(
            source=ref, platform="macos", host=host, time=time,
            pid=to_int(dig(target, "audit_token", "pid"), "event.exec.target.audit_token.pid"),
            ppid=to_int(target.get("ppid"), "event.exec.target.ppid"),
            user=to_str(dig(target, "audit_token", "euid")), exe=texe, argv=argv or (texe,),
        )  # fmt: skip
    if kind == "fork":
        child = dig(event, "fork", "child")
        if not isinstance(child, dict):
            raise ValueError("event.fork.child: missing")
        return ProcessEvent(
            source=ref, platform="macos", host=host, time=time,
            pid=to_int(dig(child, "audit_token", "pid"), "event.fork.child.audit_token.pid"),
            ppid=pid, exe=to_str(dig(child, "executable", "path")) or exe, kind="fork",
        )  # fmt: skip
    if kind == "open":
        fpath = dig(event, "open", "file", "path")
        if not isinstance(fpath, str):
            raise ValueError("event.open.file.path: missing")
        return FileEvent(source=ref, platform="macos", path=fpath, host=host, time=time, pid=pid,
                         exe=exe)  # fmt: skip
    return None

"""The generic JSON Lines telemetry format (the lingua franca; see docs/telemetry.md).

One object per line. ``type`` is ``process`` (the default), ``network`` or ``file``.

- process: ``cmdline`` (string) or ``argv`` (list of strings), ``platform``
  (``macos|linux|windows``); optional ``time``, ``host``, ``pid``, ``ppid``, ``user``, ``exe``,
  ``parent_exe``, ``parent_cmdline``.
- network: ``action`` (``connect``, ``inbound``/``accept``/``recv``, ``filter_attach``,
  ``ne_filter_load``, ``packet_socket``, ``bind``, ``listen``), ``pid``, ``remote_addr``,
  ``remote_port``, ``local_addr``, ``local_port``, ``protocol``, ``exe``, ``ppid``, ``time``,
  ``host``.
- file: ``path``, ``operation`` (default ``open``), ``pid``, ``exe``, ``time``, ``host``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cloudfw.model import SourceRef
from cloudfw.telemetry.events import (
    CONNECT,
    FILTER_ATTACH,
    INBOUND,
    OTHER,
    PACKET_SOCKET,
    FileEvent,
    Item,
    NetworkEvent,
    ProcessEvent,
    exec_event,
)
from cloudfw.telemetry.readers.common import (
    parse_time,
    read_json_lines,
    to_int,
    to_str,
)

PLATFORMS = frozenset({"macos", "linux", "windows"})
NETWORK_ACTIONS = {
    "connect": CONNECT, "outbound": CONNECT, "inbound": INBOUND, "accept": INBOUND,
    "recv": INBOUND, "filter_attach": FILTER_ATTACH, "ne_filter_load": FILTER_ATTACH,
    "packet_socket": PACKET_SOCKET, "bind": OTHER, "listen": OTHER, "close": OTHER,
}  # fmt: skip


def read_jsonl(lines: Iterable[str], path: str) -> Iterator[Item]:
    return read_json_lines(lines, path, lambda obj, ref: (from_generic(obj, ref),))


def _platform(obj: dict[str, Any], required: bool) -> str:
    plat = obj.get("platform")
    if plat is None and not required:
        return ""
    if plat not in PLATFORMS:
        raise ValueError(f"platform: expected one of macos, linux, windows, got {plat!r}")
    return str(plat)


def from_generic(obj: dict[str, Any], ref: SourceRef) -> ProcessEvent | NetworkEvent | FileEvent:
    kind = obj.get("type", "process")
    time = parse_time(obj.get("time"))
    host = to_str(obj.get("host"))
    pid = to_int(obj.get("pid"), "pid")
    if kind == "process":
        argv = obj.get("argv")
        cmdline = obj.get("cmdline")
        if argv is not None and (
            not isinstance(argv, list) or not all(isinstance(a, str) for a in argv)
        ):
            raise ValueError("argv: expected a list of strings")
        if cmdline is not None and not isinstance(cmdline, str):
            raise ValueError("cmdline: expected a string")
        if not argv and not cmdline:
            raise ValueError("a process event needs cmdline (string) or argv (list)")
        return exec_event(
            ref, _platform(obj, True), host, time, pid, to_int(obj.get("ppid"), "ppid"),
            to_str(obj.get("user")), to_str(obj.get("exe")), tuple(argv or ()), cmdline or "",
            to_str(obj.get("parent_exe")), to_str(obj.get("parent_cmdline")),
        )  # fmt: skip
    if kind == "network":
        action = NETWORK_ACTIONS.get(to_str(obj.get("action")).lower())
        if action is None:
            raise ValueError(
                f"action: expected one of {', '.join(NETWORK_ACTIONS)}, got {obj.get('action')!r}"
            )
        return NetworkEvent(
            source=ref, platform=_platform(obj, False), action=action, host=host, time=time,
            pid=pid, ppid=to_int(obj.get("ppid"), "ppid"), exe=to_str(obj.get("exe")),
            remote_addr=to_str(obj.get("remote_addr")),
            remote_port=to_int(obj.get("remote_port"), "remote_port"),
            local_addr=to_str(obj.get("local_addr")),
            local_port=to_int(obj.get("local_port"), "local_port"),
            protocol=to_str(obj.get("protocol")), detail=to_str(obj.get("action")),
        )  # fmt: skip
    if kind == "file":
        path = obj.get("path")
        if not isinstance(path, str) or not path:
            raise ValueError("path: a file event needs a path")
        return FileEvent(
            source=ref, platform=_platform(obj, False), path=path,
            operation=to_str(obj.get("operation") or "open"), host=host, time=time, pid=pid,
            exe=to_str(obj.get("exe")),
        )  # fmt: skip
    raise ValueError(f"type: expected process, network or file, got {kind!r}")

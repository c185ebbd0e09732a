"""Telemetry events: what the readers produce and the detectors consume. Pure, frozen, no I/O.

Every event carries its provenance as a model :class:`~cloudfw.model.SourceRef` (``kind="file"``,
``location`` = the file, ``line`` = 1-based line, ``record`` = the record id inside that line or
file: an auditd serial, an XML event index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloudfw.model import CloudfwError, SourceRef, plain_source


class TelemetryError(CloudfwError):
    """Telemetry that cannot be read or used (bad option, unreadable file, bad baseline section)."""


def file_ref(path: str, line: int, record: str | None = None) -> SourceRef:
    return plain_source("file", path, line, record)


@dataclass(frozen=True, slots=True)
class ProcessEvent:
    """A process started (``kind="exec"``) or forked (``kind="fork"``, no command line).

    ``platform`` is ``macos``, ``linux`` or ``windows`` and decides how ``cmdline`` is split when
    ``argv`` is empty (a Windows command line is not a shell command line).
    """

    source: SourceRef
    platform: str
    host: str = ""
    time: datetime | None = None
    pid: int | None = None
    ppid: int | None = None
    user: str = ""
    exe: str = ""
    argv: tuple[str, ...] = ()
    cmdline: str = ""
    parent_exe: str = ""
    parent_cmdline: str = ""
    kind: str = "exec"

    @property
    def display_cmdline(self) -> str:
        return self.cmdline or " ".join(self.argv)


# The JSON Lines reader builds one ProcessEvent per line of files with millions of lines; setting
# the slots directly is about twice as fast as the frozen dataclass's __init__. PROCESS_FIELDS is
# ProcessEvent's fields in order (tests/telemetry/test_telemetry_readers_golden.py checks it, and
# that `exec_event` builds exactly what ProcessEvent(...) builds).
PROCESS_FIELDS = (
    "source", "platform", "host", "time", "pid", "ppid", "user", "exe", "argv", "cmdline",
    "parent_exe", "parent_cmdline", "kind",
)  # fmt: skip
(
    _p_source, _p_platform, _p_host, _p_time, _p_pid, _p_ppid, _p_user, _p_exe, _p_argv,
    _p_cmdline, _p_parent_exe, _p_parent_cmdline, _p_kind,
) = (ProcessEvent.__dict__[n].__set__ for n in PROCESS_FIELDS)  # fmt: skip


def exec_event(
    source: SourceRef,
    platform: str,
    host: str,
    time: datetime | None,
    pid: int | None,
    ppid: int | None,
    user: str,
    exe: str,
    argv: tuple[str, ...],
    cmdline: str,
    parent_exe: str,
    parent_cmdline: str,
) -> ProcessEvent:
    """``ProcessEvent(...)`` of kind ``exec``, every field given, built faster."""
    ev: ProcessEvent = object.__new__(ProcessEvent)
    _p_source(ev, source)
    _p_platform(ev, platform)
    _p_host(ev, host)
    _p_time(ev, time)
    _p_pid(ev, pid)
    _p_ppid(ev, ppid)
    _p_user(ev, user)
    _p_exe(ev, exe)
    _p_argv(ev, argv)
    _p_cmdline(ev, cmdline)
    _p_parent_exe(ev, parent_exe)
    _p_parent_cmdline(ev, parent_cmdline)
    _p_kind(ev, "exec")
    return ev


@dataclass(frozen=True, slots=True)
class FileEvent:
    """A file operation; AN0464 cares about ``open`` of ``/dev/bpf*``."""

    source: SourceRef
    platform: str
    path: str
    operation: str = "open"
    host: str = ""
    time: datetime | None = None
    pid: int | None = None
    exe: str = ""


# NetworkEvent.action values
CONNECT = "connect"  # outbound connection attempt
INBOUND = "inbound"  # accepted connection or received packet
FILTER_ATTACH = (
    "filter_attach"  # SO_ATTACH_FILTER / SO_ATTACH_BPF, or a NetworkExtension filter load
)
PACKET_SOCKET = "packet_socket"  # socket(AF_PACKET, ...)
OTHER = "other"  # bind, listen, close...


@dataclass(frozen=True, slots=True)
class NetworkEvent:
    """A socket-level event of one process. ``remote_*`` is the peer (the destination of an
    outbound connection, the source of an inbound one)."""

    source: SourceRef
    platform: str
    action: str
    host: str = ""
    time: datetime | None = None
    pid: int | None = None
    ppid: int | None = None
    exe: str = ""
    remote_addr: str = ""
    remote_port: int | None = None
    local_addr: str = ""
    local_port: int | None = None
    protocol: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FirewallEvent:
    """A firewall's own audit record: Windows Security 4946-4950/5025/5034, Windows Firewall With
    Advanced Security 2003-2006/2033/2052/2071/2097, auditd SERVICE_STOP of a firewall unit.

    ``action`` is the numeric MS-FASP action of a rule event (``2`` block, ``3`` allow) as text.
    """

    source: SourceRef
    platform: str
    event_id: int
    channel: str = ""
    host: str = ""
    time: datetime | None = None
    pid: int | None = None
    rule_name: str = ""
    application_path: str = ""
    action: str = ""
    direction: str = ""
    setting_type: str = ""
    setting_value: str = ""
    profiles: str = ""
    user: str = ""
    modifying_application: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line or record that could not be read; the reader carries on with the next one."""

    source: SourceRef
    message: str


Event = ProcessEvent | FileEvent | NetworkEvent | FirewallEvent
Item = ProcessEvent | FileEvent | NetworkEvent | FirewallEvent | Malformed

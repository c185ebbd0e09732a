"""Telemetry events: what the readers produce and the detectors consume. Pure, frozen, no I/O.

Every event carries its provenance as a model :class:`~cloudfw.model.SourceRef` (``kind="file"``,
``location`` = the file, ``line`` = 1-based line, ``record`` = the record id inside that line or
file: an auditd serial, an XML event index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloudfw.model import CloudfwError, SourceRef


class TelemetryError(CloudfwError):
    """Telemetry that cannot be read or used (bad option, unreadable file, bad baseline section)."""


def file_ref(path: str, line: int, record: str | None = None) -> SourceRef:
    return SourceRef(kind="file", location=path, line=line, record=record)


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

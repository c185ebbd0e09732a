"""Windows event logs exported as JSON Lines or XML.

JSON shapes accepted, one event per line: Winlogbeat/ECS (``winlog.event_id``,
``winlog.event_data``), flattened (``EventID`` plus the data fields at the top level or under
``EventData``), and evtx_dump (``Event.System`` / ``Event.EventData``). XML: ``wevtutil qe /f:xml``
or ``Get-WinEvent ... .ToXml()`` (``<Event>`` elements, with or without an ``<Events>`` root),
parsed with ``defusedxml`` one event at a time (streaming; the provenance line is the line where
the ``<Event>`` starts, the record is its index).

Events used: Sysmon 1 (process), 3 (network) and 12/13 (firewall registry values); Security
4688 (process); Security 4946-4950, 5025, 5034 and Windows Firewall With Advanced Security
2003-2006, 2033, 2052, 2059, 2071, 2073, 2082, 2097 (firewall). Other events are read and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from cloudfw.model import SourceRef
from cloudfw.telemetry.events import (
    CONNECT,
    INBOUND,
    FirewallEvent,
    Item,
    Malformed,
    NetworkEvent,
    ProcessEvent,
    file_ref,
)
from cloudfw.telemetry.readers.common import (
    dig,
    optional,
    parse_time,
    read_json_lines,
    to_int,
    to_str,
)

SECURITY_FW = frozenset({4946, 4947, 4948, 4949, 4950, 5025, 5034})
WFAS = frozenset({2003, 2004, 2005, 2006, 2033, 2052, 2059, 2071, 2073, 2082, 2097})
_FW_REGISTRY = re.compile(r"\\(FirewallPolicy|WindowsFirewall)\\", re.IGNORECASE)
_WFAS_CHANNEL = "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"


def _text(v: Any) -> Any:
    return v.get("#text", v.get("Value")) if isinstance(v, dict) else v


def normalize_json(obj: dict[str, Any]) -> tuple[int, str, str, Any, dict[str, Any]]:
    """``(event_id, channel, computer, time, data)`` for any accepted JSON shape."""
    if isinstance(obj.get("winlog"), dict):
        w = obj["winlog"]
        data = w.get("event_data") if isinstance(w.get("event_data"), dict) else {}
        eid, channel = w.get("event_id"), w.get("channel") or w.get("provider_name")
        computer = w.get("computer_name") or dig(obj, "host", "name")
        time = obj.get("@timestamp")
    elif isinstance(obj.get("Event"), dict) and isinstance(obj["Event"].get("System"), dict):
        s = obj["Event"]["System"]
        data = (
            obj["Event"].get("EventData") if isinstance(obj["Event"].get("EventData"), dict) else {}
        )
        eid, channel, computer = _text(s.get("EventID")), s.get("Channel"), s.get("Computer")
        tc = s.get("TimeCreated")
        time = dig(tc, "#attributes", "SystemTime") or (tc if isinstance(tc, str) else None)
    else:
        data = dict(obj)
        if isinstance(obj.get("EventData"), dict):
            data.update(obj["EventData"])
        eid = obj.get("EventID", obj.get("EventId", obj.get("Id")))
        channel = obj.get("Channel") or obj.get("LogName") or obj.get("ProviderName")
        computer = obj.get("Computer") or obj.get("Hostname") or obj.get("MachineName")
        time = obj.get("UtcTime") or obj.get("TimeCreated") or obj.get("@timestamp")
        if isinstance(time, dict):
            time = time.get("SystemTime")
    event_id = to_int(_text(eid), "EventID")
    if event_id is None:
        raise ValueError("EventID: missing")
    return event_id, to_str(channel), to_str(computer), time, data


def from_windows(event_id: int, channel: str, computer: str, time_value: Any,
                 data: dict[str, Any], ref: SourceRef) -> Item | None:  # fmt: skip
    d = {k: to_str(_text(v)) for k, v in data.items() if not isinstance(v, dict | list)}
    sysmon = "sysmon" in channel.lower() or (not channel and "Image" in d)
    time = parse_time(d.get("UtcTime") or time_value)
    host = computer
    if sysmon and event_id == 1:
        return ProcessEvent(
            source=ref, platform="windows", host=host, time=time,
            pid=to_int(d.get("ProcessId"), "ProcessId"),
            ppid=to_int(d.get("ParentProcessId"), "ParentProcessId"), user=d.get("User", ""),
            exe=d.get("Image", ""), cmdline=d.get("CommandLine", "") or d.get("Image", ""),
            parent_exe=d.get("ParentImage", ""), parent_cmdline=d.get("ParentCommandLine", ""),
        )  # fmt: skip
    if sysmon and event_id == 3:
        outbound = d.get("Initiated", "true").lower() == "true"
        remote = "Destination" if outbound else "Source"
        local = "Source" if outbound else "Destination"
        return NetworkEvent(
            source=ref, platform="windows", action=CONNECT if outbound else INBOUND, host=host,
            time=time, pid=to_int(d.get("ProcessId"), "ProcessId"), exe=d.get("Image", ""),
            remote_addr=d.get(f"{remote}Ip", ""),
            remote_port=to_int(d.get(f"{remote}Port"), f"{remote}Port"),
            local_addr=d.get(f"{local}Ip", ""),
            local_port=to_int(d.get(f"{local}Port"), f"{local}Port"),
            protocol=d.get("Protocol", ""), detail="sysmon 3",
        )  # fmt: skip
    if sysmon and event_id in (12, 13) and _FW_REGISTRY.search(d.get("TargetObject", "")):
        return FirewallEvent(
            source=ref, platform="windows", event_id=event_id, channel=channel or "Sysmon",
            host=host, time=time, pid=to_int(d.get("ProcessId"), "ProcessId"),
            setting_type=d.get("TargetObject", ""), setting_value=d.get("Details", ""),
            user=d.get("User", ""), modifying_application=d.get("Image", ""),
        )  # fmt: skip
    if event_id == 4688 and not sysmon:
        user = "\\".join(p for p in (d.get("SubjectDomainName"), d.get("SubjectUserName")) if p)
        exe = d.get("NewProcessName", "")
        return ProcessEvent(
            source=ref, platform="windows", host=host, time=time,
            pid=to_int(d.get("NewProcessId"), "NewProcessId"),
            ppid=to_int(d.get("ProcessId"), "ProcessId"), user=user, exe=exe,
            cmdline=d.get("CommandLine", "") or exe, parent_exe=d.get("ParentProcessName", ""),
        )  # fmt: skip
    wfas = event_id in WFAS and ("firewall" in channel.lower() or not channel)
    if (event_id in SECURITY_FW and not sysmon) or wfas:
        user = d.get("ModifyingUser", "") or "\\".join(
            p for p in (d.get("SubjectDomainName"), d.get("SubjectUserName")) if p
        )
        return FirewallEvent(
            source=ref, platform="windows", event_id=event_id,
            channel=channel or (_WFAS_CHANNEL if wfas else "Security"), host=host, time=time,
            rule_name=d.get("RuleName", ""), application_path=d.get("ApplicationPath", ""),
            action=d.get("Action", ""), direction=d.get("Direction", ""),
            setting_type=d.get("SettingType", ""),
            setting_value=d.get("SettingValueString", "") or d.get("SettingValue", ""),
            profiles=d.get("Profiles", "") or d.get("ProfileChanged", ""), user=user,
            modifying_application=d.get("ModifyingApplication", ""),
        )  # fmt: skip
    return None


def read_windows_json(lines: Iterable[str], path: str) -> Iterator[Item]:
    return read_json_lines(
        lines, path, lambda obj, ref: optional(from_windows(*normalize_json(obj), ref))
    )


# -- XML -------------------------------------------------------------------------------------

_EVENT_START = re.compile(r"<Event[\s>]")
_EVENT_END = "</Event>"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def normalize_xml(el: Element) -> tuple[int, str, str, Any, dict[str, Any]]:
    system = _child(el, "System")
    if system is None:
        raise ValueError("<Event> without <System>")
    eid_el, chan_el = _child(system, "EventID"), _child(system, "Channel")
    comp_el, tc_el = _child(system, "Computer"), _child(system, "TimeCreated")
    event_id = to_int((eid_el.text or "").strip() if eid_el is not None else None, "EventID")
    if event_id is None:
        raise ValueError("EventID: missing")
    data: dict[str, Any] = {}
    for section in ("EventData", "UserData"):
        sec = _child(el, section)
        if sec is None:
            continue
        for item in sec.iter():
            if _local(item.tag) == "Data" and item.get("Name"):
                data[str(item.get("Name"))] = item.text or ""
            elif item is not sec and len(item) == 0 and _local(item.tag) != "Data":
                data[_local(item.tag)] = item.text or ""
    return (
        event_id,
        (chan_el.text or "") if chan_el is not None else "",
        (comp_el.text or "") if comp_el is not None else "",
        tc_el.get("SystemTime") if tc_el is not None else None,
        data,
    )


def read_windows_xml(lines: Iterable[str], path: str) -> Iterator[Item]:
    buf: list[str] = []
    start = 0
    index = 0
    for n, line in enumerate(lines, 1):
        rest = line
        while rest:
            if not buf:
                m = _EVENT_START.search(rest)
                if m is None:
                    break
                buf, start, rest = [], n, rest[m.start() :]
                buf.append("")
            end = rest.find(_EVENT_END)
            if end < 0:
                buf.append(rest)
                break
            buf.append(rest[: end + len(_EVENT_END)])
            rest = rest[end + len(_EVENT_END) :]
            index += 1
            yield from _xml_event("".join(buf), file_ref(path, start, str(index)))
            buf = []
    if buf:
        yield Malformed(file_ref(path, start, str(index + 1)), "unterminated <Event> element")


def _xml_event(text: str, ref: SourceRef) -> Iterator[Item]:
    try:
        el = fromstring(text)
        ev = from_windows(*normalize_xml(el), ref)
    except (ParseError, DefusedXmlException) as exc:
        yield Malformed(ref, f"invalid XML event: {exc}")
        return
    except ValueError as exc:
        yield Malformed(ref, str(exc))
        return
    if ev is not None:
        yield ev

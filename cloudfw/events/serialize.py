"""ChangeEvent -> the JSON Lines contract, CSV and a table. Pure: returns strings/dicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from cloudfw.model import ChangeEvent, EnumerationEvent, PortSpec

SCHEMA = "cloudfw.change/1"
FIELDS = (
    "provider", "account", "region", "time", "action", "event_name", "resource_id", "direction",
    "peers", "any_peer", "ports", "principal", "source_ip", "success", "error_code", "event_id",
    "rule_action",
)  # fmt: skip
#: an enumeration line: the change fields (no rule content), then the caller's user agent
ENUMERATION_FIELDS = (*FIELDS, "user_agent")
ENUMERATE = "enumerate"
_LINE = orjson.OPT_APPEND_NEWLINE  # the jsonl line's newline, written by orjson


def format_time(ev: ChangeEvent | EnumerationEvent) -> str:
    """``2026-11-03T02:10:04Z`` (``.ffffff`` when there are microseconds), in UTC."""
    return stamp(ev.time)


def stamp(t: datetime) -> str:
    """A reader's time (aware UTC) as the jsonl contract writes it (see `format_time`)."""
    text = t.isoformat()
    if text.endswith("+00:00") and t.year >= 1000:  # the readers' times: aware UTC (fast path)
        return text[:-6] + "Z"
    frac = f".{t.microsecond:06d}" if t.microsecond else ""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def port_to_dict(p: PortSpec) -> dict[str, Any]:
    return {"protocol": p.protocol, "from": p.from_port, "to": p.to_port}


def port_text(p: PortSpec) -> str:
    if p.protocol == "all" and p.from_port is None:
        return "all"
    if p.from_port is None and p.to_port is None:
        return p.protocol
    if p.protocol in ("icmp", "icmpv6"):
        code = "*" if p.to_port is None else str(p.to_port)
        kind = "*" if p.from_port is None else str(p.from_port)
        return f"{p.protocol}:{kind}/{code}"
    if p.from_port == p.to_port:
        return f"{p.protocol}:{p.from_port}"
    return f"{p.protocol}:{p.from_port}-{p.to_port}"


def event_to_dict(ev: ChangeEvent) -> dict[str, Any]:
    """The ``cloudfw events --format jsonl`` contract: exactly :data:`FIELDS`, in order."""
    return {
        "provider": ev.provider,
        "account": ev.account,
        "region": ev.region,
        "time": format_time(ev),
        "action": ev.action.value,
        "event_name": ev.event_name,
        "resource_id": ev.resource_id,
        "direction": ev.direction,
        "peers": list(ev.peers),
        "any_peer": ev.any_peer,
        "ports": [port_to_dict(p) for p in ev.ports],
        "principal": ev.principal,
        "source_ip": ev.source_ip,
        "success": ev.success,
        "error_code": ev.error_code,
        "event_id": ev.event_id,
        "rule_action": ev.rule_action,
    }


def enumeration_to_dict(ev: EnumerationEvent) -> dict[str, Any]:
    """An enumeration record in the change line's format: :data:`ENUMERATION_FIELDS`, in
    order, with ``action: enumerate``, the API as ``event_name`` and no rule content."""
    return enumeration_doc(
        ev.provider, ev.account, ev.region, format_time(ev), ev.event_name, ev.resource_id,
        ev.principal, ev.source_ip, ev.success, ev.error_code, ev.event_id, ev.user_agent,
    )  # fmt: skip


def enumeration_doc(
    provider: str, account: str, region: str, time: str, event_name: str, resource_id: str,
    principal: str, source_ip: str, success: bool, error_code: str, event_id: str,
    user_agent: str,
) -> dict[str, Any]:  # fmt: skip
    """`enumeration_to_dict` of an enumeration record's fields (``time`` as `stamp` writes
    it): what `cloudfw.events.lines` serializes without building the event."""
    return {
        "provider": provider,
        "account": account,
        "region": region,
        "time": time,
        "action": ENUMERATE,
        "event_name": event_name,
        "resource_id": resource_id,
        "direction": "",
        "peers": [],
        "any_peer": False,
        "ports": [],
        "principal": principal,
        "source_ip": source_ip,
        "success": success,
        "error_code": error_code,
        "event_id": event_id,
        "rule_action": "",
        "user_agent": user_agent,
    }


def to_dict(ev: ChangeEvent | EnumerationEvent) -> dict[str, Any]:
    return enumeration_to_dict(ev) if isinstance(ev, EnumerationEvent) else event_to_dict(ev)


def to_jsonl(ev: ChangeEvent | EnumerationEvent) -> bytes:
    if type(ev) is ChangeEvent:
        return orjson.dumps(event_to_dict(ev), option=_LINE)
    assert isinstance(ev, EnumerationEvent)
    return orjson.dumps(enumeration_to_dict(ev), option=_LINE)


def csv_row(ev: ChangeEvent | EnumerationEvent, with_agent: bool = False) -> list[str]:
    """One CSV row: :data:`FIELDS`, and the user agent last when ``with_agent`` (the columns of
    a run that asked for enumeration records)."""
    if isinstance(ev, EnumerationEvent):
        d = enumeration_to_dict(ev)
        d["peers"] = d["ports"] = ""
        d["any_peer"] = "false"
        d["success"] = "true" if ev.success else "false"
        return [str(d[f]) for f in (ENUMERATION_FIELDS if with_agent else FIELDS)]
    d = event_to_dict(ev)
    d["peers"] = " ".join(ev.peers)
    d["ports"] = " ".join(port_text(p) for p in ev.ports)
    d["any_peer"] = "true" if ev.any_peer else "false"
    d["success"] = "true" if ev.success else "false"
    return [str(d[f]) for f in FIELDS] + ([""] if with_agent else [])


def to_csv(
    events: Iterable[ChangeEvent | EnumerationEvent], header: bool = True, with_agent: bool = False
) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(ENUMERATION_FIELDS if with_agent else FIELDS)
    for ev in events:
        w.writerow(csv_row(ev, with_agent))
    return buf.getvalue()


def _row(ev: ChangeEvent | EnumerationEvent) -> list[str]:
    if isinstance(ev, EnumerationEvent):
        return [
            format_time(ev), ev.provider, ev.account, ENUMERATE,
            " ".join(p for p in (ev.event_name, ev.resource_id) if p),
            "", "", "", "", ev.principal, ev.source_ip,
            "ok" if ev.success else f"FAILED {ev.error_code}",
        ]  # fmt: skip
    return [
        format_time(ev), ev.provider, ev.account, ev.action.value, ev.resource_id, ev.direction,
        ev.rule_action, " ".join(port_text(p) for p in ev.ports), " ".join(ev.peers),
        ev.principal, ev.source_ip, "ok" if ev.success else f"FAILED {ev.error_code}",
    ]  # fmt: skip


def to_table(events: Iterable[ChangeEvent | EnumerationEvent]) -> str:
    rows = [_row(ev) for ev in events]
    head = ["time", "cloud", "account", "action", "resource", "dir", "rule", "ports", "peers",
            "principal", "source ip", "result"]  # fmt: skip
    from tabulate import tabulate  # only the table format needs it (and it is slow to import)

    return tabulate(rows, headers=head, tablefmt="simple")

"""What every host parser shares: the parse result shape, text decoding and asset naming."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.model import (
    AddressSet,
    Asset,
    Interface,
    Rule,
    RuleSet,
    SourceRef,
)

PROVIDER = "host"
NOT_COLLECTED = "not collected"  # a firewall's ``status`` tag when the snapshot lacks its state
LOOPBACK = AddressSet.parse_many(["127.0.0.0/8", "::1/128"])


@dataclass(frozen=True, slots=True)
class AppEntry:
    """One macOS Application Firewall entry: an application (path or bundle id) and whether it
    may accept incoming connections."""

    app: str
    allowed: bool
    source: SourceRef


@dataclass(frozen=True, slots=True)
class WinRule:
    """A Windows firewall rule before it is placed into per-profile rule sets.
    ``profiles`` is the CIM bitmask (0 = any, 1 domain, 2 private, 4 public)."""

    profiles: int
    rule: Rule


@dataclass
class HostPart:
    """What one file says about one host. The assembler merges the parts of a host: pf rules
    with ``pfctl -s info``, ALF settings with its application list, Windows rules with profiles.

    ``facts`` use dotted keys: ``pf.status``, ``alf.globalstate``, ``alf.stealth``,
    ``alf.allow_signed``, ``alf.allow_downloads_signed``, ``alf.logging``, ``ufw.status``,
    ``windows.<Profile>.enabled|default_inbound|default_outbound|logging``, ``os``.
    ``interfaces`` come from interface inventories (one file may know only part of an
    interface: its addresses, or that the default route leaves by it).
    """

    host: str
    rulesets: list[RuleSet] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    apps: list[AppEntry] = field(default_factory=list)
    win_rules: list[WinRule] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # what the file lacks: its scope is incomplete


def decode_text(data: bytes, location: str) -> str:
    """UTF-8 (with or without BOM; UTF-16 with BOM as PowerShell writes it), else a located
    error naming the first bad line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise HostParseError(location, f"bad UTF-16 text: {exc.reason}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise HostParseError(
            location, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None


MAX_LINE = 1 << 20


def check_lines(text: str, location: str) -> list[str]:
    """Split into lines; reject NUL bytes and lines over 1 MiB with the line number."""
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise HostParseError(location, f"line is longer than {MAX_LINE} characters", i)
        if "\x00" in line:
            raise HostParseError(location, "binary data (NUL byte) in a text snapshot", i)
    return lines


def host_asset(
    host: str, resource_type: str, thing: str, tags: dict[str, str] | None = None
) -> Asset:
    return Asset(
        provider=PROVIDER,
        account=host,
        region="",
        resource_type=resource_type,
        resource_id=f"{host}:{thing}",
        name=thing,
        tags=tuple(sorted((tags or {}).items())),
    )


def load_json(data: bytes, location: str) -> Any:
    """A JSON document of a snapshot file; a located `HostParseError` when it is empty or bad."""
    text = decode_text(data, location).strip()
    if not text:
        raise HostParseError(location, "empty JSON document", 1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HostParseError(location, f"bad JSON: {exc.msg}", exc.lineno) from None

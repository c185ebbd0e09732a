"""Host snapshot parsers: one module per format, each with ``sniff`` and ``parse``.

`FORMATS` is ordered: the first format whose ``sniff`` accepts a file's bytes parses it (more
specific formats first). ``parse(data, location, host)`` returns `HostPart` objects: rule sets
plus host facts (one part per host; an osquery log may hold many hosts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import (
    alf,
    firewalld,
    iptables,
    netifs,
    nftables,
    osquery,
    pf,
    ufw,
    windows,
    windows_netsh,
)
from cloudfw.hosts.parsers.base import HostPart

Sniff = Callable[[bytes], bool]
Parse = Callable[[bytes, str, str], list[HostPart]]


@dataclass(frozen=True)
class Format:
    name: str
    sniff: Sniff
    parse: Parse
    doc: str


FORMATS: tuple[Format, ...] = (
    Format("alf-plist", alf.sniff_plist, alf.parse_plist, "com.apple.alf.plist (XML or binary)"),
    Format("osquery", osquery.sniff, osquery.parse, "osquery results log (JSON lines)"),
    Format("nftables", nftables.sniff, nftables.parse, "nft -j list ruleset"),
    Format("ip-addr", netifs.sniff_ip_addr, netifs.parse_ip_addr, "ip -j addr (interfaces)"),
    Format("ip-route", netifs.sniff_ip_route, netifs.parse_ip_route, "ip -j route (default)"),
    Format(
        "windows-ip",
        netifs.sniff_windows_ip,
        netifs.parse_windows_ip,
        "Get-NetIPAddress / Get-NetRoute | ConvertTo-Json (interfaces)",
    ),
    Format(
        "windows", windows.sniff, windows.parse, "Get-NetFirewallProfile / Get-NetFirewallRule JSON"
    ),
    Format(
        "netsh",
        windows_netsh.sniff_netsh,
        windows_netsh.parse_netsh,
        "netsh advfirewall show allprofiles / firewall show rule name=all [verbose]",
    ),
    Format("ip6tables", iptables.sniff_v6, partial(iptables.parse, family=6), "ip6tables-save"),
    Format("iptables", iptables.sniff, iptables.parse, "iptables-save"),
    Format("pf-info", pf.sniff_info, pf.parse_info, "pfctl -s info"),
    Format("pf", pf.sniff, pf.parse, "pfctl -sr / pfctl -sa / pf.conf"),
    Format(
        "system-profiler",
        alf.sniff_system_profiler,
        alf.parse_system_profiler,
        "system_profiler SPFirewallDataType (text or -json)",
    ),
    Format(
        "socketfilterfw",
        alf.sniff_socketfilterfw,
        alf.parse_socketfilterfw,
        "socketfilterfw --getglobalstate/--getstealthmode/.../--listapps",
    ),
    Format("ufw", ufw.sniff, ufw.parse, "ufw status verbose"),
    Format("firewalld", firewalld.sniff, firewalld.parse, "firewall-cmd --list-all-zones"),
    Format("ifconfig", netifs.sniff_ifconfig, netifs.parse_ifconfig, "ifconfig (interfaces)"),
    Format(
        "route-get",
        netifs.sniff_route_get,
        netifs.parse_route_get,
        "route -n get default (macOS default route)",
    ),
)
BY_NAME = {f.name: f for f in FORMATS}


def detect(data: bytes | str) -> Format | None:
    """The first format whose ``sniff`` accepts ``data`` (text is UTF-8 encoded first)."""
    if isinstance(data, str):
        data = data.encode()
    for f in FORMATS:
        if f.sniff(data):
            return f
    return None


def parse_file(
    data: bytes | str, location: str, host: str, fmt: str | None = None
) -> list[HostPart]:
    """Parse one snapshot file. ``fmt`` forces a format (it must still parse: a wrong format is a
    located error, never an empty result)."""
    if fmt:
        f = BY_NAME.get(fmt)
        if f is None:
            raise HostParseError(location, f"unknown format {fmt!r} (known: {', '.join(BY_NAME)})")
    else:
        f = detect(data)
        if f is None:
            raise HostParseError(location, "not a recognized host firewall snapshot format", 1)
    parts = f.parse(data.encode() if isinstance(data, str) else data, location, host)
    if not any(p.rulesets or p.facts or p.apps or p.win_rules or p.interfaces for p in parts):
        raise HostParseError(location, f"no {f.name} content found")
    return parts


__all__ = ["BY_NAME", "FORMATS", "Format", "HostPart", "detect", "parse_file"]

"""Interface inventories: which interfaces a host has, their addresses, groups and default route.

Read from ``ip -j addr`` / ``ip -j route`` (Linux, iproute2 JSON), ``ifconfig`` (macOS, the BSDs
with their ``groups:`` line, and Linux net-tools), ``route -n get default`` (macOS) and
``Get-NetIPAddress`` / ``Get-NetRoute`` piped to ``ConvertTo-Json`` (Windows). They add no rule
set: the assembler gives the host's rule sets the merged list, which decides which interfaces
face the internet (`Interface.internet_facing`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, check_lines, decode_text, load_json
from cloudfw.model import Interface

_IFCONFIG = re.compile(r"^([A-Za-z][\w.:-]*?):? flags=(?:0x)?[0-9a-f]+<", re.M)
_DEFAULTS = ("default", "0.0.0.0/0", "::/0")
ROUTES = "net.routes"  # fact: the routes were collected, so no default route means none


def _head(data: bytes, n: int = 4096) -> str:
    return data[:n].decode("utf-8", "replace").lstrip("\ufeff \r\n\t")


# -- iproute2 ---------------------------------------------------------------------------------


def sniff_ip_addr(data: bytes) -> bool:
    head = _head(data)
    return head.startswith("[") and '"ifname"' in head and '"addr_info"' in head


def sniff_ip_route(data: bytes) -> bool:
    head = _head(data)
    return head.startswith("[") and '"dst"' in head and ('"dev"' in head or '"nexthops"' in head)


def _list(data: bytes, location: str) -> list[Mapping[str, Any]]:
    doc = load_json(data, location)
    if isinstance(doc, Mapping):
        doc = [doc]
    if not isinstance(doc, list) or not all(isinstance(x, Mapping) for x in doc):
        raise HostParseError(location, "expected a JSON array of objects")
    return doc


def _text(d: Mapping[str, Any], key: str, location: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise HostParseError(location, f"{where}.{key}: expected a non-empty string")
    return v


def parse_ip_addr(data: bytes, location: str, host: str) -> list[HostPart]:
    out: list[Interface] = []
    for i, link in enumerate(_list(data, location)):
        where = f"[{i}]"
        name = _text(link, "ifname", location, where)
        addrs: list[str] = []
        infos = link.get("addr_info", [])
        if not isinstance(infos, list):
            raise HostParseError(location, f"{where}.addr_info: expected a list")
        for j, a in enumerate(infos):
            if not isinstance(a, Mapping):
                raise HostParseError(location, f"{where}.addr_info[{j}]: expected an object")
            local, plen = a.get("local"), a.get("prefixlen")
            if local is None:
                continue  # a link-layer entry without an address
            addrs.append(_cidr(str(local), plen, location, f"{where}.addr_info[{j}]"))
        out.append(Interface(name, tuple(addrs)))
    return [HostPart(host=host, interfaces=out, sources=[location])]


def parse_ip_route(data: bytes, location: str, host: str) -> list[HostPart]:
    out: list[Interface] = []
    for i, route in enumerate(_list(data, location)):
        dst = _text(route, "dst", location, f"[{i}]")
        if dst not in _DEFAULTS:
            continue
        devs = [route.get("dev")]
        hops = route.get("nexthops")
        if isinstance(hops, list):  # a multipath default route
            devs.extend(h.get("dev") for h in hops if isinstance(h, Mapping))
        names = [d for d in devs if isinstance(d, str) and d]
        if not names:
            raise HostParseError(location, f"[{i}]: a default route without a device")
        out.extend(Interface(n, default_route=True) for n in names)
    return [HostPart(host=host, interfaces=out, facts={ROUTES: "collected"}, sources=[location])]


def _cidr(addr: str, plen: object, location: str, where: str) -> str:
    text = addr.split("%", 1)[0]  # a zone id (fe80::1%en0)
    try:
        if plen is None:
            return str(ipaddress.ip_interface(text))
        if isinstance(plen, bool) or not isinstance(plen, int | str):
            raise ValueError(plen)
        return str(ipaddress.ip_interface(f"{text}/{int(plen)}"))
    except ValueError:
        raise HostParseError(location, f"{where}: bad address {addr!r}/{plen!r}") from None


# -- ifconfig and route -----------------------------------------------------------------------


def sniff_ifconfig(data: bytes) -> bool:
    return bool(_IFCONFIG.search(data[:4096].decode("utf-8", "replace")))


def parse_ifconfig(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    out: list[Interface] = []
    name = ""
    addrs: list[str] = []
    groups: list[str] = []

    def flush() -> None:
        if name:  # BSD ``groups:`` lists ``egress`` when the default route leaves by it
            route = ("egress" in groups) if groups else None
            out.append(Interface(name, tuple(addrs), tuple(groups), route))

    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not line[0].isspace():
            m = _IFCONFIG.match(line)
            if not m:
                raise HostParseError(location, f"unrecognized ifconfig line {line[:60]!r}", i)
            flush()
            name, addrs, groups = m.group(1), [], []
            continue
        if not name:
            raise HostParseError(location, "interface details before any interface", i)
        words = line.split()
        if words[0] in ("inet", "inet6") and len(words) > 1:
            addrs.append(_ifconfig_addr(words, location, i))
        elif words[0] == "groups:":
            groups.extend(words[1:])
    flush()
    if not out:
        raise HostParseError(location, "no interface in ifconfig output", 1)
    return [HostPart(host=host, interfaces=out, sources=[location])]


def _ifconfig_addr(words: list[str], location: str, line: int) -> str:
    """``inet 192.0.2.5 netmask 0xffffff00`` (BSD), ``inet 10.0.0.5  netmask 255.255.255.0``
    (net-tools), ``inet6 fe80::1%em0 prefixlen 64``, ``inet6 2001:db8::5/64``."""
    addr = words[1].removeprefix("addr:")
    opts = dict(zip(words[2::2], words[3::2], strict=False))
    plen: object = None
    if "prefixlen" in opts:
        plen = opts["prefixlen"]
    elif "netmask" in opts:
        mask = opts["netmask"]
        try:
            bits = int(mask, 16) if mask.startswith("0x") else int(ipaddress.IPv4Address(mask))
        except ValueError:
            raise HostParseError(location, f"bad netmask {mask!r}", line) from None
        plen = bin(bits).count("1")
    if "/" in addr:
        addr, _, plen = addr.partition("/")
    return _cidr(addr, plen, location, f"line {line}")


def sniff_route_get(data: bytes) -> bool:
    head = _head(data, 1024)
    return bool(re.match(r"route to: default\b", head)) and "interface:" in head


def parse_route_get(data: bytes, location: str, host: str) -> list[HostPart]:
    for i, line in enumerate(check_lines(decode_text(data, location), location), 1):
        key, _, value = line.strip().partition(":")
        if key == "interface":
            if not value.strip():
                raise HostParseError(location, "empty interface", i)
            iface = Interface(value.strip(), default_route=True)
            facts = {ROUTES: "collected"}
            return [HostPart(host=host, interfaces=[iface], facts=facts, sources=[location])]
    raise HostParseError(location, "no 'interface:' line in route -n get default output", 1)


# -- Windows ----------------------------------------------------------------------------------


def sniff_windows_ip(data: bytes) -> bool:
    head = _head(data, 8192)
    return (
        head.startswith(("[", "{"))
        and '"InterfaceAlias"' in head
        and ('"IPAddress"' in head or '"DestinationPrefix"' in head or '"NetworkCategory"' in head)
    )


CONNECTION_PROFILES = (
    "windows.connection_profiles"  # fact: each interface's firewall profile is known
)
#: Get-NetConnectionProfile's NetworkCategory (a number from ConvertTo-Json in PowerShell 5.1,
#: a name with -EnumsAsStrings or where it was cast) -> the firewall profile that applies
_CATEGORIES = {"0": "Public", "1": "Private", "2": "Domain", "public": "Public",
               "private": "Private", "domainauthenticated": "Domain"}  # fmt: skip


def profile_group(profile: str) -> str:
    """The interface group of the interfaces a Windows firewall profile applies to."""
    return f"profile-{profile.lower()}"


# IANA ifType (``Get-NetAdapter`` InterfaceType) -> the Windows Firewall interface type group
_WIN_TYPES = {6: ("lan",), 71: ("wireless",), 23: ("ras",)}
WIN_ANY_TYPE = ("lan", "ras", "wireless")  # the type was not collected: any of them


def _win_groups(item: Mapping[str, Any]) -> tuple[str, ...]:
    """The firewall interface-type groups (``lan``, ``wireless``, ``ras``) of an address's
    interface: from the collector's ``InterfaceType`` (IANA ifType) when present; without it, a
    rule bound to any interface type may apply (never a silently unmatched rule)."""
    t = str(item.get("InterfaceType") or "")
    if not t:
        return WIN_ANY_TYPE
    return _WIN_TYPES.get(int(t), ()) if t.isdigit() else ()


def parse_windows_ip(data: bytes, location: str, host: str) -> list[HostPart]:
    """``Get-NetIPAddress``, ``Get-NetRoute`` and ``Get-NetConnectionProfile`` piped to
    ``ConvertTo-Json``."""
    out: list[Interface] = []
    facts: dict[str, str] = {}
    for i, item in enumerate(_list(data, location)):
        where = f"[{i}]"
        alias = _text(item, "InterfaceAlias", location, where)
        if "IPAddress" in item:
            addr = _text(item, "IPAddress", location, where)
            cidr = _cidr(addr, item.get("PrefixLength"), location, where)
            out.append(Interface(alias, (cidr,), _win_groups(item)))
        elif "DestinationPrefix" in item:
            facts[ROUTES] = "collected"
            if item.get("DestinationPrefix") in _DEFAULTS:
                out.append(Interface(alias, default_route=True))
        elif "NetworkCategory" in item:
            cat = _CATEGORIES.get(str(item.get("NetworkCategory")).strip().lower())
            if cat is None:
                raise HostParseError(
                    location, f"{where}.NetworkCategory: unknown {item.get('NetworkCategory')!r}"
                )
            facts[CONNECTION_PROFILES] = "collected"
            out.append(Interface(alias, groups=(profile_group(cat),)))
        else:
            raise HostParseError(
                location, f"{where}: neither IPAddress, DestinationPrefix nor NetworkCategory"
            )
    return [HostPart(host=host, interfaces=out, facts=facts, sources=[location])]


def merge(parts: list[Interface], routes_collected: bool) -> tuple[Interface, ...]:
    """One interface per name: addresses and groups unioned, the default route if any part says
    so; when the routes were collected, an interface no default route leaves by has none."""
    by: dict[str, Interface] = {}
    for i in parts:
        old = by.get(i.name)
        if old is None:
            by[i.name] = i
            continue
        route = (
            True
            if True in (old.default_route, i.default_route)
            else old.default_route
            if i.default_route is None
            else i.default_route
        )
        by[i.name] = Interface(
            i.name,
            tuple(dict.fromkeys((*old.addresses, *i.addresses))),
            tuple(dict.fromkeys((*old.groups, *i.groups))),
            route,
        )
    if routes_collected:
        by = {n: i if i.default_route is not None else replace(i, default_route=False)
              for n, i in by.items()}  # fmt: skip
    return tuple(by[n] for n in sorted(by))

"""Small vocabularies shared by the Linux and BSD parsers: service names (the shipped services(5)
table, ``cloudfw/data/services``) and ICMP types."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

from cloudfw.model import Intervals, icmp_space, parse_ports

SERVICES_FILE = "data/services"  # services(5) layout, shipped with cloudfw (IANA names)
_PROTO_RANK = {"tcp": 0, "udp": 1}  # getservbyname(name, "tcp") first, then "udp" (as pfctl)


def parse_services(text: str) -> dict[str, int]:
    """``name port/proto [aliases] [# comment]`` lines -> name (and alias) -> port, the tcp
    entry winning over udp and others, the first line over later ones."""
    best: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 2 or "/" not in words[1]:
            continue
        port_s, _, proto = words[1].partition("/")
        rank = _PROTO_RANK.get(proto, 2)
        for name in (words[0], *words[2:]):
            key = name.lower()
            if key not in best or rank < best[key][1]:
                best[key] = (int(port_s), rank)
    return {name: port for name, (port, _) in best.items()}


@cache
def services() -> Mapping[str, int]:
    """The shipped services table (read on first use, not at import)."""
    text = resources.files("cloudfw").joinpath(SERVICES_FILE).read_text("utf-8")
    return MappingProxyType(parse_services(text))


ICMP_TYPES: dict[str, tuple[int, int | None]] = {
    "any": (-1, None), "echo-reply": (0, None), "pong": (0, None),
    "destination-unreachable": (3, None), "source-quench": (4, None), "redirect": (5, None),
    "echo-request": (8, None), "ping": (8, None), "router-advertisement": (9, None),
    "router-solicitation": (10, None), "time-exceeded": (11, None), "ttl-exceeded": (11, None),
    "parameter-problem": (12, None), "timestamp-request": (13, None),
    "timestamp-reply": (14, None), "port-unreachable": (3, 3), "host-unreachable": (3, 1),
    "network-unreachable": (3, 0), "fragmentation-needed": (3, 4), "echoreq": (8, None),
    "echorep": (0, None), "unreach": (3, None), "timex": (11, None), "paramprob": (12, None),
    "packet-too-big": (2, None), "neighbour-solicitation": (135, None),
    "neighbor-solicitation": (135, None), "neighbour-advertisement": (136, None),
    "neighbor-advertisement": (136, None), "nd-neighbor-solicit": (135, None),
    "nd-neighbor-advert": (136, None), "nd-router-solicit": (133, None),
    "nd-router-advert": (134, None), "echo6-request": (128, None), "echo6-reply": (129, None),
}  # fmt: skip


def port_number(token: str) -> int | None:
    t = token.strip().lower()
    if t.isdigit():
        return int(t)
    return services().get(t)


def ports_from(text: str, range_sep: str = ":") -> Intervals | None:
    """``22``, ``ssh``, ``1000:2000``, ``80,443`` (iptables/nft style) -> intervals, or None
    when a name is unknown."""
    parts: list[str] = []
    for part in text.split(","):
        lo_s, sep, hi_s = part.partition(range_sep)
        lo = port_number(lo_s) if lo_s else 0
        hi = (port_number(hi_s) if hi_s else 65535) if sep else lo
        if lo is None or hi is None:
            return None
        parts.append(f"{lo}-{hi}")
    return parse_ports(",".join(parts))


def icmp_from(text: str, v6: bool = False) -> Intervals | None:
    t = text.strip().lower()
    if t in ICMP_TYPES:
        typ, code = ICMP_TYPES[t]
        if v6 and t in ("echo-request", "ping"):
            typ = 128
        if v6 and t in ("echo-reply", "pong"):
            typ = 129
        return icmp_space(typ, code)
    typ_s, _, code_s = t.partition("/")
    if typ_s.isdigit() and (not code_s or code_s.isdigit()):
        return icmp_space(int(typ_s), int(code_s) if code_s else None)
    return None

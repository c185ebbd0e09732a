"""Protocols and ports.

Protocols are IANA numbers (0..255) kept as an `Intervals`; ``ALL_PROTOCOLS`` means every protocol.
Ports are an `Intervals` over 0..65535. For ICMP and ICMPv6 the port dimension encodes
``type << 8 | code``, so "echo request, any code" is ``8<<8 .. 8<<8|255``.
Protocols without ports (GRE, ESP, ...) always carry ``ALL_PORTS``.
"""

from __future__ import annotations

from functools import lru_cache

from cloudfw.model.errors import ModelError
from cloudfw.model.intervals import Intervals

ALL_PROTOCOLS = Intervals.of((0, 255))
ALL_PORTS = Intervals.of((0, 65535))
NO_PORTS = Intervals()

TCP, UDP, ICMP, ICMPV6, SCTP = 6, 17, 1, 58, 132
PORTED = frozenset({TCP, UDP, SCTP})
ICMP_LIKE = frozenset({ICMP, ICMPV6})

PROTOCOL_NAMES: dict[str, int] = {
    "icmp": ICMP, "igmp": 2, "ipip": 4, "tcp": TCP, "udp": UDP, "gre": 47, "esp": 50, "ah": 51,
    "icmpv6": ICMPV6, "ipv6-icmp": ICMPV6, "icmp6": ICMPV6, "sctp": SCTP, "ospf": 89,
    # more /etc/protocols (IANA) names that iptables -p and pf proto accept
    "egp": 8, "igp": 9, "dccp": 33, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "eigrp": 88, "etherip": 97, "encap": 98, "pim": 103,
    "ipcomp": 108, "vrrp": 112, "carp": 112, "l2tp": 115, "ipv6-mh": 135, "udplite": 136,
    "mpls-in-ip": 137, "pfsync": 240,
}  # fmt: skip
NUMBER_NAMES: dict[int, str] = {
    ICMP: "icmp", 2: "igmp", 4: "ipip", TCP: "tcp", UDP: "udp", 47: "gre", 50: "esp", 51: "ah",
    ICMPV6: "icmpv6", SCTP: "sctp", 89: "ospf",
}  # fmt: skip
ALL_TOKENS = frozenset({"-1", "all", "*", "any", "ip"})


class PortError(ModelError):
    """A protocol or port specification that cannot be parsed."""


@lru_cache(maxsize=1024)
def parse_protocol(token: str | int) -> Intervals:
    """``tcp``/``6`` -> {6}; ``-1``/``all``/``*`` -> every protocol."""
    tok = str(token).strip().lower()
    if tok in ALL_TOKENS:
        return ALL_PROTOCOLS
    if tok in PROTOCOL_NAMES:
        n = PROTOCOL_NAMES[tok]
    else:
        try:
            n = int(tok)
        except ValueError:
            raise PortError(f"unknown protocol {token!r}") from None
    if not 0 <= n <= 255:
        raise PortError(f"protocol number {n} is outside 0..255")
    return Intervals.of((n, n))


@lru_cache(maxsize=8192)
def parse_ports(text: str) -> Intervals:
    """``22``, ``80,443``, ``1024-65535``, ``*``/``all``/``any`` -> port intervals (0..65535)."""
    tok = text.strip().lower()
    if tok in ("*", "all", "any", ""):
        return ALL_PORTS
    spans: list[tuple[int, int]] = []
    for part in tok.split(","):
        part = part.strip()
        lo_s, sep, hi_s = part.partition("-")
        try:
            lo = int(lo_s)
            hi = int(hi_s) if sep else lo
        except ValueError:
            raise PortError(f"bad port {part!r} in {text!r}") from None
        if not (0 <= lo <= 65535 and 0 <= hi <= 65535):
            raise PortError(f"port {part!r} is outside 0..65535")
        if lo > hi:
            raise PortError(f"port range {part!r} is reversed")
        spans.append((lo, hi))
    return Intervals.from_iter(spans)


def port_range(lo: int, hi: int) -> Intervals:
    if not (0 <= lo <= hi <= 65535):
        raise PortError(f"port range {lo}-{hi} is outside 0..65535 or reversed")
    return Intervals.of((lo, hi))


def icmp_space(icmp_type: int | None, code: int | None) -> Intervals:
    """ICMP type/code (None = any) encoded in the port dimension."""
    if icmp_type is None or icmp_type < 0:
        return ALL_PORTS
    if not 0 <= icmp_type <= 255:
        raise PortError(f"ICMP type {icmp_type} is outside 0..255")
    if code is None or code < 0:
        return Intervals.of((icmp_type << 8, (icmp_type << 8) | 255))
    if not 0 <= code <= 255:
        raise PortError(f"ICMP code {code} is outside 0..255")
    return Intervals.of(((icmp_type << 8) | code, (icmp_type << 8) | code))


def protocol_label(protocols: Intervals) -> str:
    if protocols == ALL_PROTOCOLS:
        return "all"
    names: list[str] = []
    for lo, hi in protocols.spans:
        names.extend(NUMBER_NAMES.get(n, str(n)) for n in range(lo, hi + 1))
    return ",".join(names) if len(names) <= 8 else str(protocols)


def ports_label(protocols: Intervals, ports: Intervals) -> str:
    if ports == ALL_PORTS:
        return "all"
    if protocols.spans and all(lo == hi and lo in ICMP_LIKE for lo, hi in protocols.spans):
        out = []
        for lo, hi in ports.spans:
            t_lo, t_hi = lo >> 8, hi >> 8
            if lo & 255 == 0 and hi & 255 == 255:
                out.append(f"type {t_lo}" if t_lo == t_hi else f"type {t_lo}-{t_hi}")
            else:
                out.append(f"type {t_lo} code {lo & 255}" if lo == hi else f"{lo}-{hi}")
        return ",".join(out)
    return str(ports)

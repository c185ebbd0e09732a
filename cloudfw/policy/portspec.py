"""Protocol and port text as written in baseline rule specs (and written back by capture).

* protocols: ``tcp``, ``6``, ``all``, ``tcp,udp``, ``50-51``;
* ports: ``22``, ``80,443``, ``1024-65535``, ``all``;
* ICMP / ICMPv6 (when every protocol of the spec is ICMP-like): ``type 8``, ``type 3 code 4``,
  ``type 3 code 0-5``, ``type 0-8``, comma-separated, or ``all``. Plain numbers are refused
  there, since the model encodes ICMP as ``type << 8 | code`` and ``8`` would silently mean
  "type 0, code 8".
"""

from __future__ import annotations

import re
from functools import lru_cache

from cloudfw.model import Intervals, parse_ports, parse_protocol
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS, ICMP_LIKE, NUMBER_NAMES, PortError

_ICMP_PART = re.compile(r"^type\s+(\d+)(?:\s*-\s*(\d+))?(?:\s+code\s+(\d+)(?:\s*-\s*(\d+))?)?$")


def protocol_token(protocols: Intervals) -> str:
    """Canonical protocol text: ``all``, ``tcp``, ``tcp,udp``, ``50-51``."""
    if protocols == ALL_PROTOCOLS:
        return "all"
    parts = []
    for lo, hi in protocols.spans:
        parts.append(NUMBER_NAMES.get(lo, str(lo)) if lo == hi else f"{lo}-{hi}")
    return ",".join(parts)


@lru_cache(maxsize=4096)  # a 200,000-rule baseline repeats a few dozen protocol texts
def parse_protocols(raw: str | int) -> Intervals:
    out = Intervals()
    for part in str(raw).strip().lower().split(","):
        part = part.strip()
        try:
            out = out | parse_protocol(part)
            continue
        except PortError:
            lo, sep, hi = part.partition("-")
            if not (sep and lo.isdigit() and hi.isdigit()):
                raise
        a, b = int(lo), int(hi)
        if not (0 <= a <= b <= 255):
            raise PortError(f"protocol range {part!r} is outside 0..255 or reversed")
        out = out | Intervals.of((a, b))
    return out


def is_icmp_only(protocols: Intervals) -> bool:
    return bool(protocols) and all(
        n in ICMP_LIKE for lo, hi in protocols.spans for n in range(lo, hi + 1)
    )


@lru_cache(maxsize=16384)
def parse_spec_ports(raw: str | int, protocols: Intervals) -> Intervals:
    text = str(raw).strip().lower()
    if not is_icmp_only(protocols) or text in ("all", "*", "any"):
        return parse_ports(text)
    spans: list[tuple[int, int]] = []
    for part in text.split(","):
        m = _ICMP_PART.match(part.strip())
        if m is None:
            raise PortError(
                f"ICMP ports are written 'type 8', 'type 3 code 4' or 'all', not {part.strip()!r}"
            )
        t1 = int(m[1])
        t2 = int(m[2]) if m[2] else t1
        c1 = int(m[3]) if m[3] else 0
        c2 = int(m[4]) if m[4] else (c1 if m[3] else 255)
        if not (t1 <= t2 <= 255 and c1 <= c2 <= 255):
            raise PortError(f"ICMP type/code {part.strip()!r} is outside 0..255 or reversed")
        if m[3] and t1 != t2:
            raise PortError(f"{part.strip()!r}: give codes for one type only")
        spans.append(((t1 << 8) | c1, (t2 << 8) | c2))
    return Intervals.from_iter(spans)


def ports_token(protocols: Intervals, ports: Intervals) -> str:
    """Ports as `parse_spec_ports` reads them back (exactly)."""
    if ports == ALL_PORTS:
        return "all"
    if not is_icmp_only(protocols):
        return str(ports)
    return ",".join(_icmp_span(lo, hi) for span in ports.spans for lo, hi in _split(*span))


def _split(lo: int, hi: int) -> list[tuple[int, int]]:
    """Cut a span into pieces that are one type (any code range) or whole types."""
    out: list[tuple[int, int]] = []
    if lo & 255 and lo >> 8 != hi >> 8:
        out.append((lo, lo | 255))
        lo = (lo | 255) + 1
    if hi & 255 != 255 and lo >> 8 != hi >> 8:
        head_end = (hi & ~255) - 1
        out.append((lo, head_end))
        out.append((hi & ~255, hi))
    else:
        out.append((lo, hi))
    return out


def _icmp_span(lo: int, hi: int) -> str:
    t1, t2, c1, c2 = lo >> 8, hi >> 8, lo & 255, hi & 255
    if c1 == 0 and c2 == 255:
        return f"type {t1}" if t1 == t2 else f"type {t1}-{t2}"
    code = str(c1) if c1 == c2 else f"{c1}-{c2}"
    return f"type {t1} code {code}"

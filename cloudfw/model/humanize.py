"""Peer sets and protocol sets as people read them: the one renderer every human format uses.

Pure and stdlib only, so checks (finding messages), exporters and the exposure view can share it.
Machine formats (the JSON report, SARIF/OCSF properties, ``cloudfw.exposure/1``) keep the exact
tokens; this module is for cells and sentences.

Peers. Each address family is written the shortest of three ways (fewest items, then fewest
characters):

* the CIDRs themselves: ``10.0.0.0/8, 192.168.0.0/16``;
* the whole family except a few: ``0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16``,
  ``::/0 except ::1/128``;
* the family's public (internet-routable) space, whole or except a few: ``internet-v4``,
  ``internet-v6 except 2600::/12``. Both families' whole public space is ``internet``.

The universal set is ``any``; symbolic peers follow as ``kind:value``. When a part has an
``except`` list, parts are separated by ``; `` (``0.0.0.0/0 except 10.0.0.0/8; ::/0``), otherwise
everything is one comma list. ``limit`` cuts each list after that many items and ends it with
``+N more``; ``width`` bounds the whole text (the limit shrinks until it fits, and as a last resort
the text ends with ``…`` after the last whole item that fits). `expand` reads an uncut rendering
back into the set.

Protocols: ``all``, names where IANA numbers have one (``tcp,udp``), and a set close to every
protocol as its complement: ``all protocols except tcp, udp``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cloudfw.model.addr import (
    ANY,
    EMPTY,
    FULL_V4,
    FULL_V6,
    INTERNET,
    PUBLIC_V4,
    PUBLIC_V6,
    AddressError,
    AddressSet,
)
from cloudfw.model.intervals import Intervals
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS, NUMBER_NAMES, PROTOCOL_NAMES

EXCEPT = " except "
PART_SEP = "; "
ITEM_SEP = ", "
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class _Family:
    version: int
    full: Intervals
    public: Intervals
    whole: str  # the family's whole space as a CIDR
    internet: str  # the family's public space


_V4 = _Family(4, FULL_V4, PUBLIC_V4, "0.0.0.0/0", "internet-v4")
_V6 = _Family(6, FULL_V6, PUBLIC_V6, "::/0", "internet-v6")
NONE = "(none)"
#: The words `expand` reads besides CIDRs and ``kind:value`` symbols.
_WORDS: dict[str, AddressSet] = {
    NONE: EMPTY,
    "any": ANY,
    "internet": INTERNET,
    "internet-v4": AddressSet(v4=PUBLIC_V4),
    "internet-v6": AddressSet(v6=PUBLIC_V6),
}

#: One part of a rendering: a base (``0.0.0.0/0``, ``internet-v4``; "" for a plain list) and the
#: items listed after it (the exceptions, or the members of a plain list).
Part = tuple[str, tuple[str, ...]]


def _cidrs(fam: _Family, iv: Intervals) -> tuple[str, ...]:
    cls = ipaddress.IPv4Address if fam.version == 4 else ipaddress.IPv6Address
    out: list[str] = []
    for lo, hi in iv.spans:
        out.extend(str(n) for n in ipaddress.summarize_address_range(cls(lo), cls(hi)))
    return tuple(out)


def _cost(part: Part) -> tuple[int, int]:
    return (len(part[1]) + bool(part[0]), len(part[0]) + sum(len(x) + 2 for x in part[1]))


@lru_cache(maxsize=4096)
def _family_part(fam: _Family, part: Intervals) -> Part:
    options: list[Part] = [("", _cidrs(fam, part)), (fam.whole, _cidrs(fam, fam.full - part))]
    if fam.public.covers(part):
        options.append((fam.internet, _cidrs(fam, fam.public - part)))
    return min(options, key=_cost)  # the first of equals: a plain list when nothing is shorter


def peer_parts(peers: AddressSet) -> list[Part]:
    """The structure `peers_text` writes: per family a plain list or a base with exceptions, then
    the symbols as a plain list."""
    if peers.universal:
        return [("", ("any",))]
    parts: list[Part] = []
    v4 = _family_part(_V4, peers.v4) if peers.v4 else None
    v6 = _family_part(_V6, peers.v6) if peers.v6 else None
    if v4 == (_V4.internet, ()) and v6 == (_V6.internet, ()):
        parts.append(("", ("internet",)))
    else:
        parts.extend(p if p[0] == "" or p[1] else ("", (p[0],)) for p in (v4, v6) if p)
    if peers.symbols:
        parts.append(("", tuple(str(p) for p in sorted(peers.symbols))))
    return parts


def _cut(items: tuple[str, ...], limit: int | None) -> list[str]:
    if limit is None or len(items) <= limit:
        return list(items)
    return [*items[:limit], f"+{len(items) - limit} more"]


def _join(parts: list[Part], limit: int | None) -> str:
    if not any(base and items for base, items in parts):
        flat = tuple(x for _, items in parts for x in items)
        return ITEM_SEP.join(_cut(flat, limit))
    out = []
    for base, items in parts:
        listed = ITEM_SEP.join(_cut(items, limit))
        out.append(f"{base}{EXCEPT}{listed}" if base else listed)
    return PART_SEP.join(out)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending with ``…`` when cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def _clip_list(text: str, width: int) -> str:
    """``text`` cut after the last whole item that fits (``a, b, …``), else plainly clipped."""
    cuts = [i for i in range(len(text) - 1) if text[i : i + 2] in (ITEM_SEP, PART_SEP)]
    fitting = [i for i in cuts if i + len(ITEM_SEP) + len(ELLIPSIS) <= width]
    if not fitting:
        return clip(text, width)
    i = fitting[-1]
    return text[: i + len(ITEM_SEP)] + ELLIPSIS


def peers_text(peers: AddressSet, limit: int | None = None, width: int | None = None) -> str:
    """``peers`` for people (see the module docstring); ``(none)`` for the empty set."""
    parts = peer_parts(peers)
    if not parts:
        return NONE if width is None else clip(NONE, width)
    text = _join(parts, limit)
    if width is None or len(text) <= width:
        return text
    longest = max(len(items) for _, items in parts)
    start = longest if limit is None else min(limit, longest)
    for lim in range(start - 1, 0, -1):
        text = _join(parts, lim)
        if len(text) <= width:
            return text
    return _clip_list(text, width)


@lru_cache(maxsize=8192)
def _token_set(tokens: tuple[str, ...]) -> AddressSet | None:
    try:
        return AddressSet.parse_many(tokens)
    except AddressError:
        return None


def tokens_text(tokens: Sequence[str], limit: int | None = None, width: int | None = None) -> str:
    """`peers_text` of peer tokens (a finding's ``peers``); tokens that do not parse as peers are
    listed as they are (with the same cut)."""
    toks = tuple(tokens)
    if not toks:
        return ""
    peers = _token_set(toks)
    if peers is None:
        text = ITEM_SEP.join(_cut(toks, limit))
        return text if width is None else clip(text, width)
    return peers_text(peers, limit, width)


def expand(text: str) -> AddressSet:
    """The set an uncut `peers_text` rendering stands for (``AddressError`` for a cut one)."""
    out = EMPTY
    for segment in text.split(PART_SEP):
        base, sep, rest = segment.partition(EXCEPT)
        out = out | ((_word(base) - _items(rest)) if sep else _items(segment))
    return out


def _items(text: str) -> AddressSet:
    out = EMPTY
    for tok in text.split(ITEM_SEP):
        if tok.startswith("+") and tok.endswith(" more"):
            raise AddressError(f"{text!r} was cut ({tok}): the exact set is not in the text")
        out = out | _word(tok)
    return out


def _word(tok: str) -> AddressSet:
    tok = tok.strip()
    return _WORDS[tok] if tok in _WORDS else AddressSet.parse(tok)


# -- protocols ----------------------------------------------------------------------------------
def _protocol_names(protocols: Intervals) -> list[str]:
    """Short spans by name (``tcp``, ``udp``, unnamed numbers as numbers), long ones as ranges."""
    out: list[str] = []
    for lo, hi in protocols.spans:
        if hi - lo < 4:
            out.extend(NUMBER_NAMES.get(n, str(n)) for n in range(lo, hi + 1))
        else:
            out.append(f"{lo}-{hi}")
    return out


def protocols_text(protocols: Intervals) -> str:
    """``all``; ``tcp,udp``; ``all protocols except tcp, udp`` for a set close to every protocol;
    short runs by name (``icmp,igmp``), long runs as ranges (``tcp,132-140``)."""
    if protocols == ALL_PROTOCOLS:
        return "all"
    missing = ALL_PROTOCOLS - protocols
    if protocols.size() > missing.size():
        return "all protocols except " + ", ".join(_protocol_names(missing))
    return ",".join(_protocol_names(protocols))


def parse_protocol_label(label: str) -> Intervals | None:
    """The protocol set a label such as ``tcp,udp``, ``0-5,7-16,18-255`` or ``all`` names
    (None when it is not one)."""
    if label.strip().lower() in ("all", "*", "-1", "any"):
        return ALL_PROTOCOLS
    spans: list[tuple[int, int]] = []
    for raw in label.split(","):
        tok = raw.strip().lower()
        lo_s, sep, hi_s = tok.partition("-")
        if tok in PROTOCOL_NAMES:
            n = PROTOCOL_NAMES[tok]
            spans.append((n, n))
        elif lo_s.isdigit() and (not sep or hi_s.isdigit()):
            lo, hi = int(lo_s), int(hi_s) if sep else int(lo_s)
            if not lo <= hi <= 255:
                return None
            spans.append((lo, hi))
        else:
            return None
    return Intervals.from_iter(spans)


def traffic_text(protocol: str, ports: str) -> str:
    """A rule's or finding's ``protocol``/``ports`` labels as one cell: ``tcp/22``, ``all/all``,
    ``icmp/type 8``, ``all protocols except tcp, udp`` (ports left out when every port)."""
    protocols = parse_protocol_label(protocol)
    if protocols is None:
        return f"{protocol}/{ports}" if ports else protocol
    name = protocols_text(protocols)
    if name.startswith("all protocols except"):
        return name if ports in ("", "all", str(ALL_PORTS)) else f"{name} ports {ports}"
    return f"{name}/{ports}" if ports else name

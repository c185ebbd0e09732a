"""pf rule syntax: tokens, macros, tables, addresses, ports and one rule's conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.netmatch import icmp_from, port_number
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY_V4,
    ANY_V6,
    AddressError,
    AddressSet,
    Direction,
    IfaceMatch,
    Intervals,
    PortError,
    parse_protocol,
)
from cloudfw.model import ANY as ANY

Addr = AddressSet
_TOKEN = re.compile(r'"[^"]*"|<[^<>\s]+>|!=|<=|>=|><|<>|[{}(),!=<>]|[^\s{}(),!=<>"]+')
_IFACE = re.compile(r"^\(?([a-z]+[0-9]+)(:[a-z0-9]+)?\)?$")
_NARROW = {"user", "group", "tagged", "probability", "os", "received-on", "tos", "prio"}


def strip_comment(s: str) -> str:
    out, quoted = [], False
    for ch in s:
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            break
        out.append(ch)
    return "".join(out).strip()


def expand_macros(text: str, macros: dict[str, str], location: str, line: int) -> str:
    for _ in range(16):
        if "$" not in text:
            return text

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in macros:
                raise HostParseError(location, f"undefined macro ${name}", line)
            return macros[name]

        text = re.sub(r"\$([A-Za-z_]\w*)", sub, text)
    raise HostParseError(location, "macro expansion does not terminate", line)


def tokenize(text: str, location: str, line: int) -> list[str]:
    toks = _TOKEN.findall(text)
    if re.sub(r"\s+", "", "".join(toks)) != re.sub(r"\s+", "", text):
        raise HostParseError(location, f"cannot tokenize pf line {text[:60]!r}", line)
    return [t for t in toks if t != ","]


@dataclass
class Cond:
    direction: Direction | None = None
    protocols: Intervals = ALL_PROTOCOLS
    ports: Intervals = ALL_PORTS
    src: AddressSet = ANY
    dst: AddressSet = ANY
    loopback: bool = False
    iface: IfaceMatch | None = None  # ``on ...``: the interface the packet arrives on or leaves by

    def conjoin(self, other: Cond) -> Cond:
        iface = (
            other.iface
            if self.iface is None
            else self.iface
            if other.iface is None
            else self.iface & other.iface
        )
        return Cond(
            other.direction or self.direction,
            self.protocols & other.protocols,
            self.ports & other.ports,
            self.src & other.src,
            self.dst & other.dst,
            self.loopback or other.loopback,
            iface,
        )

    def directions(self) -> tuple[Direction, ...]:
        return (self.direction,) if self.direction else (Direction.INGRESS, Direction.EGRESS)


@dataclass
class Parsed:
    verb: str
    cond: Cond
    quick: bool = False
    log: bool = False
    anchor: str = ""
    narrowing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Stream:
    def __init__(self, toks: list[str], location: str, line: int) -> None:
        self.toks, self.i, self.location, self.line = toks, 0, location, line

    def peek(self) -> str:
        return self.toks[self.i] if self.i < len(self.toks) else ""

    def take(self) -> str:
        t = self.peek()
        if not t:
            raise HostParseError(self.location, "pf rule ends too early", self.line)
        self.i += 1
        return t

    def group(self) -> list[str]:
        """One item or a ``{ ... }`` list."""
        t = self.take()
        if t != "{":
            return [t]
        out = []
        while (t := self.take()) != "}":
            out.append(t)
        return out

    def skip_parens(self) -> None:
        if self.peek() == "(":
            depth = 0
            while True:
                t = self.take()
                depth += t == "("
                depth -= t == ")"
                if depth == 0:
                    return

    def err(self, msg: str) -> HostParseError:
        return HostParseError(self.location, msg, self.line)


def parse_table(
    toks: list[str], tables: dict[str, Addr], location: str, line: int
) -> tuple[str, Addr]:
    if len(toks) < 2 or not toks[1].startswith("<"):
        raise HostParseError(location, "table needs a <name>", line)
    name = toks[1][1:-1]
    s = _Stream(toks[2:], location, line)
    addr: Addr = AddressSet()
    found = False
    while s.peek():
        t = s.take()
        if t == "{":
            s.i -= 1
            addr = addr | _addr_list(s.group(), tables, s)
            found = True
        elif t == "file":
            s.take()
    if not found:
        addr = AddressSet.symbol("unresolved", f"pf-table:{name}")
    return name, addr


def _one_addr(tok: str, tables: dict[str, Addr], s: _Stream) -> Addr:
    t = tok.strip('"')
    if t in ("any", "self"):
        return ANY
    if t in ("no-route", "urpf-failed"):
        return AddressSet.symbol("unresolved", f"pf:{t}")
    if t.startswith("<") and t.endswith(">"):
        name = t[1:-1]
        return tables.get(name, AddressSet.symbol("unresolved", f"pf-table:{name}"))
    if _IFACE.match(t) and not re.match(r"^[0-9a-f:]+$", t):
        return AddressSet.symbol("unresolved", f"pf-if:{t.strip('()')}")
    try:
        return AddressSet.parse(t)
    except AddressError:
        if re.match(r"^[A-Za-z0-9.-]+$", t):
            return AddressSet.symbol("unresolved", f"dns:{t}")
        raise s.err(f"bad pf address {t!r}") from None


def _addr_list(items: list[str], tables: dict[str, Addr], s: _Stream) -> Addr:
    pos: Addr = AddressSet()
    neg: Addr = AddressSet()
    negate = False
    for t in items:
        if t == "!":
            negate = True
            continue
        a = _one_addr(t, tables, s)
        if negate:
            neg = neg | a
        else:
            pos = pos | a
        negate = False
    if not pos and neg:
        pos = ANY
    return pos - neg if neg else pos


def _address(s: _Stream, tables: dict[str, Addr]) -> Addr:
    if s.peek() in ("port", ""):
        return ANY
    negate = False
    if s.peek() == "!":
        s.take()
        negate = True
    if s.peek() == "(":
        s.take()
        name = s.take()
        while s.take() != ")":
            pass
        a = AddressSet.symbol("unresolved", f"pf-if:{name}")
    else:
        a = _addr_list(s.group(), tables, s)
    return ANY - a if negate else a


def _port_items(items: list[str], s: _Stream) -> Intervals:
    out = Intervals()
    i = 0
    while i < len(items):
        t = items[i]
        if t in ("=", "!=", "<", ">", "<=", ">="):
            v = _pnum(items[i + 1] if i + 1 < len(items) else "", s)
            i += 2
            out = (
                out
                | {
                    "=": Intervals.of((v, v)),
                    "!=": ALL_PORTS - Intervals.of((v, v)),
                    "<": Intervals.of((0, v - 1)),
                    ">": Intervals.of((v + 1, 65535)),
                    "<=": Intervals.of((0, v)),
                    ">=": Intervals.of((v, 65535)),
                }[t]
            )
            continue
        if i + 2 < len(items) and items[i + 1] in ("><", "<>", ":"):
            lo, hi = _pnum(t, s), _pnum(items[i + 2], s)
            op = items[i + 1]
            if op == ":":
                out = out | Intervals.of((lo, hi))
            elif op == "><":
                out = out | Intervals.of((lo + 1, hi - 1))
            else:
                out = out | (ALL_PORTS - Intervals.of((lo, hi)))
            i += 3
            continue
        if ":" in t:
            lo_s, _, hi_s = t.partition(":")
            out = out | Intervals.of((_pnum(lo_s, s), _pnum(hi_s, s)))
        else:
            v = _pnum(t, s)
            out = out | Intervals.of((v, v))
        i += 1
    return out


def _pnum(tok: str, s: _Stream) -> int:
    n = port_number(tok.strip('"'))
    if n is None or not 0 <= n <= 65535:
        raise s.err(f"bad pf port {tok!r}")
    return n


def _ports(s: _Stream) -> Intervals:
    if s.peek() in ("=", "!=", "<", ">", "<=", ">="):
        op = s.take()
        return _port_items([op, s.take()], s)
    if s.toks[s.i + 1 : s.i + 2] in (["><"], ["<>"]):
        return _port_items([s.take(), s.take(), s.take()], s)
    return _port_items(s.group(), s)


def _family(a: Addr, fam: Addr) -> Addr:
    if a.universal:
        return fam
    num = a & fam
    return AddressSet(num.v4, num.v6, a.symbols)


def iface_match(names: list[str], negated: bool = False) -> IfaceMatch:
    """pf interface names: ``em0`` is an interface, a name without a unit number (``egress``,
    ``lo``, ``wg``, a group set with ``ifconfig em0 group lan``) is an interface group."""
    return IfaceMatch.of(
        (n if n[-1:].isdigit() else f"group:{n}" for n in (x.strip('"()') for x in names)),
        negated,
    )


def parse_rule(toks: list[str], tables: dict[str, Addr], location: str, line: int) -> Parsed:
    s = _Stream(toks, location, line)
    p = Parsed(s.take(), Cond())
    c = p.cond
    if p.verb == "anchor" and s.peek() not in (
        "",
        "in",
        "out",
        "on",
        "quick",
        "inet",
        "inet6",
        "all",
    ):
        p.anchor = s.take().strip('"')
    if p.verb == "block" and s.peek() in (
        "drop",
        "return",
        "return-rst",
        "return-icmp",
        "return-icmp6",
    ):
        s.take()
        s.skip_parens()
    fam: Addr | None = None
    try:
        while s.peek():
            t = s.take()
            if t in ("in", "out"):
                c.direction = Direction.INGRESS if t == "in" else Direction.EGRESS
            elif t == "quick":
                p.quick = True
            elif t == "log":
                p.log = True
                s.skip_parens()
            elif t == "on":
                neg = s.peek() == "!" and bool(s.take())
                names = s.group()
                if all(n.startswith("lo") for n in names) and not neg:
                    c.loopback = True
                c.iface = iface_match(names, neg)
            elif t in ("inet", "inet6"):
                fam = ANY_V4 if t == "inet" else ANY_V6
            elif t == "proto":
                protos = Intervals()
                for n in s.group():
                    protos = protos | parse_protocol(n)
                c.protocols = protos
            elif t == "all":
                pass
            elif t == "from":
                c.src = _address(s, tables)
                if s.peek() == "port":
                    s.take()
                    _ports(s)
                    p.narrowing.append("source port")
            elif t == "to":
                c.dst = _address(s, tables)
                if s.peek() == "port":
                    s.take()
                    c.ports = _ports(s)
            elif t in ("icmp-type", "icmp6-type"):
                typ = s.take()
                code = ""
                if s.peek() == "code":
                    s.take()
                    code = "/" + s.take()
                iv = icmp_from(typ + code, t == "icmp6-type")
                if iv is None:
                    raise s.err(f"unknown ICMP type {typ!r}")
                c.ports = iv
            elif t in _NARROW:
                p.narrowing.append(t)
                if s.peek():
                    s.group()
            elif t == "(":
                s.i -= 1
                s.skip_parens()
            # anything else is a filter option that does not change what matches
    except (AddressError, PortError) as exc:
        raise s.err(str(exc)) from None
    if fam is not None:
        c.src, c.dst = _family(c.src, fam), _family(c.dst, fam)
    return p

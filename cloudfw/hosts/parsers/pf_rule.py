"""One pf rule in the order pfctl's grammar takes its parts (pf.conf(5) GRAMMAR):

    action [return] [in|out] [log [(opts)]] [quick] [on ifspec | on rdomain N] [route]
           [inet|inet6] [proto ...] [all | from ... [port ...] [os ...] to ... [port ...]]
           [filter options ...]

``action`` is ``pass``, ``block`` or ``match``; ``anchor``, the translation anchors and macOS's
``dummynet-anchor`` take a name first. FreeBSD and macOS also have ``scrub``, ``dummynet`` and
``[no] nat|rdr|binat [pass [log]] ... [-> redirection]`` rules; FreeBSD puts ``route-to`` before
the address family, OpenBSD among the options: both are read. A word out of place (``form any``,
``proto udp ot (vio0)``) is a syntax error naming the line, never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudfw.hosts.parsers import pf_hosts as hs
from cloudfw.hosts.parsers import pf_opts as opts
from cloudfw.hosts.parsers.pf_lex import Stream
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    ANY_V4,
    ANY_V6,
    AddressError,
    AddressSet,
    Direction,
    IfaceMatch,
    Intervals,
    PortError,
    conjoin,
)

Addr = AddressSet
FILTER = frozenset({"pass", "block", "match"})
TRANS_ANCHORS = frozenset(
    {"nat-anchor", "rdr-anchor", "binat-anchor", "scrub-anchor", "dummynet-anchor"}
)
TRANSLATION = frozenset({"nat", "rdr", "binat"})
RULE_VERBS = FILTER | TRANS_ANCHORS | TRANSLATION | {"anchor", "scrub", "dummynet", "no"}
_RETURNS = frozenset({"drop", "return", "return-rst", "return-icmp", "return-icmp6"})
_NOT_A_NAME = frozenset({"in", "out", "on", "quick", "inet", "inet6", "proto", "from", "to",
                         "all", "log"})  # fmt: skip
_DIRECTED = FILTER | {"anchor", "scrub", "dummynet"}  # verbs that take in/out
_LOGGED = FILTER | {"dummynet"}  # verbs that take log


@dataclass
class Cond:
    direction: Direction | None = None
    protocols: Intervals = ALL_PROTOCOLS
    ports: Intervals = ALL_PORTS
    src: AddressSet = ANY
    dst: AddressSet = ANY
    loopback: bool = False
    iface: IfaceMatch | None = None  # ``on ...``: the interface the packet arrives on or leaves by
    family: Addr | None = None  # ``inet`` / ``inet6``: limits the peer (see `peers_in_family`)

    def conjoin(self, other: Cond) -> Cond:
        iface = conjoin(self.iface, other.iface)
        return Cond(
            other.direction or self.direction,
            self.protocols & other.protocols,
            self.ports & other.ports,
            self.src & other.src,
            self.dst & other.dst,
            self.loopback or other.loopback,
            iface,
            other.family
            if self.family is None
            else self.family
            if other.family is None
            else self.family & other.family,
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
    no: bool = False  # ``no nat`` / ``no rdr`` / ``no binat`` / ``no scrub``
    translated_pass: bool = False  # ``nat pass`` / ``rdr pass``: translated packets skip filtering
    narrowing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def iface_match(names: list[str], negated: bool = False) -> IfaceMatch:
    """pf interface names: ``em0`` is an interface, a name without a unit number (``egress``,
    ``lo``, ``wg``, a group set with ``ifconfig em0 group lan``) is an interface group."""
    return IfaceMatch.of(
        (n if n[-1:].isdigit() else f"group:{n}" for n in (x.strip('"()') for x in names)),
        negated,
    )


def _ifspec(s: Stream, c: Cond) -> None:
    """``on [!] if`` or ``on { if [!] if ... }`` (pfctl makes one rule per item: their union)."""
    if s.accept("rdomain"):
        s.number("rdomain")
        return
    items: list[tuple[str, bool]] = []
    if s.accept("{"):
        while not s.accept("}"):
            neg = bool(s.accept("!"))
            items.append((s.word("an interface"), neg))
    else:
        neg = bool(s.accept("!"))
        items.append((s.word("an interface"), neg))
    pos = [n for n, neg in items if not neg]
    negs = {n for n, neg in items if neg} - set(pos)
    if len(negs) > 1 or (items and not negs and len(pos) < len(items)):
        return  # the union of two exclusions (or of an exclusion and its own name) is everything
    if negs:
        c.iface = iface_match(sorted(negs), True)
        return
    c.loopback = all(n.startswith("lo") for n in pos)
    c.iface = iface_match(pos)


def _head(s: Stream, p: Parsed) -> None:
    """Verb-specific words before the common body: anchor name, block's return, ``pass``."""
    if p.verb == "anchor" or p.verb in TRANS_ANCHORS:
        if s.peek() and s.peek() not in _NOT_A_NAME:
            p.anchor = s.word("an anchor name")
    elif p.verb == "block" and s.accept(*_RETURNS):
        s.parens()
    elif p.verb in TRANSLATION and s.accept("pass"):
        p.translated_pass = True
        if s.accept("log"):
            p.log = True
            s.parens()
    if p.verb in _DIRECTED and (d := s.accept("in", "out")):
        p.cond.direction = Direction.INGRESS if d == "in" else Direction.EGRESS
    while p.verb in _LOGGED | {"anchor"} and (w := s.accept("log", "quick")):
        if w == "quick":
            p.quick = True
        elif p.verb == "anchor":
            raise s.syntax(w)
        else:
            p.log = True
            s.parens()


def _fromto(s: Stream, p: Parsed, tables: dict[str, Addr]) -> None:
    c = p.cond
    if s.accept("all"):
        return
    if s.accept("from"):
        c.src = ANY if s.peek() == "port" else hs.hosts(s, tables)
        if s.accept("port") and hs.ports(s) != ALL_PORTS:
            p.narrowing.append("source port")
        if s.accept("os"):
            s.group()
            p.narrowing.append("os")
    if s.accept("to"):
        c.dst = ANY if s.peek() == "port" else hs.hosts(s, tables)
        if s.accept("port"):
            c.ports = hs.ports(s)


def in_family(a: Addr, fam: Addr | None) -> Addr:
    """The addresses of ``a`` in the family ``fam`` (symbols kept). The caller applies it to
    the peer side only: limiting our own side too would leave (IPv6 peer, IPv4 local) pairs,
    which no packet has, unmatched by ``block inet all`` and ``block inet6 all``."""
    if fam is None:
        return a
    if a.universal:
        return fam
    num = a & fam
    out = AddressSet(num.v4, num.v6)
    name = "inet" if fam.v4 else "inet6"  # a table or interface has addresses of both families
    for p in a.symbols:
        out = out | AddressSet.symbol(p.kind, f"{p.value} ({name})")
    return out


def _translation_tail(s: Stream, p: Parsed, tables: dict[str, Addr]) -> None:
    """FreeBSD/macOS ``nat``/``rdr``/``binat``: [tag s] [tagged s] [-> redirection]."""
    while s.peek():
        t = s.take()
        if t in ("tag", "tagged"):
            s.word(t)
        elif t == "->" and not p.no:
            opts.redirection(s, tables, p.verb == "nat")
            if p.verb == "nat" and s.accept("map-e-portset"):
                s.word("a portset")
        else:
            raise s.syntax(t)


def parse_rule(toks: list[str], tables: dict[str, Addr], location: str, line: int) -> Parsed:
    s = Stream(toks, location, line)
    verb = s.take()
    no = verb == "no"
    if no:
        verb = s.expect("nat", "rdr", "binat", "scrub")
    p = Parsed(verb, Cond(), no=no)
    c = p.cond
    fam: Addr | None = None
    o = opts.Opts()
    try:
        _head(s, p)
        if s.accept("on"):
            _ifspec(s, c)
        if verb in FILTER and s.peek() in opts.ROUTES:
            s.take()
            opts.route(s)
        if af := s.accept("inet", "inet6"):
            fam = ANY_V4 if af == "inet" else ANY_V6
        if s.accept("proto"):
            c.protocols = hs.protocols(s)
        _fromto(s, p, tables)
        if verb in TRANSLATION:
            _translation_tail(s, p, tables)
        while s.peek():
            opts.filter_option(s, o, tables)
    except (AddressError, PortError) as exc:
        raise s.err(str(exc)) from None
    if o.ports is not None:
        c.ports = o.ports
    p.narrowing += o.narrowing
    p.notes += o.notes
    if fam is not None:
        c.family = fam
        c.src = c.src if c.src.universal else in_family(c.src, fam)
        c.dst = c.dst if c.dst.universal else in_family(c.dst, fam)
    return p

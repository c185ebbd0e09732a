"""pf addresses, ports and protocols (pf.conf(5) GRAMMAR: hosts, host, address, port, op-list).

A list in a rule (``from { a, ! b }``) is expanded by pfctl into one rule per item, so it
matches the union of its items (``! b`` alone being everything but b); a table (``table <t>
{ a, ! b }``) matches a and not b. Interface addresses (``(egress)``, ``em1:network``), host
names, tables whose contents are not in the snapshot, ``no-route`` and ``urpf-failed`` are kept
as unresolved peers. Port names come from the shipped services table; an unknown one is an
error, as it is for pfctl.
"""

from __future__ import annotations

import re

from cloudfw.hosts.parsers.netmatch import port_number
from cloudfw.hosts.parsers.pf_lex import PUNCT, Stream, is_number, unquote
from cloudfw.model import (
    ALL_PORTS,
    ANY,
    AddressError,
    AddressSet,
    Intervals,
    PortError,
    parse_protocol,
)

Addr = AddressSet
_IFNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*?(:(network|broadcast|peer|0))*$")
_MODIFIED = re.compile(r":(network|broadcast|peer|0)$")
_OPS = ("=", "!=", "<", ">", "<=", ">=")
# /etc/protocols names pf rules use that the model's short list lacks
PF_PROTOCOLS: dict[str, int] = {
    "ipencap": 4, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "ipv6-nonxt": 59,
    "ipv6-opts": 60, "etherip": 97, "pim": 103, "carp": 112, "vrrp": 112, "l2tp": 115,
    "udplite": 136, "pfsync": 240,
}  # fmt: skip
HOST_WORDS = frozenset({"any", "self", "no-route", "urpf-failed"})


def unresolved(what: str) -> Addr:
    return AddressSet.symbol("unresolved", what)


def protocols(s: Stream) -> Intervals:
    """After ``proto``: a name, a number or a ``{ ... }`` list."""
    out = Intervals()
    for t in s.group():
        name = t.lower()
        try:
            out = out | (
                Intervals.of((PF_PROTOCOLS[name], PF_PROTOCOLS[name]))
                if name in PF_PROTOCOLS
                else parse_protocol(name)
            )
        except PortError:
            raise s.err(f"unknown protocol {t}") from None
    return out


def _word_addr(t: str, s: Stream) -> Addr:
    """An address word: IP, CIDR, range written as one word, interface (group) or host name."""
    try:
        return AddressSet.parse(t)
    except AddressError:
        pass
    if _MODIFIED.search(t) or (_IFNAME.match(t) and "." not in t):
        return unresolved(f"pf-if:{t}")
    if re.match(r"^[A-Za-z0-9][A-Za-z0-9.-]*$", t):
        return unresolved(f"dns:{t}")
    raise s.syntax(t, "not an address")


def host(s: Stream, tables: dict[str, Addr]) -> tuple[Addr, bool]:
    """One ``[!] address [/mask] [weight N] | [!] <table> | any | self | ...``: (set, negated)."""
    neg = bool(s.accept("!"))
    t = s.take()
    if t == "(":
        name = s.word("an interface name")
        s.expect(")")
        a = ANY if name == "self" else unresolved(f"pf-if:{name}")
    elif t.startswith("<") and t.endswith(">"):
        name = t[1:-1]
        a = tables.get(name, unresolved(f"pf-table:{name}"))
    elif t in ("any", "self"):
        a = ANY
    elif t in ("no-route", "urpf-failed"):
        a = unresolved(f"pf:{t}")
    elif t == "route":
        a = unresolved(f"pf-route:{s.word('a route label')}")
    elif t in PUNCT:
        raise s.syntax(t, "expected an address")
    else:
        t = unquote(t)
        if s.peek() == "-" and s.peek(1):  # an address range ``10.0.0.1 - 10.0.0.9``
            s.take()
            t = f"{t}-{s.take()}"
        a = _word_addr(t, s)
    if s.accept("weight"):
        s.number("weight")
    return a, neg


def hosts(s: Stream, tables: dict[str, Addr]) -> Addr:
    """``from``/``to`` operand: one host or a ``{ ... }`` list (the union of its items)."""
    if not s.accept("{"):
        a, neg = host(s, tables)
        return ANY - a if neg else a
    out: Addr = AddressSet()
    while not s.accept("}"):
        a, neg = host(s, tables)
        out = out | (ANY - a if neg else a)
    return out


def table_entries(s: Stream, tables: dict[str, Addr]) -> Addr:
    """The ``{ ... }`` of a table definition (after ``{``): the entries minus the ``!`` ones."""
    pos: Addr = AddressSet()
    neg: Addr = AddressSet()
    while not s.accept("}"):
        a, negated = host(s, tables)
        if negated:
            neg = neg | a
        else:
            pos = pos | a
    return pos - neg if neg else pos


def port_value(tok: str, s: Stream) -> int:
    t = unquote(tok)
    if is_number(t):
        n = int(t)
        if n > 65535:
            raise s.err(f"illegal port value {n}")
        return n
    n2 = port_number(t)
    if n2 is None or not re.match(r"^[A-Za-z][A-Za-z0-9_.+-]*$", t):
        raise s.err(f"unknown port {t}")
    return n2


def _port_item(s: Stream) -> Intervals:
    """``[op] name|number`` or ``a:b`` / ``a >< b`` / ``a <> b``."""
    if s.peek() in _OPS:
        op = s.take()
        v = port_value(s.take(), s)
        return {
            "=": Intervals.of((v, v)),
            "!=": ALL_PORTS - Intervals.of((v, v)),
            "<": Intervals.of((0, v - 1)) if v else Intervals(),
            ">": Intervals.of((v + 1, 65535)) if v < 65535 else Intervals(),
            "<=": Intervals.of((0, v)),
            ">=": Intervals.of((v, 65535)),
        }[op]
    t = s.take()
    if s.peek() in ("><", "<>", ":"):
        op = s.take()
        lo, hi = port_value(t, s), port_value(s.take(), s)
        if op == "><":
            return Intervals.of((lo + 1, hi - 1)) if hi - lo > 1 else Intervals()
        span = Intervals.of((min(lo, hi), max(lo, hi)))
        return span if op == ":" else ALL_PORTS - span
    if ":" in t:
        lo_s, _, hi_s = t.partition(":")
        lo, hi = port_value(lo_s, s), port_value(hi_s, s)
        return Intervals.of((min(lo, hi), max(lo, hi)))
    if t in PUNCT:
        raise s.syntax(t, "expected a port")
    v = port_value(t, s)
    return Intervals.of((v, v))


def ports(s: Stream) -> Intervals:
    """After ``port``: one item or a ``{ ... }`` list of items."""
    if not s.accept("{"):
        return _port_item(s)
    out = Intervals()
    while not s.accept("}"):
        out = out | _port_item(s)
    return out


def _op_item(s: Stream) -> None:
    if s.accept(*_OPS):
        s.word("a user or group")
        return
    s.word("a user or group")
    if s.accept("><", "<>"):
        s.word("a user or group")


def op_list(s: Stream) -> None:
    """``user``/``group`` operands: like ports, over names and numbers (not modelled)."""
    if not s.accept("{"):
        _op_item(s)
        return
    while not s.accept("}"):
        _op_item(s)

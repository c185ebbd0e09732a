"""pf rule options (pf.conf(5) filteropt, state-opts, scrubopts, pooltype, redirection and route
specs), for OpenBSD, FreeBSD (pfSense, OPNsense) and macOS rules alike.

`filter_option` reads one option and records what the model needs: ``icmp-type`` sets the ports,
options that make a rule match less than its addresses say (``user``, ``tagged``, ``os``,
``probability``, ...) are named in ``narrowing``, a label becomes a note. A word that is no
option is a syntax error naming the line, as ``pfctl -nf`` gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudfw.hosts.parsers import pf_hosts as hs
from cloudfw.hosts.parsers.pf_icmp import icmp_types
from cloudfw.hosts.parsers.pf_lex import PUNCT, Stream
from cloudfw.model import Intervals

TIMEOUTS = frozenset({
    "tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait", "tcp.closed",
    "tcp.tsdiff", "udp.first", "udp.single", "udp.multiple", "icmp.first", "icmp.error",
    "other.first", "other.single", "other.multiple", "sctp.first", "sctp.opening",
    "sctp.established", "sctp.closing", "sctp.closed", "frag", "interval", "src.track",
    "adaptive.start", "adaptive.end",
})  # fmt: skip
_STATE_FLAGS = frozenset({"no-sync", "sloppy", "pflow", "if-bound", "floating", "allow-related"})
_STATE_NUMBERS = frozenset({"max", "max-src-nodes", "max-src-states", "max-src-conn"})
_RATE = re.compile(r"^[0-9]+/[0-9]+$")
_FLAGS = re.compile(r"^[FSRPAUEW]*/[FSRPAUEW]+$|^any$")
_POOLS = frozenset({"bitmask", "random", "source-hash", "round-robin", "least-states"})
NARROWING = frozenset({"user", "group", "tagged", "probability", "received-on", "tos", "prio"})


@dataclass
class Opts:
    """What a rule's options tell the model."""

    ports: Intervals | None = None  # icmp-type / icmp6-type
    narrowing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def state_opts(s: Stream) -> None:
    """``( max 100, source-track rule, overload <t> flush global, tcp.established 60 )``."""
    if s.peek() != "(":
        return
    inner = Stream(s.parens(), s.location, s.line)
    while inner.peek():
        t = inner.take()
        if t in _STATE_FLAGS:
            continue
        if t in _STATE_NUMBERS or t in TIMEOUTS:
            inner.number(t)
        elif t == "max-src-conn-rate":
            _rate(inner, t)
        elif t == "source-track":
            inner.accept("rule", "global")
        elif t == "overload":
            tab = inner.take()
            if not (tab.startswith("<") and tab.endswith(">")):
                raise s.syntax(tab, "overload needs a <table>")
            if inner.accept("flush"):
                inner.accept("global")
        else:
            raise s.syntax(t, "unknown state option")


def scrub_option(s: Stream, t: str) -> bool:
    """One scrub option (``scrub (...)`` in OpenBSD, a scrub rule's tail in FreeBSD/macOS)."""
    if t in ("no-df", "random-id"):
        return True
    if t in ("min-ttl", "max-mss"):
        s.number(t)
        return True
    if t == "set-tos":
        _tos(s)
        return True
    if t == "reassemble":
        s.expect("tcp")
        return True
    if t == "fragment":
        s.accept("reassemble", "crop", "drop-ovl")
        return True
    return False


def _tos(s: Stream) -> None:
    t = s.take()
    if t in PUNCT or not re.match(r"^[A-Za-z0-9]+$", t):
        raise s.syntax(t, "expected a tos value")


def pooltype(s: Stream) -> None:
    t = s.accept(*_POOLS)
    if t == "source-hash" and s.peek() and (s.peek().startswith(("0x", '"'))):
        s.take()
    s.accept("sticky-address")


def redirection(s: Stream, tables: dict[str, hs.Addr], nat: bool) -> None:
    """``nat-to``/``rdr-to``/``binat-to`` and FreeBSD ``->``: hosts [port spec] [pool]."""
    hs.hosts(s, tables)
    if s.accept("port"):
        t = s.take()
        for part in t.split(":"):
            if part != "*":
                hs.port_value(part, s)
    pooltype(s)
    if nat:
        s.accept("static-port")


def route(s: Stream) -> None:
    """``route-to``/``reply-to``/``dup-to``: ``(if addr)``, ``addr@if``, ``addr`` or a list."""
    if s.accept("{"):
        while not s.accept("}"):
            _route_host(s)
    else:
        _route_host(s)
    pooltype(s)


def _route_host(s: Stream) -> None:
    if s.peek() == "(":
        if not s.parens():
            raise s.syntax("(", "empty route host")
        return
    s.word("a route host")


def _set(s: Stream) -> None:
    what = s.expect("prio", "tos", "queue", "delay")
    if what == "tos":
        _tos(s)
    elif what == "delay":
        s.number("delay")
    elif not s.parens():
        s.word(what)


def _rate(s: Stream, what: str) -> None:
    t = s.take()
    if not _RATE.match(t):
        raise s.syntax(t, f"{what} expects number/seconds")


def _scrub_parens(s: Stream) -> None:
    inner = Stream(s.parens(), s.location, s.line)
    while inner.peek():
        t = inner.take()
        if not scrub_option(inner, t):
            raise s.syntax(t, "unknown scrub option")


def _divert(s: Stream, tables: dict[str, hs.Addr]) -> None:
    hs.host(s, tables)
    s.expect("port")
    hs.port_value(s.take(), s)


def _af_to(s: Stream, tables: dict[str, hs.Addr]) -> None:
    s.expect("inet", "inet6")
    s.expect("from")
    hs.hosts(s, tables)
    if s.accept("to"):
        hs.hosts(s, tables)


_FLAG_OPTS = frozenset({"allow-opts", "once", "divert-reply", "fastroute"})
_NUMBER_OPTS = frozenset({"rtable", "prio", "ridentifier", "tracker", "pipe"})
_WORD_OPTS = frozenset({"tag", "tagged", "received-on"})
ROUTES = frozenset({"route-to", "reply-to", "dup-to"})
DUMMYNET = frozenset({"dnpipe", "dnqueue"})


def dummynet(s: Stream, what: str) -> None:
    """FreeBSD ``dnpipe N`` / ``dnqueue (N, M)``."""
    if not s.parens():
        s.number(what)


def filter_option(s: Stream, o: Opts, tables: dict[str, hs.Addr]) -> None:
    """Read one filter option; a word that is none is a syntax error."""
    t = s.take()
    if t == "!" and s.peek() == "tagged":
        t = s.take()
    if t in _FLAG_OPTS:
        pass
    elif t in _NUMBER_OPTS:
        s.number(t)
    elif t in _WORD_OPTS:
        s.word(t)
    elif t == "label":
        o.notes.append(f"label {s.word('a label')}")
    elif t == "flags":
        if not _FLAGS.match(s.take()):
            raise s.syntax(s.toks[s.i - 1], "bad tcp flags")
    elif t in ("user", "group"):
        hs.op_list(s)
    elif t in ("icmp-type", "icmp6-type"):
        o.ports = icmp_types(s, t == "icmp6-type")
    elif t == "tos":
        _tos(s)
    elif t in ("no", "keep", "modulate", "synproxy"):
        s.expect("state")
        state_opts(s)
    elif t == "scrub":
        _scrub_parens(s)
    elif t == "queue":
        if not s.parens():
            s.word("a queue")
    elif t == "probability":
        p = s.take()
        if not re.match(r"^[0-9.]+%$", p):
            raise s.syntax(p, "probability is a percentage")
    elif t == "set":
        _set(s)
    elif t == "divert-packet":
        s.expect("port")
        s.number("port")
    elif t == "divert-to":
        _divert(s, tables)
    elif t in ("nat-to", "rdr-to", "binat-to"):
        redirection(s, tables, t == "nat-to")
    elif t == "af-to":
        _af_to(s, tables)
    elif t in ROUTES:
        route(s)
    elif t == "max-pkt-rate":
        _rate(s, t)
    elif t in DUMMYNET:
        dummynet(s, t)
    elif not scrub_option(s, t):
        raise s.syntax(t)
    if t in NARROWING:
        o.narrowing.append(t)

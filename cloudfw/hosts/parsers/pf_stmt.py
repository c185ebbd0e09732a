"""pf statements other than rules: ``set`` options, ``table``, ``antispoof``, ``load anchor``,
``include``, queueing (``queue``, ``altq``) and FreeBSD ``ether`` rules.

They do not add rules to the model (``set skip on`` and tables are used by the caller), but each
is read by its grammar, so a misspelt option is a located syntax error like any other.
Queue and altq definitions are checked as far as their head (``altq on IF``, ``queue NAME``).
"""

from __future__ import annotations

from collections.abc import Callable

from cloudfw.hosts.parsers import pf_hosts as hs
from cloudfw.hosts.parsers import pf_opts as opts
from cloudfw.hosts.parsers.pf_lex import PUNCT, Stream

_DEBUG = ("none", "urgent", "misc", "loud",  # FreeBSD, macOS
          "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")  # fmt: skip
_ENUMS: dict[str, frozenset[str]] = {
    "ruleset-optimization": frozenset({"none", "basic", "profile"}),
    "optimization": frozenset(
        {"default", "normal", "high-latency", "satellite", "aggressive", "conservative"}
    ),
    "block-policy": frozenset({"drop", "return"}),
    "state-policy": frozenset({"if-bound", "floating"}),
    "require-order": frozenset({"yes", "no"}),
    "debug": frozenset(_DEBUG),
}
_LIMITS = frozenset({"states", "frags", "src-nodes", "tables", "table-entries", "anchors",
                     "eth-anchors", "pktdelay-pkts"})  # fmt: skip


def _items(s: Stream, one: Callable[[Stream], None]) -> None:
    """``ITEM`` or ``{ ITEM, ITEM }`` where ``one(stream)`` reads an item."""
    if not s.accept("{"):
        one(s)
        return
    while not s.accept("}"):
        one(s)


def _timeout(s: Stream) -> None:
    t = s.take()
    if t not in opts.TIMEOUTS:
        raise s.syntax(t, "unknown timeout")
    s.number(t)


def _limit(s: Stream) -> None:
    t = s.take()
    if t not in _LIMITS:
        raise s.syntax(t, "unknown limit")
    s.number(t)


def set_option(s: Stream) -> None:
    """``set ...`` other than ``set skip on`` (read by the caller)."""
    s.expect("set")
    name = s.take()
    if name in _ENUMS:
        v = s.take()
        if v not in _ENUMS[name]:
            raise s.syntax(v, f"not a {name} value")
    elif name == "timeout":
        _items(s, _timeout)
    elif name == "limit":
        _items(s, _limit)
    elif name in ("loginterface", "fingerprints"):
        s.word(name)
    elif name == "hostid":
        s.word("a host id")
    elif name == "reassemble":
        s.expect("yes", "no")
        s.accept("no-df")
    elif name == "syncookies":
        s.expect("never", "always", "adaptive")
        s.parens()
    elif name == "state-defaults":
        while s.peek():
            t = s.take()
            if t not in opts.TIMEOUTS and t not in ("no-sync", "pflow", "sloppy", "max"):
                raise s.syntax(t, "unknown state default")
            if t == "max" or t in opts.TIMEOUTS:
                s.number(t)
    elif name != "keepcounters":
        raise s.syntax(name, "unknown set option")
    if s.peek():
        raise s.syntax(s.peek())


def table(s: Stream, tables: dict[str, hs.Addr]) -> tuple[str, hs.Addr]:
    """``table <name> [persist] [const] [counters] [file "path"] [{ entries }]``."""
    s.expect("table")
    t = s.take()
    if not (t.startswith("<") and t.endswith(">")):
        raise s.syntax(t, "table needs a <name>")
    name = t[1:-1]
    addr: hs.Addr = hs.Addr()
    listed = external = False
    while s.peek():
        w = s.take()
        if w == "{":
            addr = addr | hs.table_entries(s, tables)
            listed = True
        elif w == "file":
            s.word("a file name")
            external = True
        elif w not in ("persist", "const", "counters"):
            raise s.syntax(w, "unknown table option")
    if external or not listed:
        addr = addr | hs.unresolved(f"pf-table:{name}")
    return name, addr


def antispoof(s: Stream) -> None:
    """``antispoof [log] [quick] for ifspec [af] [label s] [ridentifier n]``."""
    s.expect("antispoof")
    while s.accept("log", "quick"):
        s.parens()
    s.expect("for")
    if s.accept("{"):
        while not s.accept("}"):
            s.word("an interface")
    else:
        s.word("an interface")
    s.accept("inet", "inet6")
    while s.peek():
        t = s.expect("label", "ridentifier")
        s.word(t)


def load_or_include(s: Stream) -> None:
    """``load anchor NAME from FILE`` / ``include FILE``."""
    if s.accept("include"):
        s.word("a file name")
    else:
        s.expect("load")
        s.expect("anchor")
        s.word("an anchor name")
        s.expect("from")
        s.word("a file name")
    if s.peek():
        raise s.syntax(s.peek())


def queueing(s: Stream) -> None:
    """``altq on IF ...`` / ``queue NAME ...``: the head only (shaping does not filter)."""
    if s.accept("altq"):
        s.expect("on")
        s.word("an interface")
    else:
        s.expect("queue")
        s.word("a queue name")


def _macs(s: Stream) -> None:
    if s.accept("{"):
        while not s.accept("}"):
            s.word("a MAC address")
    else:
        s.word("a MAC address")


def ether(s: Stream, tables: dict[str, hs.Addr]) -> None:
    """FreeBSD ``ether pass|block|match|anchor ...`` (layer-2 rules, not modelled)."""
    s.expect("ether")
    verb = s.expect("pass", "block", "match", "anchor")
    if verb == "anchor" and s.peek() and s.peek() not in ("in", "out", "on", "quick"):
        s.word("an anchor name")
    s.accept("in", "out")
    s.accept("quick")
    if s.accept("on"):
        _macs(s)
    while s.peek():
        t = s.take()
        if t in ("bridge-to", "tag", "tagged", "queue", "label"):
            s.word(t)
        elif t in ("proto", "ridentifier"):
            s.group()
        elif t in ("from", "to"):
            _macs(s)
        elif t == "l3":
            _l3(s, tables)
        elif t in opts.DUMMYNET:
            opts.dummynet(s, t)
        elif t in PUNCT:
            raise s.syntax(t)
        else:
            raise s.syntax(t, "unknown ether rule option")


def _l3(s: Stream, tables: dict[str, hs.Addr]) -> None:
    if s.accept("all"):
        return
    for side in ("from", "to"):
        if s.accept(side):
            hs.hosts(s, tables)

"""The command line of one ``iptables-save`` rule, read as iptables-restore reads it.

The matches and targets the real tools load, and the long options each one takes, come from
``cloudfw/data/xtables.txt``. Options are consumed the way iptables' ``getopt_long`` does: an
option takes exactly its number of arguments (whatever they look like), a long option may be
abbreviated to an unambiguous prefix, an option belongs to the base command or to an extension
loaded before it (``-m``, ``-j``, or the protocol match ``-p tcp`` loads implicitly), and ``!``
negates the option after it. What the real tool refuses is a `RuleSyntaxError`: an unknown
option, match or target, a missing or stray argument, a repeated base option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

#: base options of an iptables rule line: long name -> (short name, number of arguments)
BASE: dict[str, tuple[str, int]] = {
    "append": ("A", 1), "insert": ("I", 1), "source": ("s", 1), "src": ("", 1),
    "destination": ("d", 1), "dst": ("", 1), "protocol": ("p", 1), "in-interface": ("i", 1),
    "out-interface": ("o", 1), "jump": ("j", 1), "goto": ("g", 1), "match": ("m", 1),
    "fragment": ("f", 0), "set-counters": ("c", 2), "ipv4": ("4", 0), "ipv6": ("6", 0),
}  # fmt: skip
SHORT = {s: long for long, (s, _) in BASE.items() if s}
ALIASES = {"src": "source", "dst": "destination"}
STANDARD_TARGETS = frozenset({"ACCEPT", "DROP", "RETURN", "QUEUE"})
#: the match ``-p NAME`` loads by itself when one of its options follows (and which -p it needs)
PROTO_MATCH = {"tcp": "tcp", "udp": "udp", "sctp": "sctp", "dccp": "dccp", "icmp": "icmp",
               "icmpv6": "icmp6", "ipv6-icmp": "icmp6", "icmp6": "icmp6", "6": "tcp",
               "17": "udp", "132": "sctp", "33": "dccp", "1": "icmp", "58": "icmp6"}  # fmt: skip
MATCH_ALIASES = {"icmpv6": "icmp6"}


class RuleSyntaxError(ValueError):
    """What iptables-restore would refuse in one rule line (the message, without file:line)."""


@dataclass(frozen=True)
class Extension:
    kind: str  # "match" or "target"
    name: str
    #: long option -> number of arguments; None: the options are not tabled (any is accepted)
    options: dict[str, int] | None


@dataclass
class Option:
    owner: str  # "" for a base option, else the match or target name
    name: str  # long name, unabbreviated ("source", "dport")
    negated: bool
    args: list[str]


@dataclass
class Parsed:
    options: list[Option] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)
    target: str = ""
    goto: bool = False

    def base(self, name: str) -> Option | None:
        return next((o for o in self.options if not o.owner and o.name == name), None)


@cache
def extensions(family: int) -> tuple[dict[str, Extension], dict[str, Extension]]:
    """(matches, targets) of ``iptables`` (family 4) or ``ip6tables`` (6)."""
    text = resources.files("cloudfw").joinpath("data/xtables.txt").read_text("utf-8")
    entries: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            entries[-1].extend(line.split())
        else:
            entries.append(line.split())
    matches: dict[str, Extension] = {}
    targets: dict[str, Extension] = {}
    for kind, fams, name, *opts in entries:
        if str(family) not in fams:
            continue
        options: dict[str, int] | None = None
        if opts != ["*"]:
            options = {}
            for o in opts:
                opt, _, n = o.partition("/")
                options[opt] = int(n) if n else 1
        (matches if kind == "match" else targets)[name] = Extension(kind, name, options)
    return matches, targets


def _resolve(word: str, table: dict[str, int]) -> str | None:
    """getopt_long: an exact name, or an unambiguous prefix of one; None when neither."""
    if word in table:
        return word
    hits = [n for n in table if n.startswith(word)]
    if len(hits) > 1:
        raise RuleSyntaxError(f"option '--{word}' is ambiguous ({', '.join(sorted(hits))})")
    return hits[0] if hits else None


def parse_args(tokens: list[str], family: int) -> Parsed:
    """Read a rule's tokens (the command and chain included) as iptables does."""
    matches, targets = extensions(family)
    out = Parsed()
    loaded: list[Extension] = []  # in load order; options resolve against the latest first
    names: tuple[str, ...] = ()  # their names (the key of `_option`'s cache)
    proto = ""
    seen: set[str] = set()  # base options given so far
    neg = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "!":
            if neg:
                raise RuleSyntaxError("cannot have two '!' in a row")
            neg = True
            continue
        owner, name, nargs, implicit = _option(family, tok, names, PROTO_MATCH.get(proto, ""))
        if implicit:
            loaded.append(matches[owner or ""])
            out.matches.append(owner or "")
            names = (*names, owner or "")
        if owner is None:
            raise RuleSyntaxError(f"unknown option {tok!r}")
        args: list[str] = []
        if nargs is None:  # an extension whose options are not tabled: take the words after it
            while i < len(tokens) and not tokens[i].startswith("-") and tokens[i] != "!":
                args.append(tokens[i])
                i += 1
        else:
            if i < len(tokens) and tokens[i] == "!" and nargs:  # old style: --opt ! value
                neg, i = True, i + 1
            if name == "insert" and i + 1 < len(tokens) and tokens[i + 1].isdigit():
                nargs = 2  # -I CHAIN [rulenum]
            if i + nargs > len(tokens):
                raise RuleSyntaxError(f"option {tok!r} requires {nargs} argument(s)")
            args, i = tokens[i : i + nargs], i + nargs
        opt = Option(owner, name, neg, args)
        neg = False
        if not owner and name == "fragment" and family == 6:
            raise RuleSyntaxError("'-f' is not supported in IPv6, use -m frag")
        if not owner:
            if name in seen and name != "match":
                raise RuleSyntaxError(f"multiple {tok} flags not allowed")
            seen.add(name)
            if name == "match":
                ext = matches.get(MATCH_ALIASES.get(args[0], args[0]))
                if ext is None:
                    raise RuleSyntaxError(f"Couldn't load match '{args[0]}'")
                loaded.append(ext)
                names = (*names, ext.name)
                out.matches.append(ext.name)
                args[0] = ext.name
            elif name in ("jump", "goto"):
                if out.target:
                    raise RuleSyntaxError("multiple -j flags not allowed")
                out.target, out.goto = args[0], name == "goto"
                ext = targets.get(args[0])
                if ext is not None:
                    loaded.append(ext)
                    names = (*names, ext.name)
            elif name == "protocol":  # negated or not, -p names the match it loads
                proto = args[0].lower()
        out.options.append(opt)
        if i < len(tokens) and not tokens[i].startswith("-") and tokens[i] != "!":
            raise RuleSyntaxError(f"Bad argument {tokens[i]!r}")
    if neg:
        raise RuleSyntaxError("'!' at the end of the rule")
    _needs_proto(out, proto)
    return out


@lru_cache(maxsize=65536)
def _option(
    family: int, tok: str, loaded: tuple[str, ...], implicit: str
) -> tuple[str | None, str, int | None, bool]:
    """(owner, long name, number of arguments, loads the implicit protocol match) of one option
    token after the extensions ``loaded`` (names, in load order); owner None if unknown. An
    exact name beats a prefix; among extensions the one loaded last owns a shared name."""
    if len(tok) == 2 and tok[0] == "-" and tok[1] != "-":
        long = SHORT.get(tok[1])
        return ("", long, BASE[long][1], False) if long else (None, "", 0, False)
    if not tok.startswith("--") or len(tok) < 3:
        raise RuleSyntaxError(f"Bad argument {tok!r}")
    matches, targets = extensions(family)
    exts = [targets[n] if n[:1].isupper() and n in targets else matches[n] for n in loaded]
    word = tok[2:]
    table: dict[str, tuple[str, int]] = {}
    for ext in reversed(exts):
        for opt, n in (ext.options or {}).items():
            table.setdefault(opt, (ext.name, n))
    for opt, (_, n) in BASE.items():
        table.setdefault(opt, ("", n))
    hit = _resolve(word, {k: v[1] for k, v in table.items()})
    if hit is not None:
        owner, n = table[hit]
        return owner, (ALIASES.get(hit, hit) if not owner else hit), n, False
    untabled = next((e for e in reversed(exts) if e.options is None), None)
    if untabled is not None:
        return untabled.name, word, None, False
    proto_match = matches.get(implicit)
    if proto_match is not None and implicit not in loaded and proto_match.options is not None:
        hit = _resolve(word, proto_match.options)
        if hit is not None:
            return proto_match.name, hit, proto_match.options[hit], True
    return None, "", 0, False


def _needs_proto(out: Parsed, proto: str) -> None:
    """``-m tcp`` needs ``-p tcp`` (as udp, sctp, dccp, icmp, icmp6 do) unless -p is negated."""
    p = out.base("protocol")
    if p is None or p.negated:
        return
    protos = set(PROTO_MATCH.values())
    for m in out.matches:
        if m in protos and PROTO_MATCH.get(proto) != m:
            raise RuleSyntaxError(f"{m} match requires '-p {m}' (the rule says -p {proto})")

"""Netfilter chains flattened into CHAIN_FIRST_MATCH rule sets (iptables, nftables, osquery).

A base chain is walked in order; a jump into a user chain conjoins the caller's match (traffic
box and interfaces) with the callee's rules, ``RETURN`` removes its match from the rest of the
callee; a ``goto`` never comes back: what its target leaves undecided returns to the chain that
jumped into the current one, or meets the base chain's policy when there is none. Rules that can
only match established traffic are kept but disabled; a rule with a match cloudfw cannot model
(``narrowed``) is kept with an ``unresolved`` note: an accept is assumed to match (worst case),
a drop is assumed not to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import host_asset
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    ANY_V6,
    Action,
    AddressSet,
    Box,
    Direction,
    EvalSemantics,
    IfaceMatch,
    Logging,
    Rule,
    RuleSet,
    SourceRef,
    conjoin,
)

TERMINAL = {"ACCEPT": Action.ALLOW, "DROP": Action.DENY, "REJECT": Action.DENY}
LOGGING = {"LOG", "NFLOG", "ULOG"}
NON_TERMINAL = {
    "MARK", "CONNMARK", "TCPMSS", "CLASSIFY", "TRACE", "DSCP", "TOS", "TTL", "HL", "SECMARK",
    "CONNSECMARK", "CT", "NOTRACK", "AUDIT", "CHECKSUM", "SET", "LED", "IDLETIMER", "RATEEST",
}  # fmt: skip
QUEUES = {"NFQUEUE", "QUEUE"}
NEUTRAL_MODULES = {
    "tcp", "udp", "icmp", "icmp6", "icmpv6", "multiport", "conntrack", "state", "comment",
    "iprange", "addrtype", "set", "sctp", "udplite",
}  # fmt: skip
EVERYTHING = Box(ALL_PROTOCOLS, ALL_PORTS, ANY, ANY)


@dataclass
class ChainRule:
    line: int
    chain: str
    box: Box
    target: str
    goto: bool
    notes: list[str] = field(default_factory=list)
    new_traffic: bool = True  # False: conntrack state excludes NEW
    #: states besides NEW through which the state match admits new connections, each only as
    #: far as another table allows: UNTRACKED (raw NOTRACK), DNAT (nat DNAT/REDIRECT)
    states_via: tuple[str, ...] = ()
    notrack: bool = False  # CT --notrack
    assumed: str = ""  # what was assumed about a match cloudfw cannot read (goes to unresolved)
    narrowed: bool = False  # a match cloudfw cannot model narrows this rule
    comment: str = ""
    ref: SourceRef | None = None  # default: file:line
    in_iface: IfaceMatch | None = None
    out_iface: IfaceMatch | None = None


@dataclass
class ChainTable:
    policies: dict[str, str] = field(default_factory=dict)
    rules: dict[str, list[ChainRule]] = field(default_factory=dict)
    undeclared: set[str] = field(default_factory=set)  # built-ins the file never declares


@dataclass
class _Flat:
    key: str
    cond: Cond
    action: Action
    rule: ChainRule
    enabled: bool
    unresolved: str
    builtin: bool = False  # made by the walk (the end of a goto), not written by anyone


#: One conjunct of a chain walk's condition: the traffic box and the interfaces it arrives on and
#: leaves by (None: any).
Cond = tuple[Box, IfaceMatch | None, IfaceMatch | None]
_EVERY: Cond = (EVERYTHING, None, None)


def _and(a: IfaceMatch | None, b: IfaceMatch) -> IfaceMatch:
    return b if a is None else a & b


def _meet(c: Cond, r: ChainRule) -> Cond | None:
    """``c`` and ``r``'s match; None when nothing is in both."""
    box = c[0].intersect(r.box)
    if box is None:
        return None
    i, o = conjoin(c[1], r.in_iface), conjoin(c[2], r.out_iface)
    if (i is not None and i.never()) or (o is not None and o.never()):
        return None
    return box, i, o


def _without(c: Cond, r: ChainRule) -> list[Cond]:
    """``c`` and not ``r``'s match, as disjoint conjuncts (the rest of a chain after RETURN)."""
    out: list[Cond] = [(b, c[1], c[2]) for b in c[0].minus(r.box)]
    box = c[0].intersect(r.box)
    if box is None:
        return out
    if r.in_iface is not None:
        ins = (_and(c[1], n) for n in r.in_iface.negations())
        out.extend((box, m, c[2]) for m in ins if not m.never())
    if r.out_iface is not None:
        inner = conjoin(c[1], r.in_iface)
        outs = (_and(c[2], n) for n in r.out_iface.negations())
        out.extend((box, inner, m) for m in outs if not m.never())
    return out


def build_ruleset(
    table: ChainTable,
    chain: str,
    direction: Direction,
    rtype: str,
    other: AddressSet | None,
    location: str,
    host: str,
    accept: bool,
    hook: str = "",
    flat: Flattened | None = None,
) -> RuleSet:
    """Flatten one base chain into a CHAIN_FIRST_MATCH rule set. ``other`` is the address family
    this chain never sees (IPv6 for iptables), kept out by a leading rule; None for dual-stack.
    ``flat``: the chain's `flatten` (when the caller already has it)."""
    default = Action.ALLOW if accept else Action.DENY
    walked, logged = flatten(table, chain, location, accept) if flat is None else flat
    rules: list[Rule] = []
    if other is not None:
        fam = "IPv6" if other == ANY_V6 else "IPv4"
        tool = "ip6tables" if fam == "IPv6" else "iptables"
        rules.append(
            Rule(
                key="(other-family)",
                direction=direction,
                action=Action.DENY,
                peers=other,
                description=f"{fam} traffic is filtered by {tool}, not by this chain",
            )
        )
    for n, f in enumerate(walked, 1):
        box, in_iface, out_iface = f.cond
        peers, local = (box.peers, box.local)
        if direction is Direction.EGRESS:
            peers, local = local, peers
        desc = "; ".join(filter(None, [f.rule.comment, *f.rule.notes]))
        rules.append(
            Rule(
                key=f.key,
                direction=direction,
                action=f.action,
                protocols=box.protocols,
                ports=box.ports,
                peers=peers,
                local=local,
                order=n,
                enabled=f.enabled,
                logging=Logging.ON if f.rule.target in LOGGING else Logging.UNKNOWN,
                description=desc,
                origin=f.rule.ref or SourceRef("file", location, f.rule.line),
                unresolved="; ".join(filter(None, [f.unresolved, f.rule.assumed])),
                builtin=f.builtin,
                in_iface=in_iface,
                out_iface=out_iface,
            )
        )
    hook = hook or {"INPUT": "input", "FORWARD": "forward", "OUTPUT": "output"}.get(chain, chain)
    tags = {"policy": "accept" if accept else "drop", "hook": hook}
    asset = host_asset(host, rtype, rtype, tags)
    return RuleSet(
        asset=asset,
        semantics=EvalSemantics.CHAIN_FIRST_MATCH,
        rules=tuple(rules),
        default_ingress=default if direction is Direction.INGRESS else Action.DENY,
        default_egress=default if direction is Direction.EGRESS else Action.DENY,
        logging=Logging.ON if logged else Logging.OFF,
    )


Flattened = tuple[list["_Flat"], bool]  # the walk of a base chain, and whether it logs


def flatten(table: ChainTable, chain: str, location: str, accept: bool) -> Flattened:
    """The rules of base chain ``chain`` with every jump walked (``location`` only names the
    file in errors: the result does not depend on it)."""
    flat: list[_Flat] = []
    logs = [False]
    default = Action.ALLOW if accept else Action.DENY
    _walk(table, chain, [_EVERY], chain, (), flat, logs, location, default)
    return flat, logs[0]


def _walk(
    table: ChainTable,
    chain: str,
    cond: list[Cond],
    prefix: str,
    stack: tuple[str, ...],
    out: list[_Flat],
    logs: list[bool],
    location: str,
    policy: Action,
    jumped: bool = False,
) -> None:
    """Walk ``chain`` under ``cond``; ``jumped``: it was entered by a jump (``-j``), directly or
    through gotos, so what it leaves undecided returns to the caller (else to the policy)."""
    if chain in stack:
        raise HostParseError(location, f"chain loop through {chain!r}: {' -> '.join(stack)}")
    stack = (*stack, chain)
    for n, r in enumerate(table.rules.get(chain, []), 1):
        if not cond:
            return
        key = f"{prefix}#{n}"
        hits = [m for c in cond if (m := _meet(c, r)) is not None]
        if not hits:
            continue
        t = r.target
        note = "; ".join(r.notes)
        if not r.new_traffic:
            _emit(out, key, hits, _action(t), r, False, "")
            continue
        if t == "RETURN":
            if r.narrowed:
                _emit(out, key, hits, Action.LOG, r, True, f"RETURN assumed to match: {note}")
            cond = [p for c in cond for p in _without(c, r)]
            continue
        if t in TERMINAL:
            act = TERMINAL[t]
            if r.narrowed and act is Action.DENY:
                _emit(out, key, hits, act, r, False, f"drop not applied (unmodeled match): {note}")
            else:
                unres = f"accept assumed to match: {note}" if r.narrowed else ""
                _emit(out, key, hits, act, r, True, unres)
            continue
        if t in table.rules:
            if r.narrowed:
                _emit(out, key, hits, Action.LOG, r, True, f"jump to {t} assumed taken: {note}")
            inner = jumped or not r.goto
            _walk(table, t, hits, f"{key}>{t}", stack, out, logs, location, policy, inner)
            if r.goto and jumped:
                # a goto does not come back here: what the target leaves undecided returns
                # to the chain that jumped into this one, as after a RETURN
                cond = [p for c in cond for p in _without(c, r)]
            elif r.goto:  # from the base chain: what the target leaves undecided meets the policy
                _emit(out, f"{key}(goto-end)", hits, policy, r, True, "", builtin=True)
            continue
        if t in LOGGING:
            logs[0] = True
            _emit(out, key, hits, Action.LOG, r, True, "")
            continue
        if not t or t in NON_TERMINAL:
            _emit(out, key, hits, Action.LOG, r, True, "")  # counting or marking: never decides
            continue
        if t in QUEUES:
            _emit(out, key, hits, Action.ALLOW, r, True, f"-j {t}: a userspace program decides; "
                  "assumed to accept")  # fmt: skip
            continue
        _emit(out, key, hits, Action.LOG, r, True, f"target {t} not modeled (non-terminal)")


def _action(target: str) -> Action:
    return TERMINAL.get(target, Action.LOG)


def _emit(
    out: list[_Flat],
    key: str,
    conds: list[Cond],
    action: Action,
    r: ChainRule,
    enabled: bool,
    unresolved: str,
    builtin: bool = False,
) -> None:
    if len(conds) == 1:
        out.append(_Flat(key, conds[0], action, r, enabled, unresolved, builtin))
        return
    for i, c in enumerate(conds, 1):
        out.append(_Flat(f"{key}~{i}", c, action, r, enabled, unresolved, builtin))

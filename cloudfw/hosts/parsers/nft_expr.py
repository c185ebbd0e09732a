"""One ``nft -j`` rule's expression list as chain rules (libnftables-json(5)).

A rule is read into *alternatives*: most rules are one, a verdict map (``tcp dport vmap { 22 :
accept, 80 : jump web }``) or a match of a concatenation against a set (``ip saddr . tcp dport
@pairs``) is one per element, each with its own match and verdict. ICMP/ICMPv6 types and codes
are nft's names or numbers, alone or in sets; named sets and maps are resolved from the same
document; ``ct state`` takes names, lists and sets. A statement nft does not know (``"acept"``) is
an error naming the array index, as ``nft -j -f`` refuses it. ``xt`` expressions (rules written
by iptables-nft) carry no options in the JSON: an ``xt`` conntrack or state match is read as the
reply-only state match iptables-nft writes for it, and says its worst case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cloudfw.hosts.parsers.base import LOOPBACK
from cloudfw.hosts.parsers.chains import ChainRule
from cloudfw.hosts.parsers.netmatch import port_number
from cloudfw.hosts.parsers.nft_vocab import (
    FIELDS,
    ICMP,
    ICMP_CODE,
    ICMPV6,
    ICMPV6_CODE,
    NARROWING,
    STATE_MATCHES,
    STATEMENTS,
    TRANSPORT,
    VERDICTS,
)
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    ANY_V4,
    ANY_V6,
    AddressError,
    AddressSet,
    Box,
    IfaceMatch,
    Intervals,
    PortError,
    SourceRef,
    conjoin,
    parse_protocol,
)

Sets = dict[str, list[Any]]  # named sets and maps of one table: name -> elements
MAX_ALTERNATIVES = 4096


class NftError(ValueError):
    """A rule nft itself would refuse (the message names the expression)."""


@dataclass
class Alt:
    """One alternative of a rule: its match so far, and its verdict."""

    protocols: Intervals = ALL_PROTOCOLS
    ports: Intervals = ALL_PORTS
    peers: AddressSet = ANY
    local: AddressSet = ANY
    in_iface: IfaceMatch | None = None
    out_iface: IfaceMatch | None = None
    notes: list[str] = field(default_factory=list)
    narrowed: bool = False
    new_traffic: bool = True
    assumed: str = ""
    target: str = ""
    goto: bool = False
    dnat: bool = False  # the ruleset holds a dnat or redirect rule (context, not a match)

    def copy(self) -> Alt:
        return replace(self, notes=list(self.notes))

    def empty(self) -> bool:
        return (
            self.protocols.is_empty()
            or self.ports.is_empty()
            or self.peers.is_empty()
            or (self.local.is_empty())
        )


def rule_alternatives(
    body: Mapping[str, Any],
    i: int,
    location: str,
    sets: Sets,
    chains: set[str],
    dnat: bool = False,
) -> list[ChainRule]:
    """The chain rules of ``nftables[i]`` (a rule object); ``dnat``: the ruleset holds a dnat or
    redirect rule (what ``ct status dnat`` can match)."""
    ref = SourceRef("record", location, record=f"nftables[{i}] handle {body.get('handle', '?')}")
    alts = [Alt(dnat=dnat)]
    exprs = body.get("expr", [])
    if not isinstance(exprs, list):
        raise NftError("'expr' is not an array")
    for n, e in enumerate(exprs):
        if not isinstance(e, Mapping) or len(e) != 1:
            raise NftError(f"expr[{n}]: expected an object with one key, got {e!r:.60}")
        kind, val = next(iter(e.items()))
        if kind not in STATEMENTS:
            raise NftError(f"expr[{n}]: Unknown statement object {kind!r}")
        try:
            alts = _statement(kind, val, alts, sets, chains)
        except (AddressError, PortError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise NftError(f"expr[{n}] ({kind}): {exc}") from None
        if len(alts) > MAX_ALTERNATIVES:
            alts = [_collapse(alts)]
    comment = str(body.get("comment", ""))
    out = []
    for a in alts or [_never()]:
        r = ChainRule(i, str(body.get("chain")), Box(a.protocols, a.ports, a.peers, a.local),
                      a.target, a.goto, ref=ref)  # fmt: skip
        r.notes, r.narrowed, r.new_traffic, r.assumed = (
            a.notes,
            a.narrowed,
            a.new_traffic,
            a.assumed,
        )
        r.in_iface, r.out_iface, r.comment = a.in_iface, a.out_iface, comment
        out.append(r)
    return out


def _collapse(alts: list[Alt]) -> Alt:
    """Too many set elements to keep apart (a kube-proxy verdict map of every service): one
    alternative over all of them, matching more than each (a superset), so an accept among them
    is assumed to match and a drop is not applied (`chains`)."""
    a = Alt(protocols=Intervals(), ports=Intervals(), peers=AddressSet(), local=AddressSet(),
            dnat=alts[0].dnat)  # fmt: skip
    for b in alts:
        a.protocols, a.ports = a.protocols | b.protocols, a.ports | b.ports
        a.peers, a.local = a.peers | b.peers, a.local | b.local
    ins, outs = {b.in_iface for b in alts}, {b.out_iface for b in alts}
    a.in_iface = ins.pop() if len(ins) == 1 else None
    a.out_iface = outs.pop() if len(outs) == 1 else None
    targets = {(b.target, b.goto) for b in alts}
    a.target, a.goto = (
        targets.pop()
        if len(targets) == 1
        else ("ACCEPT" if ("ACCEPT", False) in targets else "", False)
    )
    a.new_traffic = any(b.new_traffic for b in alts)
    a.narrowed = True
    a.notes = [f"{len(alts)} set elements read as one match over all of them (not expanded)"]
    return a


def rewrites_destination(body: Mapping[str, Any]) -> bool:
    """A rule that DNATs: a ``dnat``/``redirect`` statement or an iptables-nft DNAT target."""
    for e in body.get("expr", []) if isinstance(body.get("expr"), list) else []:
        if isinstance(e, Mapping) and ("dnat" in e or "redirect" in e):
            return True
        xt = e.get("xt") if isinstance(e, Mapping) else None
        if isinstance(xt, Mapping) and xt.get("name") in ("DNAT", "REDIRECT", "NETMAP"):
            return True
    return False


def _never() -> Alt:
    a = Alt(new_traffic=False)
    a.notes.append("matches nothing (an empty set or contradictory matches)")
    return a


def _statement(kind: str, val: Any, alts: list[Alt], sets: Sets, chains: set[str]) -> list[Alt]:
    if kind in VERDICTS or kind in ("jump", "goto"):
        target = VERDICTS.get(kind) or _chain(val, chains)
        for a in alts:
            a.target, a.goto = target, kind == "goto"
    elif kind == "log":
        for a in alts:
            a.target = a.target or "LOG"
    elif kind in NARROWING:
        for a in alts:
            a.narrowed = True
            a.notes.append(f"statement {kind} not modeled")
    elif kind == "match":
        op = str(val.get("op", "=="))
        return [b for a in alts for b in _match(a, val["left"], op, val["right"], sets)]
    elif kind == "vmap":
        data = val["data"]
        pairs = _elements(data, sets) if isinstance(data, str) else data["set"]
        out = []
        for key, verdict in pairs:
            (vk, vv), = verdict.items()  # fmt: skip
            if vk not in VERDICTS and vk not in ("jump", "goto", "continue"):
                raise NftError(f"unknown verdict {vk!r} in a verdict map")
            target = VERDICTS.get(vk) or ("" if vk == "continue" else _chain(vv, chains))
            for a in alts:
                for b in _match(a, val["key"], "==", key, sets):
                    b.target, b.goto = target, vk == "goto"
                    out.append(b)
        return out
    elif kind == "xt":
        _xt(val, alts)
    return alts  # counters, marks, NAT and the other statements decide nothing here


def _chain(val: Any, chains: set[str]) -> str:
    target = str(val["target"])
    if target not in chains:
        raise NftError(f"jump to unknown chain {target!r}")
    return target


def _xt(val: Mapping[str, Any], alts: list[Alt]) -> None:
    """An iptables-nft compat expression: its name only (``nft -j`` prints no options)."""
    name, typ = str(val.get("name", "")), str(val.get("type", ""))
    for a in alts:
        if typ == "target":
            a.target = name
        elif name == "comment":
            continue
        elif typ == "match" and name in STATE_MATCHES:
            a.new_traffic = False
            a.assumed = (
                f"xt match {name} (iptables-nft compat; nft -j does not print its options): "
                "taken as the reply-only state match (RELATED,ESTABLISHED) iptables-nft writes "
                "for Docker, ufw and firewalld; worst case, if it admits NEW connections, this "
                "rule accepts everything else it matches. iptables-save of this host shows it"
            )
            a.notes.append(f"xt {name} (options not in nft JSON)")
        else:
            a.narrowed = True
            a.notes.append(f"xt {typ} {name} not modeled (options not in nft JSON)")


def _elements(ref: str, sets: Sets) -> list[Any]:
    if ref[1:] not in sets:
        raise NftError(f"unknown set or map {ref}")
    return [e["elem"]["val"] if isinstance(e, Mapping) and "elem" in e else e
            for e in sets[ref[1:]]]  # fmt: skip


def _match(a: Alt, left: Any, op: str, right: Any, sets: Sets) -> list[Alt]:
    """``a`` and ``left op right``: no alternative when it can never hold, several for a
    concatenation matched against a set of tuples."""
    if isinstance(right, str) and right.startswith("@"):
        right = {"set": _elements(right, sets)}
    if isinstance(left, Mapping) and "concat" in left:
        parts = left["concat"]
        rows = right["set"] if isinstance(right, Mapping) and "set" in right else [right]
        if op == "!=":
            a = a.copy()
            a.narrowed = True
            a.notes.append("negated concatenation not modeled")
            return [a]
        out = []
        for row in rows:
            vals = row["concat"] if isinstance(row, Mapping) and "concat" in row else row
            if not isinstance(vals, list) or len(vals) != len(parts):
                raise NftError(f"set element {row!r:.60} does not fit {len(parts)} fields")
            alt: Alt | None = a.copy()
            for p, v in zip(parts, vals, strict=True):
                got = _match(alt, p, "==", v, sets) if alt is not None else []
                alt = got[0] if got else None
            if alt is not None:
                out.append(alt)
        return out
    b = a.copy()
    _narrow(b, left, op, right)
    return [] if b.empty() else [b]


def _narrow(a: Alt, left: Any, op: str, right: Any) -> None:
    neg = op == "!="
    if not isinstance(left, Mapping) or len(left) != 1:
        a.narrowed = True
        a.notes.append(f"match {json.dumps(left, sort_keys=True)[:60]} not modeled")
        return
    (kind, spec), = left.items()  # fmt: skip
    if kind == "payload" and "protocol" in spec:
        _payload(a, str(spec["protocol"]), str(spec.get("field")), op, right)
    elif kind == "meta":
        _meta(a, str(spec.get("key")), neg, right)
    elif kind == "ct" and spec.get("key") == "status" and not neg and "DNAT" in _states(right):
        # connections a dnat rule rewrote: none when the ruleset has no dnat rule
        if a.dnat:
            a.narrowed = True
            a.notes.append("ct status dnat: what the ruleset's dnat rules rewrite (not modeled)")
        else:
            a.new_traffic = False
            a.notes.append(
                "ct status dnat: no dnat or redirect rule in this ruleset, so no new connection"
            )
    elif kind == "ct" and spec.get("key") == "state":
        states = _states(right)
        opens = bool(states & {"NEW", "UNTRACKED"})
        if not (opens ^ neg):  # == without NEW, or != with NEW: no new connection
            a.new_traffic = False
            listed = ",".join(sorted(states)).lower()
            a.notes.append(f"ct state {'!= ' if neg else ''}{listed}: no new connection")
    else:
        a.narrowed = True
        a.notes.append(f"match {json.dumps(left, sort_keys=True)[:60]} not modeled")


def _payload(a: Alt, proto: str, fld: str, op: str, right: Any) -> None:
    neg = op == "!="
    if proto in FIELDS and fld not in FIELDS[proto]:
        raise NftError(f"unknown {proto} payload field {fld!r}")
    if proto in ("ip", "icmp"):
        a.peers, a.local = a.peers & ANY_V4, a.local & ANY_V4
    elif proto in ("ip6", "icmpv6"):
        a.peers, a.local = a.peers & ANY_V6, a.local & ANY_V6
    if proto in ("tcp", "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6"):
        a.protocols = a.protocols & parse_protocol(proto)
    elif proto == "th":
        a.protocols = a.protocols & TRANSPORT
    if proto in ("ip", "ip6") and fld in ("saddr", "daddr"):
        addr = _addr(right)
        addr = ANY - addr if neg else addr
        if fld == "saddr":
            a.peers = a.peers & addr
        else:
            a.local = a.local & addr
    elif proto in ("ip", "ip6") and fld in ("protocol", "nexthdr"):
        pv = _values(right, parse_protocol)
        a.protocols = a.protocols & (ALL_PROTOCOLS - pv if neg else pv)
    elif fld == "dport" and proto in ("tcp", "udp", "udplite", "sctp", "dccp", "th"):
        pv = _ports(right, op)
        a.ports = a.ports & (ALL_PORTS - pv if neg else pv)
    elif proto in ("icmp", "icmpv6") and fld in ("type", "code"):
        v6 = proto == "icmpv6"
        if fld == "type":
            names = ICMPV6 if v6 else ICMP
            types = _values(right, lambda x: _named(x, names, f"{proto} type"))
            iv = Intervals.of(*((lo << 8, (hi << 8) | 255) for lo, hi in types.spans))
        else:
            names = ICMPV6_CODE if v6 else ICMP_CODE
            codes = _values(right, lambda x: _named(x, names, f"{proto} code"))
            iv = Intervals.of(*((t << 8 | lo, t << 8 | hi) for t in range(256)
                                for lo, hi in codes.spans))  # fmt: skip
        a.ports = a.ports & (ALL_PORTS - iv if neg else iv)
    else:
        a.narrowed = True
        a.notes.append(f"{proto} {fld} not modeled")


def _meta(a: Alt, key: str, neg: bool, right: Any) -> None:
    if key == "l4proto":
        pv = _values(right, parse_protocol)
        a.protocols = a.protocols & (ALL_PROTOCOLS - pv if neg else pv)
    elif key in ("iifname", "iif", "oifname", "oif"):
        m = IfaceMatch.of(_names(right), neg)
        if key.startswith("i"):
            if m == IfaceMatch.of(["lo"]):
                a.peers = a.peers & LOOPBACK
            a.in_iface = conjoin(a.in_iface, m)
        else:
            a.out_iface = conjoin(a.out_iface, m)
    elif key == "nfproto":
        fams = {str(x) for x in (right.get("set", []) if isinstance(right, Mapping) else [right])}
        fam = (ANY_V4 if "ipv4" in fams else AddressSet()) | (ANY_V6 if "ipv6" in fams else
                                                                AddressSet())  # fmt: skip
        fam = ANY - fam if neg else fam
        a.peers, a.local = a.peers & fam, a.local & fam
    else:
        a.narrowed = True
        a.notes.append(f"meta {key} not modeled")


def _named(x: Any, names: Mapping[str, int], what: str) -> Intervals:
    if isinstance(x, int) or (isinstance(x, str) and x.isdigit()):
        n = int(x)
    elif isinstance(x, str) and x in names:
        n = names[x]
    else:
        raise NftError(f"Could not parse {what} {x!r}")
    if not 0 <= n <= 255:
        raise NftError(f"{what} {n} is outside 0..255")
    return Intervals.of((n, n))


def _values(v: Any, one: Any) -> Intervals:
    """A value, a list, an anonymous set or a range of them, each read by ``one``."""
    if isinstance(v, Mapping) and "set" in v:
        v = v["set"]
    if isinstance(v, list):
        out = Intervals()
        for x in v:
            out = out | _values(x, one)
        return out
    if isinstance(v, Mapping) and "range" in v:
        lo, hi = (one(x).spans[0][0] for x in v["range"])
        return Intervals.of((lo, hi))
    if isinstance(v, Mapping) and "elem" in v:
        return _values(v["elem"]["val"], one)
    result: Intervals = one(v)
    return result


def _port(x: Any) -> Intervals:
    n = x if isinstance(x, int) else port_number(str(x))
    if n is None or not 0 <= n <= 65535:
        raise PortError(f"unknown port {x!r}")
    return Intervals.of((n, n))


def _ports(right: Any, op: str) -> Intervals:
    if op in ("<", "<=", ">", ">="):
        n = _port(right).spans[0][0]
        lo, hi = {"<": (0, n - 1), "<=": (0, n), ">": (n + 1, 65535), ">=": (n, 65535)}[op]
        return Intervals.of((lo, hi)) if lo <= hi else Intervals()
    return _values(right, _port)


def _addr(v: Any) -> AddressSet:
    if isinstance(v, str):
        return AddressSet.parse(v)
    if isinstance(v, Mapping):
        if "prefix" in v:
            return AddressSet.parse(f"{v['prefix']['addr']}/{v['prefix']['len']}")
        if "range" in v:
            lo, hi = v["range"]
            return AddressSet.parse(f"{lo}-{hi}")
        if "elem" in v:
            return _addr(v["elem"]["val"])
        if "set" in v:
            out = AddressSet()
            for e in v["set"]:
                out = out | _addr(e)
            return out
    if isinstance(v, list):
        return _addr({"set": v})
    raise AddressError(f"unsupported address expression {v!r:.60}")


def _names(v: Any) -> list[str]:
    """Interface names (``"wg*"`` is a prefix) of a name or a set of them."""
    if isinstance(v, str) and v:
        return [v]
    if isinstance(v, Mapping) and isinstance(v.get("set"), list):
        return [n for e in v["set"] for n in _names(e)]
    if isinstance(v, Mapping) and "elem" in v:
        return _names(v["elem"]["val"])
    raise PortError(f"unsupported interface expression {v!r:.60}")


def _states(right: Any) -> set[str]:
    if isinstance(right, Mapping):
        right = right.get("set", [])
    if not isinstance(right, list):
        right = [right]
    return {str(s).upper() for s in right}

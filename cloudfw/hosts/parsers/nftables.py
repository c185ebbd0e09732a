"""``nft -j list ruleset`` (libnftables JSON).

Every base chain of type ``filter`` on the input, forward or output hook becomes one
CHAIN_FIRST_MATCH rule set (chains of the ``ip``/``ip6`` families see one address family; ``inet``
sees both). Regular chains reached by ``jump``/``goto`` are flattened in place, exactly as for
iptables. Named sets are resolved from the same document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import LOOPBACK, HostPart, load_json
from cloudfw.hosts.parsers.chains import EVERYTHING, ChainRule, ChainTable, build_ruleset
from cloudfw.hosts.parsers.netmatch import icmp_from, port_number
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    ANY_V4,
    ANY_V6,
    AddressError,
    AddressSet,
    Box,
    Direction,
    IfaceMatch,
    Intervals,
    PortError,
    SourceRef,
    parse_protocol,
)

NAME = "nftables"
HOOKS = {"input": Direction.INGRESS, "forward": Direction.INGRESS, "output": Direction.EGRESS}
_VERDICTS = {"accept": "ACCEPT", "drop": "DROP", "reject": "REJECT", "return": "RETURN"}


def sniff(data: bytes) -> bool:
    head = data[:512].decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    return head.startswith("{") and '"nftables"' in head


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    doc = load_json(data, location)
    items = doc.get("nftables") if isinstance(doc, Mapping) else None
    if not isinstance(items, list):
        raise HostParseError(location, "no top-level 'nftables' array")
    tables: dict[tuple[str, str], ChainTable] = {}
    bases: list[tuple[str, str, str, str, str]] = []  # family, table, chain, hook, policy
    sets: dict[tuple[str, str, str], list[Any]] = {}
    pending: list[tuple[int, Mapping[str, Any]]] = []
    for i, obj in enumerate(items):
        if not isinstance(obj, Mapping) or len(obj) != 1:
            raise HostParseError(location, f"nftables[{i}]: expected an object with one key")
        kind, body = next(iter(obj.items()))
        if kind in ("chain", "set", "map", "rule") and not isinstance(body, Mapping):
            raise HostParseError(location, f"nftables[{i}].{kind}: expected an object")
        try:
            _collect(kind, body, i, tables, bases, sets, pending)
        except (KeyError, TypeError) as exc:
            raise HostParseError(
                location, f"nftables[{i}].{kind}: missing or bad field {exc}"
            ) from None
    for i, body in pending:
        fam, tab, chain = str(body.get("family")), str(body.get("table")), body.get("chain")
        found = tables.get((fam, tab))
        if found is None or chain not in found.rules:
            raise HostParseError(location, f"nftables[{i}]: rule for unknown chain {chain!r}")
        found.rules[chain].append(_rule(body, i, location, sets))
    out = []
    for fam, tab, chain, hook, policy in bases:
        other = ANY_V6 if fam == "ip" else ANY_V4 if fam == "ip6" else None
        if fam not in ("ip", "ip6", "inet"):
            continue  # arp, bridge, netdev: not IP filtering
        rtype = f"nftables:{fam} {tab}/{chain}"
        out.append(
            build_ruleset(
                tables[(fam, tab)],
                chain,
                HOOKS[hook],
                rtype,
                other,
                location,
                host,
                policy == "accept",
                hook,
            )
        )
    return [HostPart(host=host, rulesets=out, sources=[location])]


def _collect(
    kind: str,
    body: Mapping[str, Any],
    i: int,
    tables: dict[tuple[str, str], ChainTable],
    bases: list[tuple[str, str, str, str, str]],
    sets: dict[tuple[str, str, str], list[Any]],
    pending: list[tuple[int, Mapping[str, Any]]],
) -> None:
    if kind == "chain":
        t = tables.setdefault((body["family"], body["table"]), ChainTable())
        t.rules.setdefault(body["name"], [])
        t.policies[body["name"]] = str(body.get("policy", "-"))
        if body.get("type", "filter") == "filter" and body.get("hook") in HOOKS:
            bases.append(
                (
                    body["family"],
                    body["table"],
                    body["name"],
                    body["hook"],
                    str(body.get("policy", "accept")),
                )
            )
    elif kind == "set" or kind == "map":
        key = (body.get("family", ""), body.get("table", ""), body.get("name", ""))
        sets[key] = list(body.get("elem", []))
    elif kind == "rule":
        pending.append((i, body))


def _addr_of(v: Any, sets: dict[tuple[str, str, str], list[Any]], fam: str, tab: str) -> AddressSet:
    if isinstance(v, str) and v.startswith("@"):
        elems = sets.get((fam, tab, v[1:]))
        if elems is None:
            return AddressSet.symbol("unresolved", f"nft-set:{v[1:]}")
        return _addr_of({"set": elems}, sets, fam, tab)
    if isinstance(v, str):
        return AddressSet.parse(v)
    if isinstance(v, Mapping):
        if "prefix" in v:
            return AddressSet.parse(f"{v['prefix']['addr']}/{v['prefix']['len']}")
        if "range" in v:
            lo, hi = v["range"]
            return AddressSet.parse(f"{lo}-{hi}")
        if "set" in v:
            out = AddressSet()
            for e in v["set"]:
                out = out | _addr_of(
                    e.get("elem", {}).get("val", e)
                    if isinstance(e, Mapping) and "elem" in e
                    else e,
                    sets,
                    fam,
                    tab,
                )
            return out
    raise AddressError(f"unsupported address expression {v!r}")


def _ports_of(v: Any, sets: dict[tuple[str, str, str], list[Any]], fam: str, tab: str) -> Intervals:
    if isinstance(v, int):
        return Intervals.of((v, v))
    if isinstance(v, str):
        if v.startswith("@"):
            elems = sets.get((fam, tab, v[1:]))
            if elems is None:
                raise PortError(f"unknown set {v}")
            return _ports_of({"set": elems}, sets, fam, tab)
        n = port_number(v)
        if n is None:
            raise PortError(f"unknown port {v!r}")
        return Intervals.of((n, n))
    if isinstance(v, Mapping):
        if "range" in v:
            lo, hi = (_ports_of(x, sets, fam, tab).spans[0][0] for x in v["range"])
            return Intervals.of((lo, hi))
        if "set" in v:
            out = Intervals()
            for e in v["set"]:
                out = out | _ports_of(e, sets, fam, tab)
            return out
    raise PortError(f"unsupported port expression {v!r}")


def _rule(
    body: Mapping[str, Any], i: int, location: str, sets: dict[tuple[str, str, str], list[Any]]
) -> ChainRule:
    fam, tab = str(body.get("family")), str(body.get("table"))
    ref = SourceRef("record", location, record=f"nftables[{i}] handle {body.get('handle', '?')}")
    r = ChainRule(i, str(body.get("chain")), EVERYTHING, "", False, ref=ref)
    r.comment = str(body.get("comment", ""))
    protocols, ports, peers, local = ALL_PROTOCOLS, ALL_PORTS, ANY, ANY
    try:
        for e in body.get("expr", []):
            if not isinstance(e, Mapping) or len(e) != 1:
                raise HostParseError(location, f"nftables[{i}]: bad expression {e!r}")
            kind, val = next(iter(e.items()))
            if kind in _VERDICTS:
                r.target = _VERDICTS[kind]
            elif kind in ("jump", "goto"):
                r.target, r.goto = str(val["target"]), kind == "goto"
            elif kind == "log":
                r.target = r.target or "LOG"
            elif kind in ("counter", "comment"):
                continue
            elif kind == "match":
                left, right, op = val["left"], val["right"], val.get("op", "==")
                neg = op == "!="
                if "payload" in left:
                    pl = left["payload"]
                    field, proto = pl.get("field"), pl.get("protocol")
                    if field in ("saddr", "daddr"):
                        a = _addr_of(right, sets, fam, tab)
                        a = ANY - a if neg else a
                        if field == "saddr":
                            peers = peers & a
                        else:
                            local = local & a
                    elif field == "dport":
                        pv = _ports_of(right, sets, fam, tab)
                        ports = ports & (ALL_PORTS - pv if neg else pv)
                        if proto in ("tcp", "udp", "sctp"):
                            protocols = protocols & parse_protocol(proto)
                    elif field in ("protocol", "nexthdr"):
                        pv = _protos(right)
                        protocols = protocols & (ALL_PROTOCOLS - pv if neg else pv)
                    elif field == "type" and proto in ("icmp", "icmpv6"):
                        iv = icmp_from(str(right), proto == "icmpv6")
                        if iv is None:
                            raise PortError(f"unknown ICMP type {right!r}")
                        protocols = protocols & parse_protocol(proto)
                        ports = ports & (ALL_PORTS - iv if neg else iv)
                    else:
                        r.narrowed = True
                        r.notes.append(f"{proto} {field} not modeled")
                elif "meta" in left:
                    key = left["meta"].get("key")
                    if key == "l4proto":
                        pv = _protos(right)
                        protocols = protocols & (ALL_PROTOCOLS - pv if neg else pv)
                    elif key in ("iifname", "iif", "oifname", "oif"):
                        m = IfaceMatch.of(_names(right, sets, fam, tab), neg)
                        if key.startswith("i"):
                            if m == IfaceMatch.of(["lo"]):
                                peers = peers & LOOPBACK
                            r.in_iface = m if r.in_iface is None else r.in_iface & m
                        else:
                            r.out_iface = m if r.out_iface is None else r.out_iface & m
                    elif key == "nfproto":
                        r.notes.append(f"meta {key} {'!=' if neg else '=='} {right}")
                    else:
                        r.narrowed = True
                        r.notes.append(f"meta {key} not modeled")
                elif "ct" in left and left["ct"].get("key") == "state":
                    states = _states(right)
                    opens = bool(states & {"NEW", "UNTRACKED"})
                    r.new_traffic = (not opens) if neg else opens
                    if not r.new_traffic:
                        r.notes.append(
                            f"ct state {','.join(sorted(states)).lower()}: no new connection"
                        )
                else:
                    r.narrowed = True
                    r.notes.append(f"match {json.dumps(left, sort_keys=True)[:60]} not modeled")
            else:
                r.narrowed = r.narrowed or kind in ("limit", "quota")
                r.notes.append(f"statement {kind}")
    except (AddressError, PortError, KeyError, TypeError, ValueError) as exc:
        raise HostParseError(location, f"nftables[{i}]: {exc}") from None
    r.box = Box(protocols, ports, peers, local)
    return r


def _names(v: Any, sets: dict[tuple[str, str, str], list[Any]], fam: str, tab: str) -> list[str]:
    """Interface names of ``iifname``/``oifname``/``iif``/``oif``: a name (``"wg*"`` is a
    prefix), an anonymous set or a named set of them."""
    if isinstance(v, str) and v.startswith("@"):
        elems = sets.get((fam, tab, v[1:]))
        if elems is None:
            raise PortError(f"unknown interface set {v}")
        return _names({"set": elems}, sets, fam, tab)
    if isinstance(v, str) and v:
        return [v]
    if isinstance(v, Mapping) and isinstance(v.get("set"), list):
        return [n for e in v["set"] for n in _names(e, sets, fam, tab)]
    raise PortError(f"unsupported interface expression {v!r}")


def _states(right: Any) -> set[str]:
    if isinstance(right, Mapping):
        right = right.get("set", [])
    if not isinstance(right, list):
        right = [right]
    return {str(s).upper() for s in right}


def _protos(v: Any) -> Intervals:
    if isinstance(v, Mapping) and "set" in v:
        out = Intervals()
        for x in v["set"]:
            out = out | parse_protocol(x)
        return out
    return parse_protocol(v)

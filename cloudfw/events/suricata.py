"""Suricata rule headers (AWS Network Firewall rule strings and stateful rules) -> the peers and
ports a rule names. Pure: no I/O.

Addresses and ports follow Suricata's syntax: ``any``, a CIDR or port, ``a:b`` / ``a:`` / ``:b``
port ranges, lists ``[a,b]`` (nested too), negation ``!x`` (``[!x]`` and ``!x`` alone mean "any
except x"), and variables the rule group defines (``ruleVariables.ipSets`` / ``portSets``). An
undefined ``$EXTERNAL_NET`` is ``!$HOME_NET``, Suricata's default. Other undefined address
variables stay as symbolic peers (``$HOME_NET``: AWS's default is the firewall's VPC, which the
log does not carry); a port list naming an undefined variable is reported as the protocol alone
(ports unknown: judged as every port).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from functools import reduce
from typing import TypeVar

from cloudfw.events.errors import RecordError
from cloudfw.events.normal import ALL, peer_set, peer_tokens, port_int
from cloudfw.model import ANY, AddressSet, Intervals, PortSpec, port_range
from cloudfw.model.ports import ALL_PORTS

Variables = Mapping[str, list[str]]
T = TypeVar("T", AddressSet, Intervals)
_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_HOME = re.compile(r"(?<!!)\$HOME_NET\b", re.IGNORECASE)
_MAX_DEPTH = 8
_PORTED = ("tcp", "udp", "sctp")


def is_home(side: str) -> bool:
    """The side names the home network (``$HOME_NET``, not negated)."""
    return _HOME.search(side) is not None


def header(rule: str) -> tuple[str, str, str, str, str, str, str] | None:
    """A rule's header: (action, protocol, source, source port, direction, destination,
    destination port); None when the text before the options is not seven fields. Lists stay
    whole (``[1.0.0.0/8, ![1.1.0.0/16]]``)."""
    fields, depth, cur = [], 0, ""
    for ch in rule.partition("(")[0]:
        depth += (ch == "[") - (ch == "]")
        if ch.isspace() and depth == 0:
            if cur:
                fields.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        fields.append(cur)
    if len(fields) != 7:
        return None
    a, p, src, sport, d, dst, dport = fields
    return a, p, src, sport, d, dst, dport


Header = tuple[str, str, str, str, str, str, str]


def parse_rule(rule: str) -> tuple[Header, dict[str, object]] | None:
    """A rule's header (`header`) and idstools' reading of it (``options`` a list of
    ``{name, value}``, ``sid``, ``msg``...); None when either does not read it as a rule."""
    import idstools.rule  # type: ignore[import-untyped]  # only when rule strings are read

    head = header(rule)
    try:
        parsed = idstools.rule.parse(rule)
    except Exception:  # idstools raises a bare Exception for unbalanced options
        return None
    if head is None or parsed is None:
        return None
    return head, dict(parsed)


def _split(inner: str) -> list[str]:
    """The top-level items of a ``[...]`` list."""
    items, depth, cur = [], 0, ""
    for ch in inner:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    items.append(cur.strip())
    return [i for i in items if i]


def _expand(tok: str, ips: Variables, field: str, depth: int = 0) -> str:
    """Defined address variables replaced by their lists; undefined ``$EXTERNAL_NET`` by
    ``!$HOME_NET``; other undefined variables left as they are."""
    if depth > _MAX_DEPTH:
        raise RecordError("rule variables refer to each other in a loop", field)

    def var(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in ips:
            return "[" + ",".join(_expand(v, ips, field, depth + 1) for v in ips[name]) + "]"
        if name == "EXTERNAL_NET":
            return "!" + _expand("$HOME_NET", ips, field, depth + 1)
        return m.group(0)

    return _VAR.sub(var, tok)


def _group(tok: str, field: str, leaf: Callable[[str], T], every: T) -> T:
    """Suricata's list syntax over addresses or ports: ``!x`` is ``every`` less x; ``[a,!b]``
    the union of the plain items (``every`` when there are none) less the negated ones."""
    t = tok.strip()
    if t.startswith("!"):
        return every - _group(t[1:], field, leaf, every)
    if not t.startswith("["):
        return every if t.lower() == "any" else leaf(t)
    if not t.endswith("]"):
        raise RecordError(f"unbalanced list {tok!r}", field)
    items = _split(t[1:-1])
    keep = [_group(i, field, leaf, every) for i in items if not i.startswith("!")]
    out = reduce(operator.or_, keep) if keep else every
    for i in items:
        if i.startswith("!"):
            out = out - _group(i[1:], field, leaf, every)
    return out


def _address_set(tok: str, field: str) -> AddressSet:
    return _group(tok, field, lambda t: peer_set([t]), ANY)


def _flat(tok: str) -> list[str]:
    """``[a,[b,c]]`` -> ``[a, b, c]``."""
    t = tok.strip()
    if not t.startswith("["):
        return [t]
    return [p for part in _split(t[1:-1]) for p in _flat(part)]


def peers(side: str, ips: Variables, field: str) -> list[str]:
    """The peers one side of a rule names, as event peer tokens: the names themselves (variables
    substituted) when nothing is negated, else the resulting address set ("any except ...")."""
    expanded = _expand(side, ips, field)
    if "!" not in expanded:
        return [t for t in _flat(expanded) if t]
    return list(peer_tokens(_address_set(expanded, field)))


def _port_set(tok: str, field: str) -> Intervals:
    def leaf(t: str) -> Intervals:
        lo, colon, hi = t.partition(":")
        a = port_int(lo, field) if lo else 0
        b = (port_int(hi, field) if hi else 65535) if colon else a
        if a is None or b is None or a > b:
            raise RecordError(f"not a port or port range: {t!r}", field)
        return port_range(a, b)

    return _group(tok, field, leaf, ALL_PORTS)


def _expand_ports(tok: str, port_vars: Variables, field: str, depth: int = 0) -> str | None:
    """Port variables replaced by their lists; None when one is not defined."""
    if depth > _MAX_DEPTH:
        raise RecordError("port variables refer to each other in a loop", field)
    out = tok
    for name in _VAR.findall(tok):
        if name not in port_vars:
            return None
        parts = [_expand_ports(v, port_vars, field, depth + 1) for v in port_vars[name]]
        if any(p is None for p in parts):
            return None
        out = out.replace(f"${name}", "[" + ",".join(p for p in parts if p is not None) + "]", 1)
    return out


def port_specs(protocol: str, ports: str, port_vars: Variables, field: str) -> list[PortSpec]:
    """A rule's protocol and destination port field -> port specs (``ip``: every protocol)."""
    p = protocol.lower()
    if p == "ip":
        return [ALL]
    if p in ("icmp", "icmpv6"):
        return [PortSpec(p, None, None)]
    expanded = _expand_ports(ports, port_vars, field)
    if expanded is None:  # an undefined port variable: ports unknown
        return [PortSpec(p, None, None)]
    spans = _port_set(expanded, field).spans
    if spans == ALL_PORTS.spans:
        return [PortSpec(p, 0, 65535) if p in _PORTED else PortSpec(p, None, None)]
    return [PortSpec(p, lo, hi) for lo, hi in spans]


def address_space(
    side: str, ips: Variables, field: str, leaf: Callable[[str], AddressSet] | None = None
) -> AddressSet:
    """One side of a rule as an address set: variables expanded as in `peers`, negation and
    lists resolved; ``leaf`` reads one item (default: the event peer reader)."""
    return _group(_expand(side, ips, field), field, leaf or (lambda t: peer_set([t])), ANY)


def port_space(ports: str, port_vars: Variables, field: str) -> Intervals | None:
    """A port field as port intervals; None when it names a port variable nobody defines."""
    expanded = _expand_ports(ports, port_vars, field)
    return None if expanded is None else _port_set(expanded, field)

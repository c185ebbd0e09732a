"""Shared normalization helpers: times, protocols, port specs and peers. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cloudfw.events.errors import RecordError
from cloudfw.model import (
    ANY,
    EMPTY,
    AddressSet,
    Box,
    CloudfwError,
    PortSpec,
    Space,
    icmp_space,
    parse_protocol,
    port_range,
)
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS, NUMBER_NAMES

ALL_PROTOCOL_TOKENS = frozenset({"-1", "all", "*", "any"})
ALL = PortSpec("all", None, None)


def parse_time(value: object, field: str) -> datetime:
    """ISO-8601 (``Z`` or offset, up to 7 fractional digits), or epoch seconds -> aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):  # out of datetime's range, or NaN
            raise RecordError(f"epoch timestamp out of range: {value!r}", field) from None
    if not isinstance(value, str) or not value:
        raise RecordError(f"expected a timestamp, got {type(value).__name__}", field)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # Azure writes 7 fractional digits; fromisoformat accepts at most 6
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        tail = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail}"
    try:
        t = datetime.fromisoformat(text)
        return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except (ValueError, OverflowError):  # unparseable, or an offset that leaves datetime's range
        raise RecordError(f"not a timestamp: {value!r}", field) from None


def protocol_name(value: object) -> str:
    """``tcp``/``TCP``/``6`` -> ``tcp``; ``-1``/``*``/``all`` -> ``all``; unknown numbers stay."""
    tok = str(value).strip().lower()
    if tok in ALL_PROTOCOL_TOKENS:
        return "all"
    if tok.isdigit():
        return NUMBER_NAMES.get(int(tok), tok)
    return tok


def port_int(value: object, field: str) -> int | None:
    """A port (or ICMP type/code) that may be logged as a string; ``-1`` and absent -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError("expected a port number, got a boolean", field)
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        n = int(value)
    else:
        raise RecordError(f"expected a port number, got {value!r}", field)
    if n == -1:
        return None
    if not 0 <= n <= 65535:
        raise RecordError(f"port {n} is outside 0..65535", field)
    return n


def port_spec(protocol: object, from_port: object, to_port: object, field: str) -> PortSpec:
    proto = protocol_name(protocol)
    if proto == "all":
        return ALL
    lo = port_int(from_port, f"{field}.from")
    hi = port_int(to_port, f"{field}.to")
    return PortSpec(proto, lo, hi)


def range_specs(protocol: object, ranges: Iterable[str], field: str) -> list[PortSpec]:
    """``tcp`` + ``["22", "8000-8080", "*"]`` -> specs; no ranges means every port."""
    proto = protocol_name(protocol)
    out: list[PortSpec] = []
    items = [str(r).strip() for r in ranges if str(r).strip()]
    if not items:
        if proto == "all":
            return [ALL]
        if proto in ("tcp", "udp", "sctp"):
            return [PortSpec(proto, 0, 65535)]
        return [PortSpec(proto, None, None)]
    for r in items:
        if r in ("*", "any", "all"):
            out.append(ALL if proto == "all" else PortSpec(proto, 0, 65535))
            continue
        lo, _, hi = r.partition("-")
        a = port_int(lo, field)
        b = port_int(hi, field) if hi else a
        out.append(PortSpec(proto, a, b))
    return out


def peer_set(tokens: Iterable[str]) -> AddressSet:
    """The peers an event names, as the model's addresses: CIDRs and addresses (host bits
    allowed), ``*``/``any``, Azure's ``Internet``, and symbols for the rest (security groups,
    prefix lists, GCP tags and service accounts, service tags, names). A token written ``!x``
    (a Suricata negation) removes ``x`` from the rest."""
    out = EMPTY
    negated: list[str] = []
    for tok in tokens:
        t = tok.strip()
        if t.startswith("!"):
            negated.append(t[1:])
            continue
        low = t.lower()
        if low in ("*", "any"):
            part = ANY
        elif t.startswith("sg-"):
            part = AddressSet.symbol("sg", t)
        elif t.startswith("pl-"):
            part = AddressSet.symbol("prefix-list", t)
        elif t.startswith("tag:"):
            part = AddressSet.symbol("network-tag", t[4:])
        elif t.startswith("serviceAccount:"):
            part = AddressSet.symbol("service-account", t.split(":", 1)[1])
        else:
            try:
                part = AddressSet.parse(t)
            except CloudfwError:
                part = AddressSet.symbol("service-tag", t)
        out = out | part
    if negated and not out:  # only exclusions: "any except ..."
        out = ANY
    return out - peer_set(negated) if negated else out


#: how `peer_set` spells each kind of symbolic peer
_SPELLING = {"network-tag": "tag:", "service-account": "serviceAccount:"}


def peer_tokens(a: AddressSet) -> tuple[str, ...]:
    """An address set as the event peer tokens `peer_set` reads back (``*``, CIDRs, names)."""
    if a.universal:
        return ("*",)
    toks = [str(n) for n in a.networks()]
    toks += [_SPELLING.get(p.kind, "") + p.value for p in sorted(a.symbols)]
    return tuple(toks)


def any_peer(peers: Iterable[str], denied: Iterable[str] = ()) -> bool:
    """The peers (less any the event denies) are internet-wide by the model's measure."""
    space = peer_set(peers)
    deny = tuple(denied)
    if deny:
        space = space - peer_set(deny)
    return space.is_internet()


def obj(value: object, field: str) -> Mapping[str, Any]:
    """A JSON object, or an empty one for null/absent; anything else is a located error."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    raise RecordError(f"expected an object, got {type(value).__name__}", field)


def seq(value: object, field: str) -> list[Any]:
    """A JSON list; null -> []; a single object -> [it]."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return [value]
    raise RecordError(f"expected a list, got {type(value).__name__}", field)


def strs(value: object, field: str) -> list[str]:
    """A list of strings, or a single string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    raise RecordError(f"expected a string or list, got {type(value).__name__}", field)


def text(value: object) -> str:
    return "" if value is None else str(value)


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """Distinct tokens in order, stripped of the blanks some writers leave around them."""
    return tuple(dict.fromkeys(t for i in items if (t := i.strip())))


def port_box(p: PortSpec, peers: AddressSet = ANY) -> Box:
    """One port spec (with ``peers``) as the model's traffic box. A spec without ports is
    every port of its protocol (the log does not say which)."""
    if p.protocol == "all":
        ports = ALL_PORTS if p.from_port is None else port_range(p.from_port, p.to_port or 65535)
        return Box(ALL_PROTOCOLS, ports, peers, ANY)
    try:
        protos = parse_protocol(p.protocol)
    except CloudfwError:
        protos = ALL_PROTOCOLS
    if p.protocol in ("icmp", "icmpv6"):
        return Box(protos, icmp_space(p.from_port, p.to_port), peers, ANY)
    if p.from_port is None:
        return Box(protos, ALL_PORTS, peers, ANY)
    hi = p.to_port if p.to_port is not None else p.from_port
    return Box(protos, port_range(min(p.from_port, hi), max(p.from_port, hi)), peers, ANY)


def ports_cover(outer: Iterable[PortSpec], inner: Iterable[PortSpec]) -> bool:
    """Every (protocol, port) of ``inner`` (none: every port) is one of ``outer``'s (none: not
    known, so it covers nothing)."""
    space = Space(tuple(port_box(p) for p in outer))
    return all(space.covers(port_box(p)) for p in (list(inner) or [ALL]))


Written = tuple[str, list[str], list[PortSpec]]  # one written rule: (allow|deny|"", peers, ports)


class Effect(NamedTuple):
    """What several rules one change writes come to."""

    action: str  # allow | deny | ""
    peers: list[str]
    ports: list[PortSpec]
    any_peer: bool


def effect(rules: Iterable[Written]) -> Effect:
    """Several rules one change writes, in evaluation order -> what the change does.

    When any rule allows, the change is reported by what it allows (``allow``, the allowing
    rules' peers and ports), and it is internet-wide (`any_peer`) when some allowing rule still
    reaches the internet after the deny rules evaluated before it that cover all its ports (a
    deny of port 23 does not narrow an allow of port 22). Otherwise it is reported by what it
    denies (``deny``), or ``""`` when no rule says."""
    rules = list(rules)
    allows = [r for r in rules if r[0] == "allow"]
    denies = [r for r in rules if r[0] == "deny"]
    shown = allows or denies or rules
    action = "allow" if allows else ("deny" if denies else "")
    peers = [p for r in shown for p in r[1]]
    ports = [p for r in shown for p in r[2]]
    if not allows:
        return Effect(action, peers, ports, any_peer(peers))
    wide = False
    for i, (act, allowed, specs) in enumerate(rules):
        if act != "allow":
            continue
        before = [p for d in rules[:i] if d[0] == "deny" and ports_cover(d[2], specs) for p in d[1]]
        wide = wide or any_peer(allowed, before)
    return Effect(action, peers, ports, wide)

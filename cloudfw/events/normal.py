"""Shared normalization helpers: times, protocols, port specs and peers. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cloudfw.events.errors import RecordError
from cloudfw.model import ANY, EMPTY, AddressSet, CloudfwError, PortSpec
from cloudfw.model.ports import NUMBER_NAMES

ALL_PROTOCOL_TOKENS = frozenset({"-1", "all", "*", "any"})
ALL = PortSpec("all", None, None)


def parse_time(value: object, field: str) -> datetime:
    """ISO-8601 (``Z`` or offset, up to 7 fractional digits), or epoch seconds -> aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
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
    except ValueError:
        raise RecordError(f"not a timestamp: {value!r}", field) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


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
    return out - peer_set(negated) if negated else out


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
    return tuple(dict.fromkeys(i for i in items if i))


Written = tuple[str, list[str], list[PortSpec]]  # one written rule: (allow|deny|"", peers, ports)


def effect(rules: Iterable[Written]) -> tuple[str, list[str], list[PortSpec], list[str]]:
    """Several rules one change writes, in evaluation order -> (rule_action, peers, ports,
    denied peers).

    When any rule allows, the change is reported by what it allows (``allow``, the allowing
    rules' peers and ports), and the peers of the deny rules evaluated before every allow are
    returned for `any_peer`; otherwise by what it denies (``deny``), or ``""`` when no rule
    says."""
    rules = list(rules)
    allows = [r for r in rules if r[0] == "allow"]
    denies = [r for r in rules if r[0] == "deny"]
    shown = allows or denies or rules
    action = "allow" if allows else ("deny" if denies else "")
    peers = [p for r in shown for p in r[1]]
    ports = [p for r in shown for p in r[2]]
    first = next((i for i, r in enumerate(rules) if r[0] == "allow"), 0)
    denied = [p for r in rules[:first] if r[0] == "deny" for p in r[1]]
    return action, peers, ports, denied

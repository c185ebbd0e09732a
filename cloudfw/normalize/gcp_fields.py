"""Field readers for Compute API JSON: each failure names the resource and the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from cloudfw.model import (
    ALL_PORTS,
    AddressSet,
    CloudfwError,
    Direction,
    Intervals,
    ModelError,
    parse_ports,
    parse_protocol,
)

Json = Mapping[str, Any]


class GcpNormalizeError(CloudfwError):
    """A Compute API object that cannot be turned into rules; names the resource and field."""


def where(kind: str, name: str, field: str) -> str:
    return f"{kind} {name!r}: {field}"


def req_str(d: Json, key: str, ctx: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise GcpNormalizeError(f"{ctx}: field {key!r} is missing or not a string")
    return v


def opt_str(d: Json, key: str, ctx: str, default: str = "") -> str:
    v = d.get(key, default)
    if not isinstance(v, str):
        raise GcpNormalizeError(f"{ctx}: field {key!r} is not a string: {v!r}")
    return v


def opt_bool(d: Json, key: str, ctx: str) -> bool:
    v = d.get(key, False)
    if not isinstance(v, bool):
        raise GcpNormalizeError(f"{ctx}: field {key!r} is not a boolean: {v!r}")
    return v


def opt_obj(d: Json, key: str, ctx: str) -> Json:
    v = d.get(key, {})
    if not isinstance(v, Mapping):
        raise GcpNormalizeError(f"{ctx}: field {key!r} is not an object")
    return v


def int_field(d: Json, key: str, ctx: str, default: int, hi: int) -> int:
    v = d.get(key, default)
    if isinstance(v, str) and v.lstrip("-").isdigit():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= hi:
        raise GcpNormalizeError(f"{ctx}: field {key!r} must be an integer in 0..{hi}, got {v!r}")
    return v


def str_list(d: Json, key: str, ctx: str) -> list[str]:
    v = d.get(key, [])
    if type(v) is list and all(type(x) is str for x in v):  # JSON's own types: the fast path
        return list(v)
    if not isinstance(v, Sequence) or isinstance(v, str) or not all(isinstance(x, str) for x in v):
        raise GcpNormalizeError(f"{ctx}: field {key!r} is not a list of strings")
    return list(v)


def obj_list(d: Json, key: str, ctx: str) -> list[Json]:
    v = d.get(key, [])
    if type(v) is list and all(type(x) is dict for x in v):  # JSON's own types: the fast path
        return list(v)
    if (
        not isinstance(v, Sequence)
        or isinstance(v, str)
        or not all(isinstance(x, Mapping) for x in v)
    ):
        raise GcpNormalizeError(f"{ctx}: field {key!r} is not a list of objects")
    return list(v)


def ranges(tokens: list[str], ctx: str, key: str) -> AddressSet:
    try:
        return _ranges(tuple(tokens))
    except ModelError:
        pass
    for i, tok in enumerate(tokens):  # locate the bad token
        try:
            AddressSet.parse(tok)
        except ModelError as exc:
            raise GcpNormalizeError(f"{ctx}: {key}[{i}]: {exc}") from None
    raise AssertionError("unreachable")  # pragma: no cover


@lru_cache(maxsize=4096)
def _ranges(tokens: tuple[str, ...]) -> AddressSet:
    """Address sets are immutable: rules with the same ranges share one (an org-wide export
    repeats a few hundred range lists over millions of rules)."""
    out = AddressSet()
    for tok in tokens:
        out = out | AddressSet.parse(tok)
    return out


def direction(d: Json, ctx: str) -> Direction:
    text = opt_str(d, "direction", ctx, "INGRESS")
    if text.upper() == "INGRESS":
        return Direction.INGRESS
    if text.upper() == "EGRESS":
        return Direction.EGRESS
    raise GcpNormalizeError(f"{ctx}: field 'direction' must be INGRESS or EGRESS, got {text!r}")


def proto_ports(entry: Json, proto_key: str, ctx: str) -> tuple[Intervals, Intervals]:
    """``{"IPProtocol": "tcp", "ports": ["22", "8000-8080"]}`` -> (protocols, ports)."""
    proto_text = entry.get(proto_key)
    if not isinstance(proto_text, str) or not proto_text:
        raise GcpNormalizeError(f"{ctx}: field {proto_key!r} is missing or not a string")
    ports_list = str_list(entry, "ports", ctx)
    try:
        return _proto_ports(proto_text, tuple(ports_list))
    except ModelError as exc:
        raise GcpNormalizeError(f"{ctx}: {exc}") from None


@lru_cache(maxsize=4096)
def _proto_ports(proto_text: str, ports_list: tuple[str, ...]) -> tuple[Intervals, Intervals]:
    """Shared, as `_ranges` (interval sets are immutable too)."""
    protocols = parse_protocol(proto_text)
    ports = parse_ports(",".join(ports_list)) if ports_list else ALL_PORTS
    return protocols, ports


def resource_path(url: str) -> str:
    """A Compute selfLink or partial URL -> ``projects/p/global/networks/n`` (the stable part)."""
    i = url.find("projects/")
    return url[i:] if i >= 0 else url


def last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]

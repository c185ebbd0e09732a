"""Fast paths of snapshot decoding. Pure: no I/O.

A million-rule snapshot is mostly rules of a few hundred shapes, in the canonical key order the
snapshot writer uses. These functions decode that common, well-formed kind with as few lookups as
possible, sharing the parsed parts of repeated shapes; anything else (None) goes down the
validating path of `cloudfw.model.serde`, which decodes unusual shapes and names the field of
every error. The fast paths never accept what the validating path would reject
(tests/model/test_serde.py checks both on the same documents).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cloudfw.model.addr import AddressSet
from cloudfw.model.asset import Asset, Attachment, SourceRef
from cloudfw.model.errors import DecodeError, ModelError
from cloudfw.model.intervals import Intervals
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS, parse_ports, parse_protocol
from cloudfw.model.rule import Action, Direction, EvalSemantics, Logging, Rule, plain_rule
from cloudfw.model.ruleset import RuleSet

ASSET_KEYS = frozenset(
    {"provider", "account", "region", "resource_type", "resource_id", "name", "parent", "tags"}
)
RULESET_KEYS = frozenset(
    {"asset", "semantics", "default_ingress", "default_egress", "logging", "rules", "log_scope",
     "attachments", "is_default", "enabled", "layer_names", "interfaces"}
)  # fmt: skip


def parse_intervals(text: str, path: str, full: Intervals, proto: bool) -> Intervals:
    if text == "all":
        return full
    if text == "none":
        return Intervals()
    if not text.strip():
        raise DecodeError(path, "empty: write 'all' or 'none'")
    try:
        if proto and "," not in text and "-" not in text:
            return parse_protocol(text)
        iv = parse_ports(text)
    except ModelError as exc:
        raise DecodeError(path, str(exc)) from None
    if proto and not full.covers(iv):
        raise DecodeError(path, f"protocol {text!r} is outside 0..255")
    return iv


_DIRECTIONS = {m.value: m for m in Direction}
_ACTIONS = {m.value: m for m in Action}
_LOGGING = {m.value: m for m in Logging}
_FAST_KEYS = frozenset(
    {"key", "direction", "action", "protocol", "ports", "peers", "order", "layer", "logging",
     "description", "origin", "builtin"}
)  # fmt: skip


@lru_cache(maxsize=65536)
def _peers_cached(tokens: tuple[str, ...]) -> AddressSet:
    return AddressSet.parse_many(tokens)


@lru_cache(maxsize=4096)
def _intervals_cached(text: str, proto: bool) -> Intervals:
    return parse_intervals(text, "", ALL_PROTOCOLS if proto else ALL_PORTS, proto)


_ASSET_FIELDS = ("provider", "account", "region", "resource_type", "resource_id", "name", "parent")
_ATT_FIELDS = ("resource_type", "resource_id", "instance_id", "subnet")
_ATT_FAST_KEYS = frozenset({*_ATT_FIELDS, "private_ips", "public_ips"})


def asset_fast(d: Any) -> Asset | None:
    """The common tag-less, well-formed asset; None sends it down the validating path."""
    if type(d) is not dict or "tags" in d or not d.keys() <= ASSET_KEYS:
        return None
    vals = [d.get(k, "") for k in _ASSET_FIELDS]
    if not all(type(v) is str for v in vals) or not all(vals[:5]):
        return None
    return Asset(*vals)


def _strs_fast(v: Any) -> tuple[str, ...] | None:
    if type(v) is not list or not all(type(x) is str for x in v):
        return None
    return tuple(v)


def attachment_fast(d: Any) -> Attachment | None:
    if type(d) is not dict or not d.keys() <= _ATT_FAST_KEYS:
        return None
    vals = [d.get(k, "") for k in _ATT_FIELDS]
    priv, pub = _strs_fast(d.get("private_ips", [])), _strs_fast(d.get("public_ips", []))
    if not all(type(v) is str for v in vals) or not vals[0] or not vals[1]:
        return None
    if priv is None or pub is None:
        return None
    return Attachment(vals[0], vals[1], vals[2], priv, pub, vals[3])


_Core = tuple[Direction, Action, Intervals, Intervals, AddressSet, Logging]


@lru_cache(maxsize=65536)
def _core_cached(
    raw_dir: object, raw_act: object, proto: object, ports: object, peers: tuple[object, ...],
    raw_log: object,
) -> _Core | None:  # fmt: skip
    """The validated, parsed fields that rules share (most rules of an estate repeat a few
    hundred shapes); None when a value is not of the common, well-formed kind."""
    direction, action, logging = (
        _DIRECTIONS.get(raw_dir) if type(raw_dir) is str else None,
        _ACTIONS.get(raw_act) if type(raw_act) is str else None,
        _LOGGING.get(raw_log) if type(raw_log) is str else None,
    )
    if (
        direction is None
        or action is None
        or logging is None
        or type(proto) is not str
        or type(ports) is not str
        or not all(type(p) is str for p in peers)
    ):
        return None
    try:
        return (
            direction,
            action,
            _intervals_cached(proto, True),
            _intervals_cached(ports, False),
            _peers_cached(peers),  # every peer is a str (checked above)
            logging,
        )
    except (ModelError, TypeError):
        return None


_SOURCE_KEYS = frozenset({"kind", "location", "line", "record"})
_set_kind, _set_location, _set_line, _set_record = (
    SourceRef.__dict__[name].__set__ for name in ("kind", "location", "line", "record")
)


def source_fast(d: Any) -> SourceRef | None:
    if type(d) is not dict or not d.keys() <= _SOURCE_KEYS:
        return None
    kind, location, line, record = d.get("kind"), d.get("location"), d.get("line"), d.get("record")
    if type(kind) is not str or type(location) is not str:
        return None
    if (line is not None and type(line) is not int) or (
        record is not None and type(record) is not str
    ):
        return None
    ref: SourceRef = object.__new__(SourceRef)  # as in `plain_rule`: one per rule, set directly
    _set_kind(ref, kind)
    _set_location(ref, location)
    _set_line(ref, line)
    _set_record(ref, record)
    return ref


def rule_fast(d: Any) -> Rule | None:
    """Decode the common, well-formed shape quickly; None means "take the validating path"
    (which then raises a precise, located error or decodes the unusual shape)."""
    if type(d) is not dict or not d.keys() <= _FAST_KEYS:
        return None
    key, peers, ports, proto = (
        d.get("key"),
        d.get("peers"),
        d.get("ports", "all"),
        d.get("protocol"),
    )
    raw_dir, raw_act, raw_log = d.get("direction"), d.get("action"), d.get("logging", "unknown")
    order, layer, description = d.get("order", 0), d.get("layer", 0), d.get("description", "")
    raw_origin, builtin = d.get("origin"), d.get("builtin", False)
    if (
        type(key) is not str
        or type(peers) is not list
        or type(order) is not int
        or type(layer) is not int
        or type(description) is not str
        or type(builtin) is not bool
    ):
        return None
    origin = None
    if raw_origin is not None and (origin := source_fast(raw_origin)) is None:
        return None
    try:
        core = _core_cached(raw_dir, raw_act, proto, ports, tuple(peers), raw_log)
    except TypeError:  # an unhashable value: not the common shape
        return None
    if core is None:
        return None
    direction, action, protocols, port_set, addrs, logging = core
    return plain_rule(key, direction, action, protocols, port_set, addrs, order, layer, logging,
                      description, origin, builtin)  # fmt: skip


core_of = _core_cached  # the shared parsed fields of one rule shape, for other fast readers

_SEMANTICS = {m.value: m for m in EvalSemantics}
_RuleSetEnums = tuple[EvalSemantics, Action, Action, Logging]


def ruleset_enums(semantics: str, din: str, dout: str, logging: str) -> _RuleSetEnums | None:
    """A rule set's enum fields from their (string) values; None when one is not a value."""
    sem, i, o, log = (
        _SEMANTICS.get(semantics),
        _ACTIONS.get(din),
        _ACTIONS.get(dout),
        _LOGGING.get(logging),
    )
    if sem is None or i is None or o is None or log is None:
        return None
    return sem, i, o, log


@lru_cache(maxsize=4096)
def _scope_cached(items: tuple[tuple[str, Any], ...]) -> Asset | None:
    """Log scopes (a VPC, a subscription) repeat across many rule sets: one Asset each."""
    return asset_fast(dict(items))


def ruleset_fast(d: Any) -> RuleSet | None:
    """The common, well-formed rule set; None sends it down the validating path."""
    if type(d) is not dict or not d.keys() <= RULESET_KEYS:
        return None
    raw: tuple[Any, ...] = (
        d.get("semantics"),
        d.get("default_ingress", "deny"),
        d.get("default_egress", "deny"),
        d.get("logging", "unknown"),
    )
    if not all(type(x) is str for x in raw):
        return None
    semantics, din, dout, logging = (
        _SEMANTICS.get(raw[0]), _ACTIONS.get(raw[1]), _ACTIONS.get(raw[2]), _LOGGING.get(raw[3])
    )  # fmt: skip
    rules, atts, scope = d.get("rules", []), d.get("attachments", []), d.get("log_scope")
    is_default, enabled = d.get("is_default", False), d.get("enabled", True)
    asset = asset_fast(d.get("asset"))
    if (
        asset is None
        or semantics is None
        or din is None
        or dout is None
        or logging is None
        or type(rules) is not list
        or type(atts) is not list
        or type(is_default) is not bool
        or type(enabled) is not bool
        or "layer_names" in d
        or "interfaces" in d
    ):
        return None
    log_scope = None
    if scope is not None:
        try:
            log_scope = _scope_cached(tuple(scope.items())) if type(scope) is dict else None
        except TypeError:  # an unhashable value
            return None
        if log_scope is None:
            return None
    decoded = [rule_fast(r) for r in rules]
    attached = [attachment_fast(a) for a in atts]
    if None in decoded or None in attached:
        return None  # the validating path decodes (or locates the error in) the odd ones
    return RuleSet(
        asset,
        semantics,
        tuple(decoded),  # type: ignore[arg-type]  # no None, checked above
        din,
        dout,
        logging,
        log_scope,
        tuple(attached),  # type: ignore[arg-type]
        is_default,
        enabled,
    )

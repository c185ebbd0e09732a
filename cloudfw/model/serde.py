"""Canonical dict form of the model (for snapshot files and reports). Pure: no I/O.

Encoding lives in `cloudfw.model.encode` and is re-exported here; this module decodes.

Every decoding error names the path of the offending field, e.g.
``rulesets[3].rules[5].ports: port '70000' is outside 0..65535``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from cloudfw.model.addr import ANY, AddressSet
from cloudfw.model.asset import Asset, Attachment, SourceRef
from cloudfw.model.encode import (
    SNAPSHOT_SCHEMA,
    asset_to_dict,
    attachment_to_dict,
    canonical_json,
    coverage_to_dict,
    document_digest,
    encode_intervals,
    rule_to_dict,
    ruleset_to_dict,
    snapshot_digest,
    snapshot_to_dict,
    source_to_dict,
)
from cloudfw.model.errors import DecodeError, ModelError
from cloudfw.model.fastpath import (
    ASSET_KEYS,
    RULESET_KEYS,
    asset_fast,
    attachment_fast,
    parse_intervals,
    rule_fast,
    ruleset_fast,
)
from cloudfw.model.iface import IfaceClause, IfaceMatch, Interface
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS
from cloudfw.model.rule import Action, Direction, EvalSemantics, Logging, Rule
from cloudfw.model.ruleset import RuleSet
from cloudfw.model.snapshot import Coverage, CoverageStatus, Snapshot

__all__ = [
    "SNAPSHOT_SCHEMA", "DecodeError", "asset_from_dict", "asset_to_dict", "attachment_from_dict",
    "attachment_to_dict", "canonical_json", "coverage_from_dict", "coverage_to_dict",
    "document_digest", "encode_intervals", "rule_from_dict", "rule_to_dict", "ruleset_from_dict",
    "ruleset_to_dict", "snapshot_digest", "snapshot_from_dict", "snapshot_to_dict",
    "source_from_dict", "source_to_dict",
]  # fmt: skip

E = TypeVar("E", bound=Enum)


# -- decoding --------------------------------------------------------------------------------

_RULE_KEYS = frozenset(
    {"key", "direction", "action", "protocol", "ports", "peers", "local", "order", "layer",
     "enabled", "logging", "targets", "quick", "description", "origin", "unresolved",
     "builtin", "in_iface", "out_iface"}
)  # fmt: skip
_SNAP_KEYS = frozenset(
    {"schema", "tool_version", "collected_at", "coverage", "warnings", "rulesets"}
)


def _obj(v: Any, path: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(v, dict):
        raise DecodeError(path, f"expected an object, got {type(v).__name__}")
    extra = v.keys() - allowed
    if extra:
        raise DecodeError(f"{path}.{sorted(extra)[0]}", "unknown field")
    return v


def _str(d: Mapping[str, Any], key: str, path: str, default: str | None = None) -> str:
    v = d.get(key, default)
    if v is None:
        raise DecodeError(f"{path}.{key}", "missing required field")
    if not isinstance(v, str):
        raise DecodeError(f"{path}.{key}", f"expected a string, got {type(v).__name__}")
    return v


def _int(d: Mapping[str, Any], key: str, path: str, default: int = 0) -> int:
    v = d.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool):
        raise DecodeError(f"{path}.{key}", f"expected an integer, got {type(v).__name__}")
    return v


def _bool(d: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    v = d.get(key, default)
    if not isinstance(v, bool):
        raise DecodeError(f"{path}.{key}", f"expected true/false, got {type(v).__name__}")
    return v


def _strs(d: Mapping[str, Any], key: str, path: str) -> list[str]:
    v = d.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise DecodeError(f"{path}.{key}", "expected a list of strings")
    return v


def _enum(cls: type[E], d: Mapping[str, Any], key: str, path: str, default: str | None = None) -> E:
    raw = _str(d, key, path, default)
    try:
        return cls(raw)
    except ValueError:
        values = ", ".join(str(m.value) for m in cls)
        raise DecodeError(f"{path}.{key}", f"{raw!r} is not one of: {values}") from None


def _addresses(tokens: list[str], path: str) -> AddressSet:
    try:
        return AddressSet.parse_many(tokens)
    except ModelError as exc:
        raise DecodeError(path, str(exc)) from None


def asset_from_dict(v: Any, path: str) -> Asset:
    d = _obj(v, path, ASSET_KEYS)
    tags = d.get("tags", {})
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(x, str) for k, x in tags.items()
    ):
        raise DecodeError(f"{path}.tags", "expected an object of string values")
    return Asset(
        provider=_str(d, "provider", path),
        account=_str(d, "account", path),
        region=_str(d, "region", path),
        resource_type=_str(d, "resource_type", path),
        resource_id=_str(d, "resource_id", path),
        name=_str(d, "name", path, ""),
        parent=_str(d, "parent", path, ""),
        tags=tuple(sorted(tags.items())),
    )


def source_from_dict(v: Any, path: str) -> SourceRef:
    d = _obj(v, path, frozenset({"kind", "location", "line", "record"}))
    line = d.get("line")
    if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
        raise DecodeError(f"{path}.line", "expected an integer")
    rec = d.get("record")
    if rec is not None and not isinstance(rec, str):
        raise DecodeError(f"{path}.record", "expected a string")
    return SourceRef(_str(d, "kind", path), _str(d, "location", path), line, rec)


def rule_from_dict(v: Any, path: str) -> Rule:
    fast = rule_fast(v)
    if fast is not None:
        return fast
    d = _obj(v, path, _RULE_KEYS)
    origin = d.get("origin")
    return Rule(
        key=_str(d, "key", path),
        direction=_enum(Direction, d, "direction", path),
        action=_enum(Action, d, "action", path),
        protocols=parse_intervals(
            _str(d, "protocol", path), f"{path}.protocol", ALL_PROTOCOLS, True
        ),
        ports=parse_intervals(_str(d, "ports", path, "all"), f"{path}.ports", ALL_PORTS, False),
        peers=_addresses(_strs(d, "peers", path), f"{path}.peers"),
        local=_addresses(_strs(d, "local", path), f"{path}.local") if "local" in d else ANY,
        order=_int(d, "order", path),
        layer=_int(d, "layer", path),
        enabled=_bool(d, "enabled", path, True),
        logging=_enum(Logging, d, "logging", path, "unknown"),
        targets=frozenset(_strs(d, "targets", path)),
        quick=_bool(d, "quick", path, False),
        description=_str(d, "description", path, ""),
        origin=None if origin is None else source_from_dict(origin, f"{path}.origin"),
        unresolved=_str(d, "unresolved", path, ""),
        builtin=_bool(d, "builtin", path, False),
        in_iface=_iface_match(d.get("in_iface"), f"{path}.in_iface"),
        out_iface=_iface_match(d.get("out_iface"), f"{path}.out_iface"),
    )


def _iface_match(v: Any, path: str) -> IfaceMatch | None:
    if v is None:
        return None
    if not isinstance(v, list) or not v:
        raise DecodeError(path, "expected a non-empty list of clauses")
    clauses = []
    for i, c in enumerate(v):
        if not isinstance(c, dict) or len(c) != 1 or next(iter(c)) not in ("any", "none"):
            raise DecodeError(f"{path}[{i}]", 'expected {"any": [names]} or {"none": [names]}')
        kind, names = next(iter(c.items()))
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise DecodeError(f"{path}[{i}].{kind}", "expected a list of interface names")
        clauses.append(IfaceClause(tuple(names), kind == "none"))
    return IfaceMatch(tuple(clauses))


def interface_from_dict(v: Any, path: str) -> Interface:
    d = _obj(v, path, frozenset({"name", "addresses", "groups", "default_route"}))
    return Interface(
        name=_str(d, "name", path),
        addresses=tuple(_strs(d, "addresses", path)),
        groups=tuple(_strs(d, "groups", path)),
        default_route=None
        if d.get("default_route") is None
        else _bool(d, "default_route", path, False),
    )


def attachment_from_dict(v: Any, path: str) -> Attachment:
    keys = frozenset({"resource_type", "resource_id", "instance_id", "subnet", "private_ips",
                      "public_ips", "extra"})  # fmt: skip
    d = _obj(v, path, keys)
    extra = d.get("extra", {})
    if not isinstance(extra, dict):
        raise DecodeError(f"{path}.extra", "expected an object")
    return Attachment(
        resource_type=_str(d, "resource_type", path),
        resource_id=_str(d, "resource_id", path),
        instance_id=_str(d, "instance_id", path, ""),
        subnet=_str(d, "subnet", path, ""),
        private_ips=tuple(_strs(d, "private_ips", path)),
        public_ips=tuple(_strs(d, "public_ips", path)),
        extra=tuple(sorted((str(k), str(x)) for k, x in extra.items())),
    )


def ruleset_from_dict(v: Any, path: str) -> RuleSet:
    fast = ruleset_fast(v)
    if fast is not None:
        return fast
    d = _obj(v, path, RULESET_KEYS)
    rules = d.get("rules", [])
    if not isinstance(rules, list):
        raise DecodeError(f"{path}.rules", "expected a list")
    atts = d.get("attachments", [])
    if not isinstance(atts, list):
        raise DecodeError(f"{path}.attachments", "expected a list")
    ifaces = d.get("interfaces", [])
    if not isinstance(ifaces, list):
        raise DecodeError(f"{path}.interfaces", "expected a list")
    scope = d.get("log_scope")
    return RuleSet(
        asset=asset_fast(d.get("asset")) or asset_from_dict(d.get("asset"), f"{path}.asset"),
        semantics=_enum(EvalSemantics, d, "semantics", path),
        rules=tuple(rule_from_dict(r, f"{path}.rules[{i}]") for i, r in enumerate(rules)),
        default_ingress=_enum(Action, d, "default_ingress", path, "deny"),
        default_egress=_enum(Action, d, "default_egress", path, "deny"),
        logging=_enum(Logging, d, "logging", path, "unknown"),
        log_scope=None
        if scope is None
        else (asset_fast(scope) or asset_from_dict(scope, f"{path}.log_scope")),
        attachments=tuple(
            attachment_fast(a) or attachment_from_dict(a, f"{path}.attachments[{i}]")
            for i, a in enumerate(atts)
        ),
        is_default=_bool(d, "is_default", path, False),
        enabled=_bool(d, "enabled", path, True),
        layer_names=tuple(_strs(d, "layer_names", path)),
        interfaces=tuple(
            interface_from_dict(x, f"{path}.interfaces[{i}]") for i, x in enumerate(ifaces)
        ),
    )


def coverage_from_dict(v: Any, path: str) -> Coverage:
    d = _obj(v, path, frozenset({"provider", "scope", "status", "reason", "resources"}))
    return Coverage(
        provider=_str(d, "provider", path),
        scope=_str(d, "scope", path),
        status=_enum(CoverageStatus, d, "status", path),
        reason=_str(d, "reason", path, ""),
        resources=_int(d, "resources", path),
    )


def snapshot_from_dict(v: Any) -> Snapshot:
    d = _obj(v, "$", _SNAP_KEYS)
    schema = d.get("schema")
    if schema != SNAPSHOT_SCHEMA:
        raise DecodeError("$.schema", f"expected {SNAPSHOT_SCHEMA!r}, got {schema!r}")
    raw_time = _str(d, "collected_at", "$")
    try:
        when = datetime.fromisoformat(raw_time)
    except ValueError:
        raise DecodeError("$.collected_at", f"not an ISO 8601 time: {raw_time!r}") from None
    if when.tzinfo is None:  # a time without an offset is UTC, as everywhere in cloudfw
        when = when.replace(tzinfo=UTC)
    for key in ("rulesets", "coverage"):
        if not isinstance(d.get(key, []), list):
            raise DecodeError(f"$.{key}", "expected a list")
    return Snapshot(
        rulesets=tuple(
            ruleset_from_dict(r, f"$.rulesets[{i}]") for i, r in enumerate(d.get("rulesets", []))
        ),
        coverage=tuple(
            coverage_from_dict(c, f"$.coverage[{i}]") for i, c in enumerate(d.get("coverage", []))
        ),
        collected_at=when,
        tool_version=_str(d, "tool_version", "$", ""),
        warnings=tuple(_strs(d, "warnings", "$")),
    )

"""Encoding the model to its canonical dict form, and snapshot digests. Pure: no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cloudfw.model.addr import ANY, AddressSet
from cloudfw.model.asset import Asset, Attachment, SourceRef
from cloudfw.model.iface import IfaceMatch, Interface
from cloudfw.model.intervals import Intervals
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS
from cloudfw.model.rule import Logging, Rule
from cloudfw.model.ruleset import RuleSet
from cloudfw.model.snapshot import Coverage, Snapshot

SNAPSHOT_SCHEMA = "cloudfw.snapshot/1"


def encode_intervals(iv: Intervals, full: Intervals) -> str:
    if iv == full:
        return "all"
    return str(iv) if iv else "none"


def asset_to_dict(a: Asset) -> dict[str, Any]:
    d: dict[str, Any] = {
        "provider": a.provider,
        "account": a.account,
        "region": a.region,
        "resource_type": a.resource_type,
        "resource_id": a.resource_id,
    }
    if a.name:
        d["name"] = a.name
    if a.parent:
        d["parent"] = a.parent
    if a.tags:
        d["tags"] = dict(a.tags)
    return d


@lru_cache(maxsize=8192)
def _tokens(a: AddressSet) -> tuple[str, ...]:
    """`AddressSet.to_tokens`, once per distinct set: an estate repeats a few thousand address
    lists over millions of rules, and each encoding summarizes CIDR blocks."""
    return a.to_tokens()


def rule_to_dict(r: Rule) -> dict[str, Any]:
    d: dict[str, Any] = {
        "key": r.key,
        "direction": r.direction.value,
        "action": r.action.value,
        "protocol": encode_intervals(r.protocols, ALL_PROTOCOLS),
        "ports": encode_intervals(r.ports, ALL_PORTS),
        "peers": list(_tokens(r.peers)),
    }
    if r.local != ANY:
        d["local"] = list(_tokens(r.local))
    if r.order:
        d["order"] = r.order
    if r.layer:
        d["layer"] = r.layer
    if not r.enabled:
        d["enabled"] = False
    if r.logging is not Logging.UNKNOWN:
        d["logging"] = r.logging.value
    if r.targets:
        d["targets"] = sorted(r.targets)
    if r.quick:
        d["quick"] = True
    if r.description:
        d["description"] = r.description
    if r.origin is not None:
        d["origin"] = source_to_dict(r.origin)
    if r.unresolved:
        d["unresolved"] = r.unresolved
    if r.builtin:
        d["builtin"] = True
    if r.in_iface is not None:
        d["in_iface"] = iface_match_to_list(r.in_iface)
    if r.out_iface is not None:
        d["out_iface"] = iface_match_to_list(r.out_iface)
    return d


def iface_match_to_list(m: IfaceMatch) -> list[dict[str, list[str]]]:
    """``[{"any": ["eth0", "eth1"]}, {"none": ["lo"]}]``: every clause holds."""
    return [{"none" if c.negated else "any": list(c.names)} for c in m.clauses]


def interface_to_dict(i: Interface) -> dict[str, Any]:
    d: dict[str, Any] = {"name": i.name}
    if i.addresses:
        d["addresses"] = list(i.addresses)
    if i.groups:
        d["groups"] = list(i.groups)
    if i.default_route is not None:
        d["default_route"] = i.default_route
    return d


def source_to_dict(s: SourceRef) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": s.kind, "location": s.location}
    if s.line is not None:
        d["line"] = s.line
    if s.record is not None:
        d["record"] = s.record
    return d


def attachment_to_dict(a: Attachment) -> dict[str, Any]:
    d: dict[str, Any] = {"resource_type": a.resource_type, "resource_id": a.resource_id}
    for name in ("instance_id", "subnet"):
        if getattr(a, name):
            d[name] = getattr(a, name)
    if a.private_ips:
        d["private_ips"] = list(a.private_ips)
    if a.public_ips:
        d["public_ips"] = list(a.public_ips)
    if a.extra:
        d["extra"] = dict(a.extra)
    return d


def ruleset_to_dict(rs: RuleSet) -> dict[str, Any]:
    d: dict[str, Any] = {
        "asset": asset_to_dict(rs.asset),
        "semantics": rs.semantics.value,
        "default_ingress": rs.default_ingress.value,
        "default_egress": rs.default_egress.value,
        "logging": rs.logging.value,
        "rules": [rule_to_dict(r) for r in rs.rules],
    }
    if rs.log_scope is not None:
        d["log_scope"] = asset_to_dict(rs.log_scope)
    if rs.attachments:
        d["attachments"] = [attachment_to_dict(a) for a in rs.attachments]
    if rs.is_default:
        d["is_default"] = True
    if not rs.enabled:
        d["enabled"] = False
    if rs.layer_names:
        d["layer_names"] = list(rs.layer_names)
    if rs.interfaces:
        d["interfaces"] = [interface_to_dict(i) for i in rs.interfaces]
    return d


def coverage_to_dict(c: Coverage) -> dict[str, Any]:
    d: dict[str, Any] = {"provider": c.provider, "scope": c.scope, "status": c.status.value}
    if c.reason:
        d["reason"] = c.reason
    d["resources"] = c.resources
    return d


def snapshot_to_dict(s: Snapshot) -> dict[str, Any]:
    return {
        "schema": SNAPSHOT_SCHEMA,
        "tool_version": s.tool_version,
        "collected_at": s.collected_at.isoformat(),
        "coverage": [coverage_to_dict(c) for c in s.coverage],
        "warnings": list(s.warnings),
        "rulesets": [ruleset_to_dict(rs) for rs in s.rulesets],
    }


def canonical_json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def snapshot_digest(s: Snapshot, dumps: Callable[[Any], bytes] = canonical_json) -> str:
    """SHA-256 of the canonical JSON of the rules and coverage (not the collection time).

    ``dumps`` must produce canonical JSON (sorted keys, no whitespace, UTF-8); callers outside
    the model may inject a faster encoder that produces the same bytes.
    """
    if s.digest_hint:
        return s.digest_hint
    return document_digest(snapshot_to_dict(s), dumps)


ASSET_ORDER = ("provider", "account", "region", "resource_type", "resource_id")


def asset_order(a: Asset) -> tuple[str, str, str, str, str]:
    """The order of rule sets in the digest and in snapshot files: by asset identity, so it
    does not depend on the order they were collected in (and one account's are adjacent)."""
    return (a.provider, a.account, a.region, a.resource_type, a.resource_id)


def document_digest(doc: dict[str, Any], dumps: Callable[[Any], bytes] = canonical_json) -> str:
    """Digest of a snapshot *document* (as `snapshot_to_dict` makes it or a file holds it)."""
    body = {k: v for k, v in doc.items() if k != "collected_at"}
    rulesets = body.get("rulesets")
    if isinstance(rulesets, list):
        body["rulesets"] = sorted(
            rulesets, key=lambda r: tuple(str(r["asset"].get(k, "")) for k in ASSET_ORDER)
        )
    return hashlib.sha256(dumps(body)).hexdigest()

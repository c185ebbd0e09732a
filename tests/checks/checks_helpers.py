"""Builders for check tests: rule sets straight from the model, no provider code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cloudfw.checks import run_checks
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Finding,
    Logging,
    Rule,
    RuleSet,
    Snapshot,
    parse_ports,
    parse_protocol,
)
from cloudfw.policy.catalog import ServiceCatalog, load_catalog
from cloudfw.policy.config import PolicyConfig

CATALOG: ServiceCatalog = load_catalog()
IN, OUT = Direction.INGRESS, Direction.EGRESS
ALLOW, DENY = Action.ALLOW, Action.DENY


def asset(provider: str = "aws", rid: str = "sg-1", rtype: str = "security-group") -> Asset:
    return Asset(provider, "123456789012", "us-east-1", rtype, rid, name="web")


def rule(
    key: str,
    proto: str = "tcp",
    ports: str = "22",
    peers: Iterable[str] = ("0.0.0.0/0",),
    action: Action = ALLOW,
    order: int = 0,
    direction: Direction = IN,
    **kw: Any,
) -> Rule:
    return Rule(
        key,
        direction,
        action,
        parse_protocol(proto),
        parse_ports(ports),
        AddressSet.parse_many(tuple(peers)),
        order=order,
        **kw,
    )


def ruleset(
    *rules: Rule,
    semantics: EvalSemantics = EvalSemantics.ALLOW_UNION,
    provider: str = "aws",
    rid: str = "sg-1",
    rtype: str = "security-group",
    **kw: Any,
) -> RuleSet:
    kw.setdefault(
        "attachments", (Attachment("network-interface", "eni-1", public_ips=("54.1.2.3",)),)
    )
    return RuleSet(asset(provider, rid, rtype), semantics, tuple(rules), **kw)


def snapshot(*rulesets: RuleSet) -> Snapshot:
    return Snapshot(tuple(rulesets), (), datetime(2026, 1, 1, tzinfo=UTC), "test")


def findings(
    *rulesets: RuleSet, checks: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Finding]:
    return run_checks(snapshot(*rulesets), PolicyConfig(checks=checks or {}), CATALOG)


def by_check(fs: Iterable[Finding]) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    for f in fs:
        assert f.check not in out, f"duplicate {f.check}"
        out[f.check] = f
    return out


__all__ = ["ALLOW", "CATALOG", "DENY", "IN", "OUT", "Logging"]

"""Helpers for the baseline tests: build rule sets and snapshots, load baseline text."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from cloudfw.baseline import DRIFT_CHECKS
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Rule,
    RuleSet,
    Snapshot,
    parse_ports,
    parse_protocol,
)
from cloudfw.policy.baseline import Baseline, parse_baseline

KNOWN = frozenset({"internet-ingress", "allow-all", "unlogged", *DRIFT_CHECKS})
WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def rule(
    key: str,
    ports: str = "443",
    peers: tuple[str, ...] = ("0.0.0.0/0",),
    *,
    proto: str = "tcp",
    direction: Direction = Direction.INGRESS,
    action: Action = Action.ALLOW,
    enabled: bool = True,
    order: int = 0,
) -> Rule:
    return Rule(
        key=key,
        direction=direction,
        action=action,
        protocols=parse_protocol(proto),
        ports=parse_ports(ports),
        peers=AddressSet.parse_many(peers),
        enabled=enabled,
        order=order,
    )


def asset(
    rid: str,
    *,
    provider: str = "aws",
    account: str = "123456789012",
    region: str = "us-east-1",
    rtype: str = "security-group",
    name: str = "",
    tags: dict[str, str] | None = None,
) -> Asset:
    return Asset(
        provider, account, region, rtype, rid, name=name, tags=tuple(sorted((tags or {}).items()))
    )


def ruleset(
    a: Asset, *rules: Rule, semantics: EvalSemantics = EvalSemantics.ALLOW_UNION
) -> RuleSet:
    return RuleSet(asset=a, semantics=semantics, rules=rules)


def snapshot(*rulesets: RuleSet, coverage: tuple[Coverage, ...] | None = None) -> Snapshot:
    if coverage is None:
        provs = sorted({rs.asset.provider for rs in rulesets}) or ["aws"]
        coverage = tuple(Coverage(p, "all", CoverageStatus.OK) for p in provs)
    return Snapshot(rulesets=rulesets, coverage=coverage, collected_at=WHEN, tool_version="t")


def load(
    text: str, source: str = "prod.yaml", known: Collection[str] = KNOWN, **kw: Any
) -> Baseline:
    return parse_baseline(text, source, known, **kw)

"""Helpers shared by the Azure tests: fixture paths, fixture loading and a collect shortcut."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloudfw.model import Snapshot
from cloudfw.normalize.azure import SubscriptionData
from cloudfw.providers.azure import collect
from cloudfw.providers.base import CollectOptions, NullProgress
from cloudfw.standins import arm

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "azure"
ARM = FIXTURES / "arm"
PROD = "11111111-1111-4111-8111-111111111111"
DENIED = "22222222-2222-4222-8222-222222222222"
BROKEN = "33333333-3333-4333-8333-333333333333"
NET = "providers/Microsoft.Network"

StartFn = Callable[..., tuple[arm.ArmServer, str]]


def load(rel: str) -> list[Any]:
    """The ``value`` list of one fixture file (path relative to fixtures/azure/arm, no .json)."""
    doc = json.loads((ARM / f"{rel}.json").read_text(encoding="utf-8"))
    value = doc["value"]
    assert isinstance(value, list)
    return value


def sub_list(sub: str, kind: str) -> list[Any]:
    return load(f"subscriptions/{sub}/{NET}/{kind}")


def run_collect(url: str, *subs: str, policy: object | None = None, **kw: Any) -> Snapshot:
    """Collect from the stand-in at ``url`` with the loopback bearer policy (or ``policy``)."""
    opts = CollectOptions(azure_endpoint=url, subscriptions=tuple(subs), **kw)
    auth = arm.StaticBearerPolicy() if policy is None else policy
    return collect(opts, NullProgress(), authentication_policy=auth)


def _by_id(rel_ids: list[str], suffix: str) -> dict[str, list[Any]]:
    return {i.lower(): load(f"{i.lstrip('/')}/{suffix}") for i in rel_ids}


def subscription_data(sub: str) -> SubscriptionData:
    """Everything the collector would read for ``sub``, straight from the fixture files."""
    root = ARM / "subscriptions" / sub / NET

    def lst(kind: str) -> list[Any]:
        return sub_list(sub, kind) if (root / f"{kind}.json").exists() else []

    policies = [p["id"] for p in lst("firewallPolicies")]
    firewalls = [f["id"] for f in lst("azureFirewalls")]
    flow_logs = [
        fl for w in lst("networkWatchers") for fl in load(f"{w['id'].lstrip('/')}/flowLogs")
    ]
    return SubscriptionData(
        subscription=sub,
        nsgs=lst("networkSecurityGroups"),
        network_interfaces=lst("networkInterfaces"),
        public_ips=lst("publicIPAddresses"),
        virtual_networks=lst("virtualNetworks"),
        firewalls=lst("azureFirewalls"),
        firewall_policies=lst("firewallPolicies"),
        rule_collection_groups=_by_id(policies, "ruleCollectionGroups"),
        flow_logs=flow_logs,
        diagnostics=_by_id(firewalls, "providers/Microsoft.Insights/diagnosticSettings"),
    )

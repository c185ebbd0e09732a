"""Azure Firewall / Firewall Policy normalization on the recorded fixture JSON."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from azure_support import PROD, load, sub_list

from cloudfw.model import (
    ANY,
    Action,
    AddressSet,
    Direction,
    EvalSemantics,
    Logging,
    RuleSet,
    parse_ports,
    parse_protocol,
)
from cloudfw.normalize.azure import SubscriptionData, normalize_subscription

TCP = parse_protocol("tcp")
HUB = f"subscriptions/{PROD}/resourceGroups/rg-hub/providers/Microsoft.Network"
FP_BASE, FP_PROD = f"/{HUB}/firewallPolicies/fp-base", f"/{HUB}/firewallPolicies/fp-prod"
FW_HUB, FW_LEG = f"/{HUB}/azureFirewalls/fw-hub", f"/{HUB}/azureFirewalls/fw-legacy"


def diag(fw: str) -> list[Any]:
    return load(f"{fw.lstrip('/')}/providers/Microsoft.Insights/diagnosticSettings")


def with_groups(prod_groups: list[Any]) -> SubscriptionData:
    base_groups = load(f"{FP_BASE.lstrip('/')}/ruleCollectionGroups")
    return fw_data(
        rule_collection_groups={FP_BASE.lower(): base_groups, FP_PROD.lower(): prod_groups}
    )


def fw_data(**over: Any) -> SubscriptionData:
    base: dict[str, Any] = {
        "subscription": PROD,
        "public_ips": sub_list(PROD, "publicIPAddresses"),
        "firewalls": sub_list(PROD, "azureFirewalls"),
        "firewall_policies": sub_list(PROD, "firewallPolicies"),
        "rule_collection_groups": {
            FP_BASE.lower(): load(f"{FP_BASE.lstrip('/')}/ruleCollectionGroups"),
            FP_PROD.lower(): load(f"{FP_PROD.lstrip('/')}/ruleCollectionGroups"),
        },
        "diagnostics": {FW_HUB.lower(): diag(FW_HUB), FW_LEG.lower(): diag(FW_LEG)},
    }
    base.update(over)
    return SubscriptionData(**base)


def sets(data: SubscriptionData) -> dict[str, RuleSet]:
    res = normalize_subscription(data)
    assert res.errors == ()
    return {rs.asset.name: rs for rs in res.rulesets}


@pytest.fixture(scope="module")
def fws() -> dict[str, RuleSet]:
    return sets(fw_data())


def test_rulesets_emitted(fws: dict[str, RuleSet]) -> None:
    # fp-base is only a base policy: its rules are evaluated inside fp-prod, not on their own
    assert set(fws) == {"fp-prod", "fw-legacy"}
    prod = fws["fp-prod"]
    assert prod.asset.resource_type == "azure-firewall-policy"
    assert fws["fw-legacy"].asset.resource_type == "azure-firewall"
    assert prod.semantics is EvalSemantics.PRIORITY_FIRST_MATCH
    assert (prod.default_ingress, prod.default_egress) == (Action.DENY, Action.DENY)
    assert prod.layer_names == ("fp-base", "fp-prod")


def test_base_policy_rules_come_first(fws: dict[str, RuleSet]) -> None:
    rules = fws["fp-prod"].rules_for(Direction.INGRESS)
    assert [r.key for r in rules[:2]] == [
        "base:fp-base/base-deny/deny-legacy-protocols/no-telnet",
        "base:fp-base/base-deny/deny-legacy-protocols/no-smb",
    ]
    assert {r.layer for r in rules[:2]} == {0}
    assert {r.layer for r in rules[2:]} == {1}


def test_dnat_publishes_translated_address(fws: dict[str, RuleSet]) -> None:
    prod = fws["fp-prod"]
    (dnat,) = [r for r in prod.rules if r.key == "dnat-rcg/inbound-dnat/rdp-to-jump"]
    assert (dnat.direction, dnat.action) == (Direction.INGRESS, Action.ALLOW)
    assert dnat.peers == ANY
    assert dnat.local == AddressSet.parse("10.0.3.10/32")
    assert dnat.ports == parse_ports("3389") and dnat.protocols == TCP
    assert dnat.description == "DNAT 20.60.0.4:33890 -> 10.0.3.10:3389"
    space = prod.allowed(Direction.INGRESS)
    assert space.peers_for(TCP, parse_ports("3389")) == ANY
    assert space.peers_for(TCP, parse_ports("22")).is_empty()


def test_order_folds_group_kind_collection_index(fws: dict[str, RuleSet]) -> None:
    rules = [r for r in fws["fp-prod"].rules if r.layer == 1 and r.direction is Direction.EGRESS]
    keys = [r.key for r in sorted(rules, key=lambda r: r.order)]
    assert keys == [
        "net-rcg/allow-out/azure-out", "net-rcg/allow-out/dns-out", "net-rcg/allow-out/ops-range",
        "net-rcg/app-out/os-updates", "net-rcg/app-out/windows-update",
    ]  # fmt: skip
    dnat = [r for r in fws["fp-prod"].rules if r.key.startswith("dnat-rcg/")]
    assert max(r.order for r in dnat) < min(r.order for r in rules)  # group 200 before group 300


def test_network_rules_seen_from_both_sides(fws: dict[str, RuleSet]) -> None:
    rules = [r for r in fws["fp-prod"].rules if r.key == "net-rcg/allow-out/azure-out"]
    by_dir = {r.direction: r for r in rules}
    tag = AddressSet.symbol("service-tag", "AzureCloud.WestEurope")
    assert by_dir[Direction.EGRESS].peers == tag
    assert by_dir[Direction.EGRESS].local == AddressSet.parse("10.0.0.0/16")
    assert by_dir[Direction.INGRESS].peers == AddressSet.parse("10.0.0.0/16")
    (ops,) = [r for r in fws["fp-prod"].rules_for(Direction.EGRESS) if r.key.endswith("ops-range")]
    assert ops.peers == AddressSet.parse("10.2.0.1-10.2.0.20")
    assert {p.kind for p in ops.local.symbols} == {"prefix-list"}  # IP group


def test_application_rules_are_egress_to_fqdns(fws: dict[str, RuleSet]) -> None:
    (upd,) = [r for r in fws["fp-prod"].rules if r.key == "net-rcg/app-out/os-updates"]
    assert upd.direction is Direction.EGRESS and upd.protocols == TCP
    assert upd.ports == parse_ports("80,443")
    assert upd.peers == AddressSet.parse_many(
        ["unresolved:*.ubuntu.com", "unresolved:packages.microsoft.com"]
    )
    (wu,) = [r for r in fws["fp-prod"].rules if r.key == "net-rcg/app-out/windows-update"]
    assert wu.peers == AddressSet.symbol("service-tag", "WindowsUpdate")


def test_attachments_and_logging(fws: dict[str, RuleSet]) -> None:
    prod = fws["fp-prod"]
    (att,) = prod.attachments
    assert att.resource_id == FW_HUB and att.public_ips == ("20.60.0.4",)
    assert att.private_ips == ("10.0.100.4",)
    # fw-hub only has a metrics diagnostic setting: its decisions are not logged
    assert prod.logging is Logging.OFF
    assert prod.log_scope is not None and prod.log_scope.resource_id == FW_HUB
    assert prod.log_scope.resource_type == "azure-firewall"
    assert fws["fw-legacy"].logging is Logging.ON
    unknown = sets(fw_data(diagnostics={}))
    assert {rs.logging for rs in unknown.values()} == {Logging.UNKNOWN}


def test_classic_rule_collections(fws: dict[str, RuleSet]) -> None:
    leg = fws["fw-legacy"]
    keys = [r.key for r in sorted(leg.rules, key=lambda r: r.order)]
    assert keys[0] == "nat/dnat-sftp/sftp-partner"
    assert keys[-1] == "application/allow-web/github"
    (sftp,) = [r for r in leg.rules if r.key == "nat/dnat-sftp/sftp-partner"]
    assert sftp.peers == AddressSet.parse("52.100.10.0/24") and sftp.ports == parse_ports("22")
    assert not leg.allowed(Direction.INGRESS).peers_for(TCP, parse_ports("22")).is_internet()


def test_base_deny_wins_over_child_allow() -> None:
    groups = copy.deepcopy(load(f"{FP_PROD.lstrip('/')}/ruleCollectionGroups"))
    nat = groups[0]["properties"]["ruleCollections"][0]["rules"]
    nat.append({"ruleType": "NatRule", "name": "smb-in", "ipProtocols": ["TCP"],
                "sourceAddresses": ["*"], "destinationAddresses": ["20.60.0.4"],
                "destinationPorts": ["445"], "translatedAddress": "10.0.3.30",
                "translatedPort": "445"})  # fmt: skip
    data = with_groups(groups)  # fmt: skip
    prod = sets(data)["fp-prod"]
    assert any(r.key.endswith("smb-in") for r in prod.rules)
    assert prod.allowed(Direction.INGRESS).peers_for(TCP, parse_ports("445")).is_empty()


def test_bad_firewall_documents_are_located_errors() -> None:
    groups = copy.deepcopy(load(f"{FP_PROD.lstrip('/')}/ruleCollectionGroups"))
    del groups[0]["properties"]["ruleCollections"][0]["rules"][0]["translatedAddress"]
    data = fw_data(rule_collection_groups={FP_PROD.lower(): groups})
    res = normalize_subscription(data)
    assert [rs.asset.name for rs in res.rulesets] == ["fw-legacy"]
    (err,) = res.errors
    assert str(err) == f"{FP_BASE}: ruleCollectionGroups: were not collected"
    res2 = normalize_subscription(with_groups(groups))  # fmt: skip
    (err2,) = res2.errors
    assert str(err2).endswith(
        "dnat-rcg: properties.ruleCollections[0].rules[0].translatedAddress: "
        "missing (no translated address or FQDN)"
    )


def test_unknown_rule_type_is_kept_unresolved() -> None:
    groups = copy.deepcopy(load(f"{FP_PROD.lstrip('/')}/ruleCollectionGroups"))
    groups[1]["properties"]["ruleCollections"][0]["rules"][0]["ruleType"] = "QuantumRule"
    data = with_groups(groups)  # fmt: skip
    (r,) = [r for r in sets(data)["fp-prod"].rules if r.key == "net-rcg/allow-out/azure-out"]
    assert r.action is Action.LOG and "QuantumRule" in r.unresolved

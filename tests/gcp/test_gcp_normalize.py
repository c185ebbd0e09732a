"""Normalizer details: field mapping, unresolved constructs and located errors."""

from __future__ import annotations

from typing import Any

import pytest

from cloudfw.model import ANY, ANY_V4, Action, AddressSet, Direction, Logging, Peer, parse_ports
from cloudfw.normalize.gcp import ProjectInput, normalize_project
from cloudfw.normalize.gcp_fields import GcpNormalizeError
from cloudfw.normalize.gcp_rules import firewall_rules, policy_rules

NET = "https://www.googleapis.com/compute/v1/projects/p/global/networks/n"


def _fw(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"name": "r", "network": NET, "allowed": [{"IPProtocol": "tcp"}]}
    d.update(kw)
    return d


def test_ingress_sources_tags_and_service_accounts_are_one_peer_set() -> None:
    (r,) = firewall_rules(_fw(sourceRanges=["203.0.113.0/24"], sourceTags=["jump"],
                              sourceServiceAccounts=["ci@p.iam.gserviceaccount.com"],
                              destinationRanges=["10.0.0.0/24"]))  # fmt: skip
    assert r.peers.symbols == {Peer("network-tag", "jump"),
                               Peer("service-account", "ci@p.iam.gserviceaccount.com")}  # fmt: skip
    assert r.peers.covers(AddressSet.parse("203.0.113.0/24"))
    assert r.local == AddressSet.parse("10.0.0.0/24")
    assert r.logging is Logging.OFF and r.order == 1000 and r.direction is Direction.INGRESS


def test_ingress_without_source_defaults_to_ipv4_world() -> None:
    (r,) = firewall_rules(_fw())
    assert r.peers == ANY_V4 and r.local == ANY


def test_egress_destination_is_the_peer() -> None:
    (r,) = firewall_rules(_fw(direction="EGRESS", destinationRanges=["::/0"],
                              sourceRanges=["10.0.0.0/8"], logConfig={"enable": True}))  # fmt: skip
    assert r.direction is Direction.EGRESS
    assert r.peers == AddressSet.parse("::/0")
    assert r.local == AddressSet.parse("10.0.0.0/8")
    assert r.logging is Logging.ON


def test_split_entries_get_indexed_keys() -> None:
    rules = firewall_rules(_fw(name="mix", denied=[{"IPProtocol": "tcp", "ports": ["22", "80-81"]},
                                                   {"IPProtocol": "47"}], allowed=[]))  # fmt: skip
    assert [(r.key, r.action) for r in rules] == [("mix#0", Action.DENY), ("mix#1", Action.DENY)]
    assert rules[0].ports == parse_ports("22,80-81")


@pytest.mark.parametrize(
    ("fw", "message"),
    [
        (_fw(denied=[{"IPProtocol": "udp"}]), "firewall 'r': has both 'allowed' and 'denied'"),
        (_fw(allowed=[]), "firewall 'r': has neither 'allowed' nor 'denied'"),
        (_fw(priority=70000), "firewall 'r': field 'priority' must be an integer in 0..65535"),
        (_fw(direction="SIDEWAYS"), "firewall 'r': field 'direction' must be INGRESS or EGRESS"),
        (_fw(allowed=[{"IPProtocol": "bogus"}]), "firewall 'r': allowed[0]: unknown protocol"),
        (_fw(sourceRanges="0.0.0.0/0"), "firewall 'r': field 'sourceRanges' is not a list"),
    ],
)
def test_malformed_firewall_is_a_located_error(fw: dict[str, Any], message: str) -> None:
    with pytest.raises(GcpNormalizeError) as err:
        firewall_rules(fw)
    assert str(err.value).startswith(message)


def _pol(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "pol", "shortName": "pol", "rules": rules}


def test_unresolvable_match_fields_are_kept_as_unresolved() -> None:
    errors: list[str] = []
    (pr,) = policy_rules(_pol([{"priority": 5, "action": "deny", "direction": "INGRESS",
                                "match": {"srcFqdns": ["evil.example"], "srcRegionCodes": ["XX"],
                                          "layer4Configs": [{"ipProtocol": "all"}]}}]),
                         errors)  # fmt: skip
    assert errors == []
    r = pr.rule
    assert r.key == "pol:5" and r.action is Action.DENY
    assert r.peers.symbols == {Peer("unresolved", "srcFqdns=evil.example"),
                               Peer("unresolved", "srcRegionCodes=XX")}  # fmt: skip
    assert "srcFqdns" in r.unresolved and "srcRegionCodes" in r.unresolved


def test_bad_policy_rule_is_reported_and_the_rest_kept() -> None:
    errors: list[str] = []
    good = {"priority": 1, "action": "allow", "match": {"srcIpRanges": ["10.0.0.0/8"]}}
    bad = {"priority": 2, "action": "teleport", "match": {}}
    out = policy_rules(_pol([good, bad]), errors)
    assert [p.rule.key for p in out] == ["pol:1"]
    assert errors == ["firewall policy 'pol' rule 2: unknown action 'teleport'"]
    assert out[0].rule.logging is Logging.OFF and out[0].rule.peers.covers(ANY) is False


def test_hierarchical_target_resources_limit_the_networks() -> None:
    pol = {"id": "1", "name": "1", "shortName": "h",
           "associations": [{"attachmentTarget": "organizations/9"}],
           "rules": [{"priority": 1, "action": "deny", "direction": "INGRESS",
                      "targetResources": [f"{NET}-other"],
                      "match": {"srcIpRanges": ["0.0.0.0/0"]}}]}  # fmt: skip
    data = ProjectInput("p", [{"name": "n", "selfLink": NET}], [],
                        ancestry=("organizations/9",), hierarchical_policies=[pol])  # fmt: skip
    (rs,) = normalize_project(data).rulesets
    assert not [r for r in rs.rules if r.key.startswith("h:")]
    assert rs.layer_names[0] == "hierarchical:organizations/9 (h)"


def test_unattached_network_policy_enforces_nothing_and_flow_logs_are_recorded() -> None:
    pol = {"name": "loose", "rules": [{"priority": 1, "action": "deny",
                                       "match": {"srcIpRanges": ["0.0.0.0/0"]}}]}  # fmt: skip
    sub = {"name": "s1", "network": NET, "region": "x/regions/r1", "ipCidrRange": "10.0.0.0/24",
           "enableFlowLogs": True}  # fmt: skip
    res = normalize_project(ProjectInput("p", [{"name": "n", "selfLink": NET}],
                                         network_policies=[pol], subnetworks=[sub]))  # fmt: skip
    (rs,) = res.rulesets
    assert {r.key for r in rs.rules} == {"implied-deny-ingress", "implied-allow-egress"}
    (att,) = rs.attachments
    assert att.resource_id == "r1/s1" and ("flow_logs", "on") in att.extra
    assert rs.logging is Logging.UNKNOWN


def test_firewall_without_network_is_an_error_not_a_crash() -> None:
    fw = {"name": "x", "allowed": [{"IPProtocol": "tcp"}]}
    res = normalize_project(ProjectInput("p", [], [fw]))
    assert res.rulesets == ()
    assert res.errors == ("firewall 'x': field 'network' is missing or not a string",)

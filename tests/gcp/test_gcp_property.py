"""Property: normalized GCP rule sets decide every packet as a naive GCP evaluator does.

Random hierarchical policies (allow / deny / goto_next) and VPC rules (priority ties, disabled
rules, target tags) are normalized, then ``RuleSet.allowed`` is compared point by point with a
direct reading of Cloud NGFW's documented order.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import AddressSet, Direction, RuleSet
from cloudfw.normalize.gcp import ProjectInput, normalize_project

CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "198.51.100.0/24"]
IPS = ["10.1.2.3", "10.2.0.1", "8.8.8.8", "198.51.100.7"]
PORTS = [21, 22, 23]
PROTOS = ["tcp", "udp"]
NET = "projects/p/global/networks/n"
PROFILES = [frozenset(), frozenset({"tag:web"})]

vpc_rule = st.fixed_dictionaries({
    "prio": st.sampled_from([100, 200, 300]),
    "allow": st.booleans(),
    "proto": st.sampled_from(PROTOS),
    "ports": st.lists(st.sampled_from(PORTS), min_size=0, max_size=2),
    "src": st.lists(st.sampled_from(CIDRS), min_size=1, max_size=2),
    "disabled": st.booleans(),
    "tag": st.sampled_from([None, "web"]),
})  # fmt: skip
policy_rule = st.fixed_dictionaries({
    "action": st.sampled_from(["allow", "deny", "goto_next"]),
    "proto": st.sampled_from(PROTOS),
    "ports": st.lists(st.sampled_from(PORTS), min_size=1, max_size=2),
    "src": st.lists(st.sampled_from(CIDRS), min_size=1, max_size=2),
})  # fmt: skip


def _fw(i: int, r: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"IPProtocol": r["proto"]}
    if r["ports"]:
        entry["ports"] = [str(p) for p in r["ports"]]
    d: dict[str, Any] = {
        "name": f"fw{i}", "network": NET, "priority": r["prio"], "direction": "INGRESS",
        "disabled": r["disabled"], "sourceRanges": r["src"],
        ("allowed" if r["allow"] else "denied"): [entry],
    }  # fmt: skip
    if r["tag"]:
        d["targetTags"] = [r["tag"]]
    return d


def _policy(name: str, node: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name, "shortName": name, "associations": [{"attachmentTarget": node}],
        "rules": [{"priority": 10 * (i + 1), "action": r["action"], "direction": "INGRESS",
                   "match": {"srcIpRanges": r["src"], "layer4Configs": [
                       {"ipProtocol": r["proto"], "ports": [str(p) for p in r["ports"]]}]}}
                  for i, r in enumerate(rules)],
    }  # fmt: skip


def _in(ip: str, cidrs: list[str]) -> bool:
    return any(ipaddress.ip_address(ip) in ipaddress.ip_network(c) for c in cidrs)


def _naive(layers: list[list[dict[str, Any]]], vpc: list[dict[str, Any]], proto: str, port: int,
           ip: str, profile: frozenset[str]) -> bool:  # fmt: skip
    for rules in layers:  # policy rules are listed in priority order
        for r in rules:
            if r["proto"] == proto and port in r["ports"] and _in(ip, r["src"]):
                if r["action"] == "goto_next":
                    break
                return bool(r["action"] == "allow")
    hits = [
        r for r in vpc
        if not r["disabled"] and r["proto"] == proto and (not r["ports"] or port in r["ports"])
        and _in(ip, r["src"]) and (r["tag"] is None or f"tag:{r['tag']}" in profile)
    ]  # fmt: skip
    if hits:
        best = min(r["prio"] for r in hits)
        return all(r["allow"] for r in hits if r["prio"] == best)
    return False  # implied deny ingress


def _allowed(rs: RuleSet, proto: str, port: int, ip: str, profile: frozenset[str]) -> bool:
    number = 6 if proto == "tcp" else 17
    point = AddressSet.parse(ip)
    return any(
        number in b.protocols and port in b.ports and b.peers.covers(point)
        for b in rs.allowed(Direction.INGRESS, profile).boxes
    )


@settings(max_examples=80, deadline=None)
@given(
    org=st.lists(policy_rule, max_size=3),
    folder=st.lists(policy_rule, max_size=3),
    vpc=st.lists(vpc_rule, max_size=5),
)
def test_normalized_rules_match_naive_gcp_evaluation(
    org: list[dict[str, Any]], folder: list[dict[str, Any]], vpc: list[dict[str, Any]]
) -> None:
    data = ProjectInput(
        project="p",
        networks=[{"name": "n", "selfLink": NET}],
        firewalls=[_fw(i, r) for i, r in enumerate(vpc)],
        ancestry=("organizations/1", "folders/2"),
        hierarchical_policies=[
            _policy("org", "organizations/1", org), _policy("fold", "folders/2", folder)
        ],
    )  # fmt: skip
    res = normalize_project(data)
    assert res.errors == ()
    (rs,) = res.rulesets
    for profile in PROFILES:
        for proto in PROTOS:
            for port in PORTS:
                for ip in IPS:
                    want = _naive([org, folder], vpc, proto, port, ip, profile)
                    assert _allowed(rs, proto, port, ip, profile) == want, (proto, port, ip)

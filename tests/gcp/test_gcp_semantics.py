"""GCP evaluation order on normalized rule sets: hierarchical -> network policy -> VPC rules."""

from __future__ import annotations

from typing import Any

from gcp_helpers import DEMO_ANCESTRY, project_input

from cloudfw.model import INTERNET, Action, AddressSet, Direction, Logging, RuleSet, parse_ports
from cloudfw.model.ports import TCP
from cloudfw.normalize.gcp import ProjectInput, normalize_project

V4_WORLD = AddressSet.parse("0.0.0.0/0")
V6_WORLD = AddressSet.parse("::/0")


def _ruleset(region: str, network: str) -> RuleSet:
    res = normalize_project(project_input("demo-proj", DEMO_ANCESTRY))
    assert res.errors == ()
    (rs,) = [r for r in res.rulesets if r.asset.resource_id == network and r.asset.region == region]
    return rs


def _open(rs: RuleSet, port: int, peers: AddressSet, targets: frozenset[str] = frozenset(),
          proto: int = TCP) -> set[str]:  # fmt: skip
    """Rule keys that let ``proto/port`` in from the public part of ``peers`` (empty: none)."""
    keys: set[str] = set()
    public = peers & INTERNET
    for b in rs.allowed(Direction.INGRESS, targets).boxes:
        if proto in b.protocols and port in b.ports and b.peers.intersects(public):
            keys.add(b.rule_key)
    return keys


def test_hierarchical_deny_suppresses_vpc_allow() -> None:
    rs = _ruleset("global", "default")
    # default-allow-ssh allows tcp:22 from 0.0.0.0/0; org-baseline denies it at priority 1000,
    # except the IAP range its priority-900 rule allows.
    keys = _open(rs, 22, V4_WORLD)
    assert keys == {"org-baseline:900"}
    iap = AddressSet.parse("35.235.240.0/20")
    assert _open(rs, 22, V4_WORLD - iap) == set()


def test_goto_next_passes_decision_down() -> None:
    rs = _ruleset("global", "default")
    # prod-folder: goto_next tcp:3389 (1000) before its deny tcp:3389,5985-5986 (1200)
    assert _open(rs, 3389, V4_WORLD) == {"default-allow-rdp"}
    # WinRM has no goto_next, so the folder deny decides: the VPC allow never sees it.
    assert _open(rs, 5985, V4_WORLD) == set()


def test_deny_wins_priority_tie_and_v4_policy_does_not_cover_v6() -> None:
    rs = _ruleset("global", "prod-vpc")
    # org-baseline denies 22 for 0.0.0.0/0 only; ::/0 reaches the VPC rules, where
    # allow-ssh-v6 and deny-ssh-v6 share priority 1000: deny wins.
    assert _open(rs, 22, V6_WORLD) == set()
    keys = {r.key for r in rs.rules}
    assert {"allow-ssh-v6", "deny-ssh-v6"} <= keys


def test_disabled_rule_does_not_count() -> None:
    rs = _ruleset("global", "prod-vpc")
    (temp,) = [r for r in rs.rules if r.key == "allow-all-temp"]
    assert not temp.enabled
    assert _open(rs, 3306, V4_WORLD) == set()


def test_target_tags_and_service_accounts_are_profiles() -> None:
    rs = _ruleset("global", "prod-vpc")
    profiles = set(rs.target_profiles())
    assert frozenset({"tag:web"}) in profiles
    assert frozenset({"sa:db@demo-proj.iam.gserviceaccount.com"}) in profiles
    assert frozenset({"securetag:tagValues/281484417309876"}) in profiles
    web = frozenset({"tag:web"})
    assert _open(rs, 443, V4_WORLD, web) == {"allow-web"}
    assert _open(rs, 443, V6_WORLD, web) == {"allow-web-v6"}
    assert _open(rs, 443, V4_WORLD) == set()  # untagged instances: implied deny
    db = frozenset({"sa:db@demo-proj.iam.gserviceaccount.com"})
    assert _open(rs, 5432, V4_WORLD, db) == {"allow-postgres-db"}


def test_before_classic_network_policy_precedes_vpc_rules() -> None:
    rs = _ruleset("global", "prod-vpc")
    assert rs.layer_names[2].startswith("network-policy:global")
    assert rs.layer_names[3] == "vpc-firewall-rules"
    # prod-policy denies 9200 before allow-elastic (VPC) is reached
    assert _open(rs, 9200, V4_WORLD) == set()


def test_after_classic_default_order_vpc_rules_first() -> None:
    def net(order: str | None) -> dict[str, Any]:
        n: dict[str, Any] = {"name": "n1", "selfLink": "projects/p/global/networks/n1"}
        if order:
            n["networkFirewallPolicyEnforcementOrder"] = order
        return n

    fw = {
        "name": "allow-es",
        "network": "projects/p/global/networks/n1",
        "priority": 1000,
        "allowed": [{"IPProtocol": "tcp", "ports": ["9200"]}],
        "sourceRanges": ["0.0.0.0/0"],
    }
    pol = {"name": "pol", "associations": [{"attachmentTarget": "projects/p/global/networks/n1"}],
           "rules": [{"priority": 1, "action": "deny", "direction": "INGRESS",
                      "match": {"srcIpRanges": ["0.0.0.0/0"],
                                "layer4Configs": [{"ipProtocol": "tcp"}]}}]}  # fmt: skip
    after = normalize_project(ProjectInput("p", [net(None)], [fw], network_policies=[pol]))
    before = normalize_project(
        ProjectInput("p", [net("BEFORE_CLASSIC_FIREWALL")], [fw], network_policies=[pol])
    )
    assert _open(after.rulesets[0], 9200, V4_WORLD) == {"allow-es"}
    assert _open(before.rulesets[0], 9200, V4_WORLD) == set()
    assert after.rulesets[0].layer_names == (
        "vpc-firewall-rules", "network-policy:global (pol)", "implied"
    )  # fmt: skip


def test_regional_policy_only_in_its_region() -> None:
    uc1 = _ruleset("us-central1", "prod-vpc")
    glob = _ruleset("global", "prod-vpc")
    assert _open(uc1, 6379, V4_WORLD) == {"prod-uc1-policy:1000"}
    assert _open(glob, 6379, V4_WORLD) == set()
    assert {a.extra for a in uc1.attachments} == {
        (("flow_logs", "on"), ("purpose", "PRIVATE"), ("region", "us-central1"))
    }


def test_implied_rules_are_explicit_and_last() -> None:
    rs = _ruleset("global", "default")
    last = len(rs.layer_names) - 1
    implied = {r.key: r for r in rs.rules if r.layer == last}
    assert set(implied) == {"implied-deny-ingress", "implied-allow-egress"}
    assert implied["implied-deny-ingress"].action is Action.DENY
    assert implied["implied-allow-egress"].action is Action.ALLOW
    assert all(r.order == 65535 and r.logging is Logging.UNKNOWN for r in implied.values())
    # egress: everything allowed by the implied rule
    egress = rs.allowed(Direction.EGRESS)
    assert {b.rule_key for b in egress.boxes} == {"implied-allow-egress"}
    assert rs.is_default and rs.asset.region == "global"


def test_ipv6_world_is_internet() -> None:
    rs = _ruleset("global", "prod-vpc")
    (v6,) = [r for r in rs.rules if r.key == "allow-web-v6"]
    assert v6.peers.is_internet()
    assert v6.peers.covers(INTERNET.public() & V6_WORLD)
    assert v6.ports == parse_ports("443")

"""AWS Network Firewall normalization: the engines' real order, defaults, variables, placement."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from nfw_support import (
    ARN,
    firewall,
    normalize,
    policy,
    reach,
    recorded,
    ref,
    stateful_group,
    stateless_group,
)

from cloudfw.model import Action, AddressSet, Direction, EvalSemantics, Logging, Snapshot
from cloudfw.snapshotio import read_snapshot, write_snapshot

SSH = 'pass tcp any any -> $HOME_NET 22 (msg:"ssh"; sid:1;)'
DROP_ALL = "drop tcp any any -> any any (sid:9;)"


def _stateless(prio: int, action: str, port: int, src: str = "0.0.0.0/0") -> dict[str, object]:
    return {
        "Priority": prio,
        "RuleDefinition": {
            "Actions": [action],
            "MatchAttributes": {
                "Sources": [{"AddressDefinition": src}],
                "DestinationPorts": [{"FromPort": port, "ToPort": port}],
                "Protocols": [6],
            },
        },
    }


def test_stateless_default_pass_skips_the_stateful_engine() -> None:
    pol = policy(
        StatelessDefaultActions=["aws:pass"],
        StatefulRuleGroupReferences=[ref("stateful", "g", 1)],
        StatefulDefaultActions=["aws:drop_strict"],
        StatefulEngineOptions={"RuleOrder": "STRICT_ORDER"},
    )
    (rs,), _, errors = normalize(pol, [stateful_group("g", DROP_ALL)])
    assert not errors and rs.semantics is EvalSemantics.STATELESS_THEN_STATEFUL
    assert rs.layer_names == ("stateless", "stateful")
    assert reach(rs, 3306) == {"stateless-default:ingress"}  # the stateful drop never sees it


def test_forward_then_strict_drop_default_blocks_what_no_rule_passes() -> None:
    pol = policy(
        StatefulRuleGroupReferences=[ref("stateful", "g", 1)],
        StatefulDefaultActions=["aws:drop_strict", "aws:alert_strict"],
        StatefulEngineOptions={"RuleOrder": "STRICT_ORDER"},
    )
    (rs,), _, _ = normalize(pol, [stateful_group("g", SSH)])
    assert reach(rs, 22) == {"g:sid:1:ingress"}
    assert reach(rs, 3306) == set()
    default = next(r for r in rs.rules if r.key == "stateful-default:ingress")
    assert default.action is Action.DENY and default.layer == 1


def test_stateless_rules_by_priority_with_drop_pass_and_forward() -> None:
    rules = [
        _stateless(20, "aws:pass", 22),
        _stateless(10, "aws:drop", 22),
        _stateless(30, "aws:forward_to_sfe", 443),
    ]
    pol = policy(
        StatelessDefaultActions=["aws:drop"],
        StatelessRuleGroupReferences=[ref("stateless", "sl", 5)],
        StatefulRuleGroupReferences=[ref("stateful", "g", 1)],
        StatefulEngineOptions={"RuleOrder": "STRICT_ORDER"},
    )
    g = stateful_group("g", "pass tcp any any -> any 443 (sid:4;)")
    (rs,), _, _ = normalize(pol, [stateless_group("sl", rules), g])
    assert reach(rs, 22) == set(), "priority 10 drops before priority 20 passes"
    assert reach(rs, 443) == {"g:sid:4:ingress"}, "forwarded, then passed by the stateful rule"
    assert reach(rs, 80) == set(), "the stateless default drops the rest"
    order = [r.key for r in rs.evaluation_order(Direction.INGRESS)][:3]
    assert order == ["sl:10:ingress", "sl:20:ingress", "sl:30:ingress"]


def test_default_action_order_passes_before_drops_whatever_the_order() -> None:
    pol = policy(StatefulRuleGroupReferences=[ref("stateful", "g")])
    (rs,), _, _ = normalize(pol, [stateful_group("g", f"{DROP_ALL}\n{SSH}")])
    assert reach(rs, 22) == {"g:sid:1:ingress"}
    assert reach(rs, 80) == set()
    strict = policy(
        StatefulRuleGroupReferences=[ref("stateful", "g", 1)],
        StatefulEngineOptions={"RuleOrder": "STRICT_ORDER"},
    )
    (rs2,), _, _ = normalize(strict, [stateful_group("g", f"{DROP_ALL}\n{SSH}")])
    assert reach(rs2, 22) == set(), "strict order: the drop comes first"


def test_drop_to_alert_override_and_alert_decides_nothing() -> None:
    r = ref("stateful", "g")
    r["Override"] = {"Action": "DROP_TO_ALERT"}
    pol = policy(StatefulRuleGroupReferences=[r])
    (rs,), _, _ = normalize(pol, [stateful_group("g", DROP_ALL)])
    assert reach(rs, 22) == {"stateful-default:ingress"}
    assert {x.action for x in rs.rules if x.key.startswith("g:")} == {Action.LOG}


def test_home_net_precedence_and_external_net() -> None:
    text = "pass tcp $EXTERNAL_NET any -> $HOME_NET 22 (sid:1;)"
    pol = policy(StatefulRuleGroupReferences=[ref("stateful", "g")])
    (rs,), _, _ = normalize(pol, [stateful_group("g", text)])
    r = next(x for x in rs.rules if x.key == "g:sid:1:ingress")
    assert r.local == AddressSet.parse("10.40.0.0/16"), "default HOME_NET: the VPC's CIDR"
    assert not r.peers.intersects(AddressSet.parse("10.40.0.0/16")) and r.peers.intersects(
        AddressSet.parse("8.8.8.8")
    )
    assert not any(x.key == "g:sid:1:egress" for x in rs.rules), "to HOME_NET: ingress only"
    pv = {"RuleVariables": {"HOME_NET": {"Definition": ["10.0.0.0/8"]}}}
    pol2 = policy(StatefulRuleGroupReferences=[ref("stateful", "g")], PolicyVariables=pv)
    (rs2,), _, _ = normalize(pol2, [stateful_group("g", text)])
    assert next(x for x in rs2.rules if x.key == "g:sid:1:ingress").local == AddressSet.parse(
        "10.0.0.0/8"
    )
    own = {"IPSets": {"HOME_NET": {"Definition": ["10.40.1.0/24"]}}}
    (rs3,), _, _ = normalize(pol2, [stateful_group("g", text, RuleVariables=own)])
    assert next(x for x in rs3.rules if x.key == "g:sid:1:ingress").local == AddressSet.parse(
        "10.40.1.0/24"
    ), "a group's own HOME_NET wins over the policy's"


def test_options_that_narrow_a_rule_are_kept_never_guessed() -> None:
    text = "\n".join(
        [
            'pass tls any any -> $HOME_NET 443 (tls.sni; content:"a.example"; sid:1;)',
            "drop tcp any any -> $HOME_NET 22 (geoip:src,RU; sid:2;)",
            "pass tcp any 1024: -> $HOME_NET 8080 (sid:3;)",
        ]
    )
    pol = policy(StatefulRuleGroupReferences=[ref("stateful", "g")])
    (rs,), _, errors = normalize(pol, [stateful_group("g", text)])
    assert not errors
    by = {r.key: r for r in rs.rules}
    tls, geo, sport = by["g:sid:1:ingress"], by["g:sid:2:ingress"], by["g:sid:3:ingress"]
    assert (
        tls.enabled
        and "assumed to match" in tls.unresolved
        and "tls.sni, content" in (tls.unresolved)
    )
    assert not geo.enabled and "drop not applied" in geo.unresolved and "geoip" in geo.unresolved
    assert "source ports 1024:" in sport.unresolved
    assert reach(rs, 22) == {"stateful-default:ingress"}, "the geoip drop is not applied"


def test_structured_rules_domain_lists_and_ip_set_references() -> None:
    five = {
        "StatefulRules": [
            {
                "Action": "PASS",
                "Header": {
                    "Protocol": "TCP",
                    "Source": "ANY",
                    "SourcePort": "ANY",
                    "Direction": "ANY",
                    "Destination": "10.40.1.0/24",
                    "DestinationPort": "22",
                },
                "RuleOptions": [{"Keyword": "sid", "Settings": ["7"]}],
            }
        ]
    }
    lst = {
        "RulesSourceList": {
            "Targets": [".example.com"],
            "TargetTypes": ["TLS_SNI"],
            "GeneratedRulesType": "DENYLIST",
        }
    }
    refs = {
        "IPSetReferences": {"OPS": {"ReferenceArn": "arn:aws:ec2:us-east-1:1:prefix-list/pl-1"}}
    }
    pol = policy(
        StatefulRuleGroupReferences=[
            ref("stateful", "a"),
            ref("stateful", "b"),
            ref("stateful", "c"),
        ]
    )
    groups = [
        stateful_group("a", source=five),
        stateful_group("b", source=lst),
        stateful_group("c", "pass tcp @OPS any -> $HOME_NET 3389 (sid:8;)", ReferenceSets=refs),
    ]
    (rs,), _, errors = normalize(pol, groups)
    assert not errors, errors
    keys = {r.key for r in rs.rules}
    assert {"a:sid:7:ingress", "a:sid:7:ingress:rev", "b:tls_sni-denylist:egress"} <= keys
    deny = next(r for r in rs.rules if r.key == "b:tls_sni-denylist:egress")
    assert not deny.enabled and "tls traffic" in deny.unresolved
    ops = next(r for r in rs.rules if r.key == "c:sid:8:ingress")
    assert ops.peers == AddressSet.symbol("prefix-list", "pl-1")


def test_managed_groups_tls_inspection_and_unread_groups_are_placeholders() -> None:
    managed = {
        "ResourceArn": "arn:aws:network-firewall:us-east-1:aws-managed:"
        "stateful-rulegroup/ThreatSignaturesMalwareStrictOrder",
        "Priority": 1,
    }
    tls_arn = f"{ARN}:tls-configuration/t"
    pol = policy(
        StatefulRuleGroupReferences=[managed, ref("stateful", "missing", 2)],
        StatefulEngineOptions={"RuleOrder": "STRICT_ORDER"},
        TLSInspectionConfigurationArn=tls_arn,
    )
    (rs,), warnings, errors = normalize(pol, [], tls={tls_arn: recorded("tls", "insp-tls")})
    by = {r.key: r for r in rs.rules if r.direction is Direction.INGRESS}
    m = by["managed:ThreatSignaturesMalwareStrictOrder:ingress"]
    assert m.action is Action.LOG and "not readable" in m.unresolved
    assert "ThreatSignaturesMalwareStrictOrder" in m.description
    assert by["unread:missing:ingress"].action is Action.LOG
    assert any("missing was not read" in w for w in warnings) and not errors
    assert "1 scope(s) decrypted" in by["tls-inspection:ingress"].description


def test_logging_states() -> None:
    pol = policy()
    fws = [
        firewall("a", logging=[]),
        firewall("b", logging=["TLS"]),
        firewall("c", logging=["ALERT"]),
        firewall("d", logging=["FLOW", "TLS"]),
        firewall("e", logging=None),
    ]
    sets, _, _ = normalize(pol, [], fws=fws)
    assert [(rs.asset.resource_id, rs.logging) for rs in sets] == [
        ("a", Logging.OFF),
        ("b", Logging.OFF),
        ("c", Logging.ON),
        ("d", Logging.ON),
        ("e", Logging.UNKNOWN),
    ]


def test_route_tables_place_the_firewall_on_subnet_paths() -> None:
    routes = [
        {
            "RouteTableId": "rtb-app",
            "VpcId": "vpc-0nfw",
            "Associations": [{"SubnetId": "subnet-app", "Main": False}],
            "Routes": [
                {"DestinationCidrBlock": "10.40.0.0/16", "GatewayId": "local"},
                {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vpce-0fw"},
            ],
        },
        {
            "RouteTableId": "rtb-igw",
            "VpcId": "vpc-0nfw",
            "Associations": [{"GatewayId": "igw-1", "Main": False}],
            "Routes": [{"DestinationCidrBlock": "10.40.2.0/24", "GatewayId": "vpce-0fw"}],
        },
        {
            "RouteTableId": "rtb-main",
            "VpcId": "vpc-0nfw",
            "Associations": [{"Main": True}],
            "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}],
        },
    ]
    (rs,), _, _ = normalize(policy(), [], routes=routes)
    placed = {
        (a.resource_type, a.resource_id, dict(a.extra)["route_table"]) for a in rs.attachments
    }
    assert placed == {
        ("subnet-route", "subnet-app", "rtb-app"),
        ("subnet-route", "subnet-edge", "rtb-igw"),
    }


def test_bad_rules_are_errors_naming_group_and_line() -> None:
    pol = policy(StatefulRuleGroupReferences=[ref("stateful", "g")])
    (rs,), _, errors = normalize(pol, [stateful_group("g", f"{SSH}\npass tcp any any 22")])
    assert list(errors) == [
        "network firewall fw: rule group g line 2: not a Suricata rule: 'pass tcp any any 22'"
    ]
    assert any(r.key == "g:sid:1:ingress" for r in rs.rules), "the good line is kept"


def test_missing_policy_is_an_error() -> None:
    _, _, errors = normalize(policy("other"), [])
    assert errors and "policy arn:aws:network-firewall" in errors[0] and "not read" in errors[0]


def test_snapshot_round_trip_keeps_every_firewall_field(tmp_path: Path) -> None:
    routes = [
        {"RouteTableId": "rtb-app", "VpcId": "vpc-0nfw",
         "Associations": [{"SubnetId": "subnet-app"}],
         "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vpce-0fw"}]},
    ]  # fmt: skip
    pol = recorded("policies", "insp-policy")
    names = ("insp-prefilter", "insp-suricata", "insp-5tuple", "insp-egress-domains")
    groups = [recorded("rule-groups", n) for n in names]
    fw = firewall(policy="insp-policy", logging=["TLS"])
    sets, _, errors = normalize(pol, groups, fws=[fw], routes=routes)
    assert not errors and len(sets[0].rules) > 30
    snap = Snapshot(tuple(sets), (), datetime(2026, 12, 1, tzinfo=UTC), "test")
    path = tmp_path / "snap.json"
    write_snapshot(snap, path)
    back = read_snapshot(path)
    assert back.rulesets == snap.rulesets
    assert back.rulesets[0].semantics is EvalSemantics.STATELESS_THEN_STATEFUL

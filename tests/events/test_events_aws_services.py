"""AWS Network Firewall and RDS DB security group changes in CloudTrail: emitted, with the rule
content the request carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events_helpers import events_cli, write_json

ACCOUNT = "111122223333"
NFW = f"arn:aws:network-firewall:us-east-1:{ACCOUNT}"
N = iter(range(1, 1000))


def record(source: str, name: str, request: dict[str, Any], **extra: Any) -> dict[str, Any]:
    n = next(N)
    return {
        "eventVersion": "1.09", "eventTime": f"2026-11-03T08:{n % 60:02d}:00Z",
        "eventSource": f"{source}.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.17.0 Python/3.11.9",
        "userIdentity": {"type": "AssumedRole", "accountId": ACCOUNT,
                         "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/NetAdmin/jo"},
        "requestParameters": request, "responseElements": None,
        "eventID": f"5b1c0000-0000-4000-8000-{n:012d}", "readOnly": False,
        "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT, **extra,
    }  # fmt: skip


def stateless(priority: int, action: str, sources: list[str], ports: int | None) -> dict[str, Any]:
    match: dict[str, Any] = {"sources": [{"addressDefinition": s} for s in sources],
                             "destinations": [{"addressDefinition": "10.20.0.0/16"}],
                             "protocols": [6] if ports else []}  # fmt: skip
    if ports:
        match["destinationPorts"] = [{"fromPort": ports, "toPort": ports}]
    return {"priority": priority, "ruleDefinition": {"actions": [action], "matchAttributes": match}}


def nfw(name: str, request: dict[str, Any]) -> dict[str, Any]:
    return record("network-firewall", name, request)


def by_event(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["event_name"] + ":" + d["resource_id"].rsplit("/", 1)[-1]: d for d in docs}


def test_network_firewall_rule_groups_carry_their_rules(tmp_path: Path) -> None:
    stateless_group = nfw(
        "CreateRuleGroup",
        {
            "ruleGroupName": "edge-stateless",
            "type": "STATELESS",
            "capacity": 100,
            "ruleGroup": {
                "rulesSource": {
                    "statelessRulesAndCustomActions": {
                        "statelessRules": [
                            stateless(10, "aws:pass", ["0.0.0.0/0"], 22),
                            stateless(20, "aws:drop", ["0.0.0.0/0"], None),
                        ]
                    }
                }
            },
        },
    )
    strings = nfw(
        "UpdateRuleGroup",
        {
            "ruleGroupArn": f"{NFW}:stateful-rulegroup/rdp",
            "type": "STATEFUL",
            "updateToken": "tok-1",
            "rules": 'pass tcp any any -> $HOME_NET 3389 (msg:"rdp"; '
            "sid:100;)\n# a comment\ndrop udp any any -> $HOME_NET [53,123] (sid:101;)\n",
        },
    )
    structured = nfw(
        "CreateRuleGroup",
        {
            "ruleGroupName": "block-ssh",
            "type": "STATEFUL",
            "capacity": 10,
            "ruleGroup": {
                "rulesSource": {
                    "statefulRules": [
                        {
                            "action": "DROP",
                            "header": {
                                "protocol": "TCP",
                                "source": "ANY",
                                "sourcePort": "ANY",
                                "direction": "FORWARD",
                                "destination": "10.20.0.0/16",
                                "destinationPort": "22",
                            },
                            "ruleOptions": [{"keyword": "sid", "settings": ["5"]}],
                        }
                    ]
                }
            },
        },
    )
    domains = nfw(
        "UpdateRuleGroup",
        {
            "ruleGroupName": "egress-allow",
            "type": "STATEFUL",
            "updateToken": "tok-2",
            "ruleGroup": {
                "rulesSource": {
                    "rulesSourceList": {
                        "targets": [".example.com", "updates.example.org"],
                        "targetTypes": ["TLS_SNI", "HTTP_HOST"],
                        "generatedRulesType": "ALLOWLIST",
                    }
                }
            },
        },
    )
    half = nfw("CreateRuleGroup", {
        "ruleGroupName": "mostly-closed", "type": "STATELESS", "capacity": 10,
        "ruleGroup": {"rulesSource": {"statelessRulesAndCustomActions": {"statelessRules": [
            stateless(1, "aws:drop", ["0.0.0.0/1"], 443),
            stateless(2, "aws:pass", ["0.0.0.0/0"], 443)]}}}})  # fmt: skip
    trail = write_json(
        tmp_path / "nfw.json", {"Records": [stateless_group, strings, structured, domains, half]}
    )
    ev = by_event(events_cli(trail))
    sl = ev["CreateRuleGroup:edge-stateless"]
    assert (sl["action"], sl["rule_action"], sl["any_peer"]) == ("create", "allow", True)
    assert sl["peers"] == ["0.0.0.0/0"] and sl["ports"] == [
        {"protocol": "tcp", "from": 22, "to": 22}
    ]
    rdp = ev["UpdateRuleGroup:rdp"]
    assert (rdp["action"], rdp["rule_action"], rdp["direction"]) == ("modify", "allow", "ingress")
    assert rdp["peers"] == ["any"] and rdp["any_peer"]
    assert rdp["ports"] == [{"protocol": "tcp", "from": 3389, "to": 3389}]
    ssh = ev["CreateRuleGroup:block-ssh"]
    assert (ssh["rule_action"], ssh["peers"]) == ("deny", ["ANY"])
    assert ssh["ports"] == [{"protocol": "tcp", "from": 22, "to": 22}]
    dom = ev["UpdateRuleGroup:egress-allow"]
    assert (dom["rule_action"], dom["direction"]) == ("allow", "egress")
    assert dom["peers"] == [".example.com", "updates.example.org"] and not dom["any_peer"]
    assert {p["from"] for p in dom["ports"]} == {443, 80}
    # a pass from anywhere after a drop of half the space: the rest is under half of public IPv4
    closed = ev["CreateRuleGroup:mostly-closed"]
    assert closed["rule_action"] == "allow" and not closed["any_peer"]


def test_network_firewall_policies_deletes_and_weakening(tmp_path: Path) -> None:
    policy = nfw(
        "UpdateFirewallPolicy",
        {
            "firewallPolicyArn": f"{NFW}:firewall-policy/edge",
            "updateToken": "tok-3",
            "firewallPolicy": {
                "statelessDefaultActions": ["aws:pass"],
                "statelessFragmentDefaultActions": ["aws:pass"],
                "statefulRuleGroupReferences": [],
            },
        },
    )
    strict = nfw(
        "CreateFirewallPolicy",
        {
            "firewallPolicyName": "strict",
            "firewallPolicy": {
                "statelessDefaultActions": ["aws:forward_to_sfe"],
                "statelessFragmentDefaultActions": ["aws:forward_to_sfe"],
                "statefulDefaultActions": ["aws:drop_strict", "aws:alert_strict"],
                "statefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
            },
        },
    )
    deletes = [
        nfw("DeleteRuleGroup", {"ruleGroupArn": f"{NFW}:stateful-rulegroup/rdp"}),
        nfw("DeleteFirewallPolicy", {"firewallPolicyName": "old-policy"}),
        nfw("DeleteFirewall", {"firewallArn": f"{NFW}:firewall/edge-fw"}),
    ]
    weaken = [
        nfw("DisassociateSubnets", {"firewallName": "edge-fw", "subnetIds": ["subnet-0a1b"]}),
        nfw(
            "UpdateFirewallDeleteProtection", {"firewallName": "edge-fw", "deleteProtection": False}
        ),
        nfw(
            "UpdateLoggingConfiguration",
            {"firewallName": "edge-fw", "loggingConfiguration": {"logDestinationConfigs": []}},
        ),
    ]
    harden = [
        nfw("UpdateFirewallDeleteProtection",
            {"firewallName": "edge-fw", "deleteProtection": True}),
        nfw("UpdateFirewallPolicyChangeProtection", {"firewallName": "edge-fw",
                                                     "firewallPolicyChangeProtection": True}),
        nfw("DescribeRuleGroup", {"ruleGroupArn": f"{NFW}:stateful-rulegroup/rdp"}),
        nfw("ListFirewalls", {"maxResults": 10}),
    ]  # fmt: skip
    trail = write_json(
        tmp_path / "nfw.json", {"Records": [policy, strict, *deletes, *weaken, *harden]}
    )
    docs = events_cli(trail)
    ev = by_event(docs)
    assert len(docs) == 8
    edge = ev["UpdateFirewallPolicy:edge"]
    assert (edge["rule_action"], edge["peers"], edge["any_peer"]) == ("allow", ["*"], True)
    assert edge["ports"] == [{"protocol": "all", "from": None, "to": None}]
    assert ev["CreateFirewallPolicy:strict"]["rule_action"] == "deny"
    assert [
        ev[k]["action"]
        for k in (
            "DeleteRuleGroup:rdp",
            "DeleteFirewallPolicy:old-policy",
            "DeleteFirewall:edge-fw",
        )
    ] == ["delete"] * 3
    assert ev["UpdateLoggingConfiguration:edge-fw"]["action"] == "disable_logging"
    assert {d["event_name"] for d in docs} >= {
        "DisassociateSubnets",
        "UpdateFirewallDeleteProtection",
    }


def test_rds_db_security_group_ingress(tmp_path: Path) -> None:
    rds = [
        record("rds", "AuthorizeDBSecurityGroupIngress",
               {"dBSecurityGroupName": "legacy-db", "cIDRIP": "0.0.0.0/0"}),
        record("rds", "AuthorizeDBSecurityGroupIngress",
               {"dBSecurityGroupName": "legacy-db", "eC2SecurityGroupId": "sg-0fedcba987654321f",
                "eC2SecurityGroupOwnerId": ACCOUNT}),
        record("rds", "RevokeDBSecurityGroupIngress",
               {"dBSecurityGroupName": "legacy-db", "eC2SecurityGroupName": "app-servers",
                "eC2SecurityGroupOwnerId": ACCOUNT}),
        record("rds", "DescribeDBSecurityGroups", {"dBSecurityGroupName": "legacy-db"}),
    ]  # fmt: skip
    docs = events_cli(write_json(tmp_path / "rds.json", {"Records": rds}))
    assert [(d["action"], d["resource_id"], d["peers"], d["any_peer"]) for d in docs] == [
        ("authorize", "legacy-db", ["0.0.0.0/0"], True),
        ("authorize", "legacy-db", ["sg-0fedcba987654321f"], False),
        ("revoke", "legacy-db", ["app-servers"], False),
    ]
    assert {(d["direction"], d["rule_action"]) for d in docs} == {("ingress", "allow")}


def test_a_rule_string_idstools_cannot_split_is_a_located_error(tmp_path: Path) -> None:
    from events_helpers import run_cli

    bad = nfw(
        "UpdateRuleGroup",
        {
            "ruleGroupArn": f"{NFW}:stateful-rulegroup/x",
            "type": "STATEFUL",
            "rules": 'pass tcp any any -> any 23 (msg:"unbalanced)',
        },
    )
    good = nfw("DeleteRuleGroup", {"ruleGroupArn": f"{NFW}:stateful-rulegroup/y"})
    path = write_json(tmp_path / "trail.json", {"Records": [bad, good]})
    code, out, err = run_cli("events", str(path), "--no-store", "--format", "jsonl")
    assert code == 3 and "Traceback" not in err
    assert "not a Suricata rule" in err and "trail.json" in err
    assert [d["event_name"] for d in map(__import__("json").loads, out.splitlines())] == [
        "DeleteRuleGroup"
    ]

"""Builders for Network Firewall describe output in the API's shapes (tests only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudfw.model import AddressSet, Direction, RuleSet
from cloudfw.normalize.aws import AwsRegionRaw, normalize_region
from cloudfw.normalize.aws_nfw import NfwRaw

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "moto_fixtures" / "network-firewall"
ACCT, REGION, VPC = "123456789012", "us-east-1", "vpc-0nfw"
ARN = f"arn:aws:network-firewall:{REGION}:{ACCT}"
VPCS = [
    {
        "VpcId": VPC,
        "CidrBlock": "10.40.0.0/16",
        "CidrBlockAssociationSet": [{"CidrBlock": "10.40.0.0/16"}],
    }
]
SUBNETS = [
    {"SubnetId": "subnet-fw", "VpcId": VPC, "CidrBlock": "10.40.0.0/28"},
    {"SubnetId": "subnet-app", "VpcId": VPC, "CidrBlock": "10.40.1.0/24"},
    {"SubnetId": "subnet-edge", "VpcId": VPC, "CidrBlock": "10.40.2.0/24"},
    {"SubnetId": "subnet-other", "VpcId": VPC, "CidrBlock": "10.40.3.0/24"},
]


def recorded(kind: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / kind / f"{name}.json").read_text())
    return data


def firewall(
    name: str = "fw", policy: str = "pol", logging: list[str] | None = None
) -> dict[str, Any]:
    resp: dict[str, Any] = {
        "UpdateToken": "t",
        "Firewall": {
            "FirewallName": name,
            "FirewallArn": f"{ARN}:firewall/{name}",
            "FirewallPolicyArn": f"{ARN}:firewall-policy/{policy}",
            "VpcId": VPC,
            "SubnetMappings": [{"SubnetId": "subnet-fw", "IPAddressType": "IPV4"}],
            "FirewallId": "f0",
        },
        "FirewallStatus": {
            "Status": "READY",
            "ConfigurationSyncStateSummary": "IN_SYNC",
            "SyncStates": {
                "us-east-1a": {
                    "Attachment": {
                        "SubnetId": "subnet-fw",
                        "EndpointId": "vpce-0fw",
                        "Status": "READY",
                    }
                }
            },
        },
    }
    if logging is not None:
        resp["LoggingConfiguration"] = {
            "LogDestinationConfigs": [
                {"LogType": t, "LogDestinationType": "S3", "LogDestination": {"bucketName": "logs"}}
                for t in logging
            ]
        }
    else:
        resp["LoggingConfiguration"] = None
    return resp


def policy(name: str = "pol", **fields: Any) -> dict[str, Any]:
    body = {
        "StatelessDefaultActions": ["aws:forward_to_sfe"],
        "StatelessFragmentDefaultActions": ["aws:forward_to_sfe"],
        **fields,
    }
    return {
        "UpdateToken": "t",
        "FirewallPolicyResponse": {
            "FirewallPolicyName": name,
            "FirewallPolicyArn": f"{ARN}:firewall-policy/{name}",
            "FirewallPolicyId": "p0",
        },
        "FirewallPolicy": body,
    }


def stateful_group(
    name: str, rules: str = "", source: dict[str, Any] | None = None, **rule_group: Any
) -> dict[str, Any]:
    rg: dict[str, Any] = {"RulesSource": source or {"RulesString": rules}, **rule_group}
    return {
        "UpdateToken": "t",
        "RuleGroup": rg,
        "RuleGroupResponse": {
            "RuleGroupArn": f"{ARN}:stateful-rulegroup/{name}",
            "RuleGroupName": name,
            "Type": "STATEFUL",
        },
    }


def stateless_group(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "UpdateToken": "t",
        "RuleGroup": {"RulesSource": {"StatelessRulesAndCustomActions": {"StatelessRules": rules}}},
        "RuleGroupResponse": {
            "RuleGroupArn": f"{ARN}:stateless-rulegroup/{name}",
            "RuleGroupName": name,
            "Type": "STATELESS",
        },
    }


def ref(kind: str, name: str, priority: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ResourceArn": f"{ARN}:{kind}-rulegroup/{name}"}
    if priority is not None:
        out["Priority"] = priority
    return out


def normalize(
    pol: dict[str, Any],
    groups: list[dict[str, Any]] | None = None,
    *,
    fws: list[dict[str, Any]] | None = None,
    routes: list[dict[str, Any]] | None = None,
    tls: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[RuleSet], tuple[str, ...], tuple[str, ...]]:
    nfw = NfwRaw(
        firewalls=fws if fws is not None else [firewall(logging=[])],
        policies={pol["FirewallPolicyResponse"]["FirewallPolicyArn"]: pol},
        rule_groups={g["RuleGroupResponse"]["RuleGroupArn"]: g for g in groups or ()},
        tls=tls or {},
        route_tables=routes if routes is not None else [],
    )
    raw = AwsRegionRaw(ACCT, REGION, vpcs=VPCS, subnets=SUBNETS, network_firewall=nfw)
    model = normalize_region(raw)
    sets = [rs for rs in model.rulesets if rs.asset.resource_type == "network-firewall"]
    return sets, model.warnings, model.errors


WORLD = AddressSet.parse_many(["0.0.0.0/0", "::/0"])


def reach(
    rs: RuleSet,
    port: int,
    proto: str = "tcp",
    direction: Direction = Direction.INGRESS,
    peers: AddressSet = WORLD,
) -> set[str]:
    """The keys of the rules that allow ``proto``/``port`` from ``peers`` to the VPC."""
    from cloudfw.model import parse_protocol, port_range

    p = parse_protocol(proto)
    out = set()
    for b in rs.allowed(direction).boxes:
        hit = (b.protocols & p) and (b.ports & port_range(port, port)) and (b.peers & peers)
        if hit and b.local.intersects(AddressSet.parse("10.40.1.10")):
            out.add(b.rule_key)
    return out

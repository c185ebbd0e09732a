"""`cloudfw audit --events` judges every opening the log describes, even when the log leaves out
the direction or the ports, and weighs a change by what it does (a deny is not an opening).
Real files through the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events_helpers import audit_findings, events_cli, write_json
from test_events_aws_services import record

SCOPE = "aws:111122223333"
HTTPS_ONLY = """\
version: 1
approved_principals: ["arn:aws:sts::111122223333:assumed-role/deploy/*"]
approved:
  - id: https
    match: {provider: aws}
    rules: [{direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0"]}]
"""


def modify(rule: dict[str, Any], **flags: Any) -> dict[str, Any]:
    """ModifySecurityGroupRules as CloudTrail logs it: PascalCase wrapper, {content, tag} leaves,
    the rule named by id only (the direction is not in the request)."""
    return record("ec2", "ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": {
        "GroupId": "sg-0c0ffee000000a001",
        "SecurityGroupRule": {"SecurityGroupRuleId": "sgr-0aa1bb2cc3dd4ee5f", "tag": 1,
                              "SecurityGroupRule": {**rule, **flags}}}},
        responseElements={"ModifySecurityGroupRulesResponse": {"return": True}})  # fmt: skip


RDP_WORLD = {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIpv4": "208.236.235.254/0"}


def test_an_opening_without_direction_is_judged_as_ingress(tmp_path: Path) -> None:
    path = write_json(tmp_path / "trail.json", {"Records": [modify(RDP_WORLD)]})
    (doc,) = events_cli(path)
    assert (doc["direction"], doc["any_peer"]) == ("", True)  # the log does not say
    (f,) = audit_findings(tmp_path, path, HTTPS_ONLY, SCOPE, "unexpectedly-authorized")
    assert (f["severity"], f["direction"], f["ports"]) == ("high", "ingress", "3389")
    assert "direction not in the log: judged as ingress" in str(f["message"])


def test_a_direction_the_request_carries_is_used(tmp_path: Path) -> None:
    path = write_json(tmp_path / "trail.json", {"Records": [modify(RDP_WORLD, IsEgress=True)]})
    (doc,) = events_cli(path)
    assert doc["direction"] == "egress"
    (f,) = audit_findings(tmp_path, path, HTTPS_ONLY, SCOPE, "unexpectedly-authorized")
    assert f["direction"] == "egress" and "judged as ingress" not in str(f["message"])


def test_an_opening_without_ports_is_judged_on_every_port(tmp_path: Path) -> None:
    rds = record("rds", "AuthorizeDBSecurityGroupIngress",
                 {"dBSecurityGroupName": "legacy-db", "cIDRIP": "0.0.0.0/0"})  # fmt: skip
    path = write_json(tmp_path / "trail.json", {"Records": [rds]})
    (f,) = audit_findings(tmp_path, path, HTTPS_ONLY, SCOPE, "unexpectedly-authorized")
    assert (f["resource_id"], f["severity"], f["direction"]) == ("legacy-db", "high", "ingress")
    assert "ports not in the log: judged as every port" in str(f["message"])


def test_a_deny_by_an_unapproved_principal_is_not_a_high_opening(tmp_path: Path) -> None:
    deny = record("ec2", "CreateNetworkAclEntry", {
        "networkAclId": "acl-0f00d000000000001", "ruleNumber": 90, "aclProtocol": "6",
        "ruleAction": "deny", "egress": False, "cidrBlock": "0.0.0.0/0",
        "portRange": {"from": 22, "to": 22}})  # fmt: skip
    ssh = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
           "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}  # fmt: skip
    allow = record(
        "ec2",
        "AuthorizeSecurityGroupIngress",
        {"groupId": "sg-0c0ffee000000a002", "ipPermissions": {"items": [ssh]}},
    )
    path = write_json(tmp_path / "trail.json", {"Records": [deny, allow]})
    found = audit_findings(tmp_path, path, HTTPS_ONLY, SCOPE, "unapproved-principal")
    by_res = {f["resource_id"]: f for f in found}
    assert by_res["acl-0f00d000000000001"]["severity"] == "medium"
    assert "a deny rule" in str(by_res["acl-0f00d000000000001"]["message"])
    assert by_res["sg-0c0ffee000000a002"]["severity"] == "high"

"""Field-level normalization conventions, one record at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.mgmt.monitor.models import EventData
from events_helpers import FIXTURES

from cloudfw.events import RecordError, RecordUnit, read_events
from cloudfw.events import aws as ct
from cloudfw.events.serialize import event_to_dict
from cloudfw.model import ChangeAction, PortSpec


def base(name: str, req: Any, **extra: Any) -> dict[str, Any]:
    rec = {
        "eventVersion": "1.08", "eventTime": "2026-11-02T10:00:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.1", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
        "requestParameters": req, "responseElements": {"_return": True}, "eventID": "e-1",
    }  # fmt: skip
    rec.update(extra)
    return rec


def test_nested_layout_all_protocols_and_peers() -> None:
    req = {
        "groupId": "sg-1",
        "ipPermissions": {"items": [
            {"ipProtocol": "-1", "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
             "ipv6Ranges": {}, "prefixListIds": {}},
            {"ipProtocol": "icmpv6", "fromPort": 128, "toPort": 0,
             "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}},
        ]},
    }  # fmt: skip
    ev = ct.normalize(base("AuthorizeSecurityGroupEgress", req))
    assert ev is not None
    assert ev.ports == (PortSpec("all", None, None), PortSpec("icmpv6", 128, 0))
    assert ev.peers == ("0.0.0.0/0", "::/0") and ev.any_peer and ev.direction == "egress"


def test_legacy_flat_layout_coerces_string_ports() -> None:
    req = {"groupId": "sg-2", "cidrIp": "10.0.0.0/8", "ipProtocol": "udp", "fromPort": "53",
           "toPort": "53", "ipPermissions": {}}  # fmt: skip
    ev = ct.normalize(base("AuthorizeSecurityGroupIngress", req))
    assert ev is not None and ev.ports == (PortSpec("udp", 53, 53),) and not ev.any_peer


def test_pascal_wrapper_list_of_rules() -> None:
    req = {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-3", "SecurityGroupRule": [
        {"SecurityGroupRuleId": "sgr-1", "tag": 1, "SecurityGroupRule": {
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv4": "0.0.0.0/0"}},
        {"SecurityGroupRuleId": "sgr-2", "tag": 2, "SecurityGroupRule": {
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "ReferencedGroupId": "sg-9"}},
    ]}}  # fmt: skip
    ev = ct.normalize(base("ModifySecurityGroupRules", req))
    assert ev is not None and ev.action is ChangeAction.MODIFY and ev.resource_id == "sg-3"
    assert ev.ports == (PortSpec("tcp", 22, 22), PortSpec("tcp", 80, 80))
    assert ev.peers == ("0.0.0.0/0", "sg-9")


def test_dry_run_and_false_return_are_failures() -> None:
    req = {"groupId": "sg-1", "ipPermissions": {}}
    dry = ct.normalize(base("RevokeSecurityGroupIngress", req, errorCode="Client.DryRunOperation"))
    assert dry is not None and not dry.success and dry.error_code == "Client.DryRunOperation"
    rec = base("RevokeSecurityGroupIngress", req, responseElements={"_return": False})
    partial = ct.normalize(rec)
    assert partial is not None and not partial.success and partial.error_code == "ReturnFalse"


def test_unrelated_records_are_not_emitted() -> None:
    assert ct.normalize(base("DescribeSecurityGroups", {})) is None
    # right name, wrong service
    assert ct.normalize(base("CreateFirewall", {}, eventSource="ec2.amazonaws.com")) is None


@pytest.mark.parametrize(
    ("req", "field"),
    [
        ("not-an-object", "requestParameters"),
        ({"groupId": "sg-1", "ipPermissions": {"items": "oops"}},
         "requestParameters.ipPermissions.items"),
        ({"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": "x"}]}},
         "requestParameters.ipPermissions[0].from"),
    ],
)  # fmt: skip
def test_wrong_types_are_located_errors(req: Any, field: str) -> None:
    with pytest.raises(RecordError) as info:
        ct.normalize(base("AuthorizeSecurityGroupIngress", req))
    assert info.value.field == field


def test_missing_event_name_is_an_error() -> None:
    rec = base("x", {})
    del rec["eventName"]
    with pytest.raises(RecordError, match="eventName"):
        ct.normalize(rec)


def test_principal_falls_back_for_services() -> None:
    rec = base("CreateSecurityGroup", {"groupName": "g"},
               userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"})  # fmt: skip
    ev = ct.normalize(rec)
    assert ev is not None and ev.principal == "ec2.amazonaws.com" and ev.resource_id == "g"


def test_azure_api_shape_through_the_real_sdk_model() -> None:
    """EventData objects from azure-mgmt-monitor, as_dict() -> same event as the REST JSON."""
    rest = json.loads((FIXTURES / "azure" / "api-eventdata.json").read_text())
    sdk = [EventData.deserialize(r).as_dict() for r in rest]
    assert "operation_name" in sdk[0]  # snake_case, as the SDK hands it out
    from_sdk, s1 = read_events([RecordUnit("api", sdk, kind="azure")])
    from_rest, s2 = read_events([RecordUnit("api", rest, kind="azure")])
    assert s1.complete and s2.complete
    assert [event_to_dict(e) for e in from_sdk] == [event_to_dict(e) for e in from_rest]
    ev = from_sdk[0]
    assert ev.principal == "bob@contoso.com" and ev.action is ChangeAction.CREATE
    assert ev.ports == (PortSpec("all", None, None),) and ev.any_peer


def test_azure_operation_names_are_case_insensitive() -> None:
    def rec(op: str, status: str) -> dict[str, Any]:
        return {"time": "2026-11-04T09:00:00Z", "operationName": op, "resultType": status,
                "correlationId": "C-1", "resourceId": "/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/"
                "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N/SECURITYRULES/X",
                "properties": {"statusCode": "OK"}}  # fmt: skip

    up = "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/DELETE"
    mx = "Microsoft.Network/networkSecurityGroups/securityRules/delete"
    pair = ("Start", "Success")
    upper, _ = read_events([RecordUnit("a", [rec(up, s) for s in pair], kind="azure")])
    mixed, _ = read_events([RecordUnit("b", [rec(mx, s) for s in pair], kind="azure")])
    assert len(upper) == 1 and event_to_dict(upper[0]) == event_to_dict(mixed[0])
    assert upper[0].action is ChangeAction.DELETE and upper[0].account == "s"


def test_gcp_patch_that_also_changes_rules_is_modify() -> None:
    entry = {
        "protoPayload": {"methodName": "v1.compute.firewalls.patch",
                         "resourceName": "projects/p/global/firewalls/f",
                         "request": {"logConfig": {"enable": False}, "sourceRanges": ["0.0.0.0/0"]},
                         "authenticationInfo": {"principalEmail": "a@b.c"}},
        "timestamp": "2026-11-06T08:00:00Z", "insertId": "i1",
    }  # fmt: skip
    events, stats = read_events([RecordUnit("g", [entry], kind="gcp")])
    assert stats.complete and events[0].action is ChangeAction.MODIFY

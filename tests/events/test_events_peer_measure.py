"""`any_peer` is the checks' address-space measure (at least half of public IPv4 or IPv6, after
denies), owned by the model, not a comparison of strings."""

from __future__ import annotations

from pathlib import Path

import pytest
from events_helpers import events_cli, write_json

from cloudfw.checks.base import ShareCache
from cloudfw.model import AddressSet
from cloudfw.model.addr import is_internet_share, public_share


def _authorize(event_id: str, cidrs: list[str]) -> dict[str, object]:
    return {
        "eventVersion": "1.08", "eventTime": "2026-11-02T10:00:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops",
                         "accountId": "111122223333"},
        "requestParameters": {"groupId": "sg-0123456789abcdef0", "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
             "ipRanges": {"items": [{"cidrIp": c} for c in cidrs]}}]}},
        "responseElements": {"requestId": "r", "_return": True},
        "eventID": event_id, "recipientAccountId": "111122223333",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cidrs", "internet"),
    [
        (["208.236.235.254/0"], True),  # a real "open 22 to the world" record: host bits set
        (["0.0.0.0/1", "128.0.0.0/1"], True),  # the whole space in two halves
        (["0.0.0.0/1"], True),  # 57% of public IPv4
        (["128.0.0.0/1"], False),  # 43%: the multicast and reserved /4s are not public
        (["203.0.113.0/24"], False),
        (["10.0.0.0/8"], False),
    ],
)
def test_any_peer_measures_address_space(tmp_path: Path, cidrs: list[str], internet: bool) -> None:
    trail = write_json(tmp_path / "trail.json", {"Records": [_authorize("ev-1", cidrs)]})
    (doc,) = events_cli(trail)
    assert doc["any_peer"] is internet
    assert doc["peers"] == cidrs


def test_azure_internet_tag_and_gcp_halves_are_any_peer(tmp_path: Path) -> None:
    body = ('{"properties":{"protocol":"Tcp","destinationPortRange":"3389",'
            '"sourceAddressPrefix":"Internet","access":"Allow","direction":"Inbound",'
            '"priority":100}}')  # fmt: skip
    azure = {"records": [
        {"time": "2026-11-04T09:00:00Z", "correlationId": "c-1", "resultType": "Start",
         "operationName": "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE",
         "resourceId": "/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/"
                       "NETWORKSECURITYGROUPS/N/SECURITYRULES/RDP",
         "properties": {"requestbody": body}},
        {"time": "2026-11-04T09:00:05Z", "correlationId": "c-1", "resultType": "Success",
         "operationName": "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE",
         "resourceId": "/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/"
                       "NETWORKSECURITYGROUPS/N/SECURITYRULES/RDP",
         "properties": {"statusCode": "Created"}},
    ]}  # fmt: skip
    gcp = [{
        "insertId": "i-1", "timestamp": "2026-11-06T08:00:00Z",
        "resource": {"type": "gce_firewall_rule", "labels": {"project_id": "p"}},
        "protoPayload": {"methodName": "v1.compute.firewalls.insert",
                         "resourceName": "projects/p/global/firewalls/halves",
                         "request": {"name": "halves", "alloweds": [{"IPProtocol": "tcp"}],
                                     "sourceRanges": ["::/1", "8000::/1"]}},
    }]  # fmt: skip
    docs = events_cli(write_json(tmp_path / "a.json", azure), write_json(tmp_path / "g.json", gcp))
    assert [d["any_peer"] for d in docs] == [True, True]


def test_checks_and_events_share_the_models_measure() -> None:
    cache = ShareCache()
    for tokens in (["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["10.0.0.0/8"], ["::/1"]):
        a = AddressSet.parse_many(tokens)
        assert cache.get(a) == public_share(a)
        assert cache.get(a) is cache.get(a)  # still cached per object
        assert is_internet_share(public_share(a), 0.5) is a.is_internet()
    denied = AddressSet.parse("0.0.0.0/0") - AddressSet.parse("0.0.0.0/1")
    assert not denied.is_internet() and AddressSet.parse("0.0.0.0/0").is_internet()


@pytest.mark.parametrize(
    ("cidrs", "internet"),
    [
        (["2000::/3"], True),  # every allocated global unicast address: the IPv6 internet
        (["::/1"], True),  # holds 2000::/3
        (["::/0"], True),
        (["2000::/4"], True),  # half; the other half holds 3fff::/20 (documentation)
        (["3000::/4"], False),  # the other half, less 3fff::/20
        (["2000::/5"], False),  # a quarter
        (["2600::/7", "2a00::/7", "2c00::/7", "2400::/6", "2800::/6"], False),  # a few RIR /7s
        (["fc00::/7", "fe80::/10", "2001:db8::/32"], False),  # private, link-local, docs
        (["::ffff:0.0.0.0/96"], True),  # IPv4-mapped: measured as the IPv4 it maps
        (["::ffff:0.0.0.0/97"], True),  # maps 0.0.0.0/1: 57% of public IPv4
        (["::ffff:10.0.0.0/104"], False),  # maps 10.0.0.0/8
    ],
)
def test_any_peer_measures_the_ipv6_internet(
    tmp_path: Path, cidrs: list[str], internet: bool
) -> None:
    rec = _authorize("ev-6", [])
    rec["requestParameters"]["ipPermissions"]["items"][0]["ipv6Ranges"] = {  # type: ignore[index]
        "items": [{"cidrIpv6": c} for c in cidrs]}  # fmt: skip
    (doc,) = events_cli(write_json(tmp_path / "trail.json", {"Records": [rec]}))
    assert (doc["peers"], doc["any_peer"]) == (cidrs, internet)

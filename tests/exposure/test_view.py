"""The `cloudfw exposure` view: one line per asset, address family and port range, with the
verdict and the deciding layer and rule; protocol names; public addresses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import jsonschema
from exposure_builders import OUT, eni, nacl, open_nacl, rule, sg

from cloudfw.exposure import AssetExposure, ExposurePath, build_paths, effective_exposure
from cloudfw.exposure.report import COLUMNS, JSON_SCHEMA, asset_labels, document, rows
from cloudfw.model import Action, Asset

WHEN = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
PIP = "/subscriptions/4444/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip-jump"


def _view(*rulesets: object, everything: bool = False) -> list[dict[str, str]]:
    return rows(effective_exposure(build_paths(list(rulesets))), everything)  # type: ignore[arg-type]


def test_each_family_gets_its_own_verdict_and_the_rule_that_decides_it() -> None:
    """The issue's "tcp/443 reachable" and "tcp/443 blocked by subnet" for one interface: the
    NACL lets IPv4 in and denies IPv6 by its default entry."""
    att = eni("eni-1", "subnet-1")
    group = sg(
        "sg-1", [rule("sgr-v4", ports="443"), rule("sgr-v6", ports="443", peers="::/0")], (att,)
    )
    acl = open_nacl("acl-1", ("subnet-1",))
    lines = _view(group, acl)
    assert [list(ln) for ln in lines] == [list(COLUMNS)] * 2
    assert [(ln["family"], ln["traffic"], ln["verdict"]) for ln in lines] == [
        ("IPv4", "tcp/443", "reachable"),
        ("IPv6", "tcp/443", "blocked"),
    ]
    assert lines[0]["decided by"] == "allowed by subnet acl-1 ingress:100 -> interface sg-1 sgr-v4"
    assert lines[1]["decided by"] == "subnet acl-1 ingress:* (opened by interface sg-1 sgr-v6)"
    assert [ln["from"] for ln in lines] == ["internet-v4", "internet-v6"]
    assert {ln["public address"] for ln in lines} == {"54.1.2.3"}
    # the JSON document says the same, in fields it did not have before (values unchanged)
    doc = document(effective_exposure(build_paths([group, acl])), (), WHEN)
    jsonschema.validate(doc, JSON_SCHEMA)
    (asset,) = doc["assets"]  # type: ignore[index]
    assert [e["families"] for e in asset["exposures"]] == [["ipv4"]]
    assert [(b["ports"], b["families"]) for b in asset["blocked"]] == [("443", ["ipv6"])]


def test_both_families_decided_alike_share_a_line() -> None:
    att = eni("eni-1", "subnet-1")
    group = sg("sg-1", [rule("sgr-web", ports="443", peers="0.0.0.0/0,::/0")], (att,))
    (line,) = _view(group)
    assert (line["family"], line["from"], line["verdict"]) == ("IPv4+IPv6", "internet", "reachable")


def test_protocols_by_name_and_a_nacl_return_check_does_not_split_a_line() -> None:
    """A NACL checks replies for tcp and udp only: the stack keeps tcp, udp and "the rest"
    apart, yet they are one port range through the same rules."""
    att = eni("eni-1", "subnet-1")
    group = sg("sg-1", [rule("sgr-any", proto="all")], (att,))
    (line,) = _view(group, open_nacl("acl-1", ("subnet-1",)))
    assert (line["traffic"], line["verdict"]) == ("all/all", "reachable")
    # the reply may leave for icmp only: tcp and udp are not reachable, the rest is
    icmp_out = nacl(
        "acl-2",
        [
            rule("acl-2:ingress:100", proto="all", order=100),
            rule("acl-2:egress:100", OUT, proto="icmp", order=100),
        ],
        ("subnet-1",),
    )
    (line,) = _view(group, icmp_out)
    assert line["traffic"] == "all protocols except tcp, udp"


def test_the_public_address_not_the_resource_id() -> None:
    att = replace(eni("eni-1", "subnet-1"), public_ips=(PIP,))
    group = sg("sg-1", [rule("sgr-ssh", ports="22")], (att,))
    (line,) = _view(group)
    assert line["public address"] == "pip-jump (address unknown)"
    private = eni("eni-2", "subnet-1", public=False)
    (line,) = _view(sg("sg-2", [rule("sgr-ssh", ports="22")], (private,)), everything=True)
    assert (line["public address"], line["verdict"]) == ("none", "no public address")


def test_a_reply_blocked_by_a_stateless_layer() -> None:
    att = eni("eni-1", "subnet-1")
    group = sg("sg-1", [rule("sgr-ssh", ports="22")], (att,))
    no_reply = nacl("acl-1", [rule("acl-1:ingress:100", proto="all", order=100)], ("subnet-1",))
    (line,) = _view(group, no_reply)
    assert (line["family"], line["traffic"], line["verdict"]) == (
        "IPv4",
        "tcp/22",
        "blocked (reply)",
    )
    assert line["decided by"] == "subnet acl-1 egress:* (opened by interface sg-1 sgr-ssh)"


def test_assets_that_would_read_the_same_name_their_region_or_account() -> None:
    def profile(account: str, region: str) -> AssetExposure:
        a = Asset("gcp", account, region, "target-profile", "prod-vpc[tag:web]")
        return AssetExposure(ExposurePath(a, "", (), (), None, "", ()), (), ())

    results = [profile("p1", "global"), profile("p1", "us-central1"), profile("p2", "global")]
    assert list(asset_labels(results).values()) == [
        "prod-vpc[tag:web] (p1 global)",
        "prod-vpc[tag:web] (p1 us-central1)",
        "prod-vpc[tag:web] (p2 global)",
    ]
    assert list(asset_labels(results[:2]).values()) == [
        "prod-vpc[tag:web] (global)",
        "prod-vpc[tag:web] (us-central1)",
    ]
    assert list(asset_labels([results[0], results[2]]).values()) == [
        "prod-vpc[tag:web] (p1)",
        "prod-vpc[tag:web] (p2)",
    ]
    assert list(asset_labels(results[:1]).values()) == ["prod-vpc[tag:web]"]


def test_deny_rules_name_themselves() -> None:
    att = eni("eni-1", "subnet-1")
    group = sg("sg-1", [rule("sgr-ssh", ports="22")], (att,))
    acl = nacl(
        "acl-1",
        [
            rule("acl-1:ingress:90", action=Action.DENY, ports="22", order=90),
            rule("acl-1:ingress:100", proto="all", order=100),
            rule("acl-1:egress:100", OUT, proto="all", order=100),
        ],
        ("subnet-1",),
    )
    (line,) = _view(group, acl)
    assert line["decided by"] == "subnet acl-1 ingress:90 (opened by interface sg-1 sgr-ssh)"

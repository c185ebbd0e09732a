"""Normalization of raw EC2 describe output (pure; no server)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    Action,
    AddressSet,
    Direction,
    EvalSemantics,
    Logging,
    RuleSet,
    icmp_space,
    port_range,
)
from cloudfw.model.serde import ruleset_to_dict
from cloudfw.normalize.aws import AwsRegionModel, AwsRegionRaw, normalize_region

GOLDEN = Path(__file__).parent / "golden"


def _raw(**kw: Any) -> AwsRegionRaw:
    return AwsRegionRaw(account="111122223333", region="eu-west-1", **kw)


def _load() -> AwsRegionRaw:
    d = json.loads((GOLDEN / "region_raw.json").read_text())
    return AwsRegionRaw(**d)


def _by_id(model: AwsRegionModel) -> dict[str, RuleSet]:
    return {rs.asset.resource_id: rs for rs in model.rulesets}


def test_golden_region() -> None:
    model = normalize_region(_load())
    doc = {
        "rulesets": [ruleset_to_dict(rs) for rs in model.rulesets],
        "warnings": list(model.warnings),
        "errors": list(model.errors),
    }
    path = GOLDEN / "region_model.json"
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), "normalized output changed; CLOUDFW_UPDATE_GOLDEN=1 to accept"


def test_security_group_rules() -> None:
    rs = _by_id(normalize_region(_load()))
    web = rs["sg-web"]
    assert web.semantics is EvalSemantics.ALLOW_UNION
    assert (web.default_ingress, web.default_egress) == (Action.DENY, Action.DENY)
    assert web.asset.tags == (("Name", "web"), ("Role", "web"))
    assert web.asset.parent == "vpc-a" and not web.is_default
    rules = {r.key: r for r in web.rules}
    assert rules["sgr-1"].ports == port_range(443, 443) and rules["sgr-1"].description == "https"
    assert rules["sgr-3"].peers == AddressSet.parse("::/0")
    assert rules["sgr-2"].ports == icmp_space(8, None)  # ToPort -1: any code
    assert rules["sgr-4"].ports == icmp_space(128, 0)  # ICMPv6 echo request given as "58"
    assert rules["sgr-5"].peers == AddressSet.parse_many(["81.2.69.0/24", "81.2.70.0/25"])
    assert rules["sgr-6"].peers == AddressSet.symbol("prefix-list", "pl-secret")
    assert rules["sgr-7"].direction is Direction.EGRESS
    assert (rules["sgr-7"].protocols, rules["sgr-7"].ports) == (ALL_PROTOCOLS, ALL_PORTS)
    assert rules["sgr-1"].origin is not None and rules["sgr-1"].origin.record == "sgr-1"
    assert [r.direction for r in web.rules][-1] is Direction.EGRESS  # ingress first
    default = rs["sg-def"]
    assert default.is_default
    assert {r.key: r for r in default.rules}["sgr-9"].peers == AddressSet.symbol("sg", "sg-def")
    esp = {r.key: r for r in default.rules}["sgr-11"]
    assert esp.protocol_label == "esp" and esp.ports == ALL_PORTS


def test_unknown_shapes_are_kept_unresolved_with_a_warning() -> None:
    model = normalize_region(_load())
    rules = {r.key: r for rs in model.rulesets for r in rs.rules}
    assert "unknown protocol 'gopher'" in rules["sgr-8"].unresolved
    assert rules["sgr-10"].unresolved and rules["sgr-10"].peers.symbols
    assert any("sgr-8" in w for w in model.warnings)
    assert any("sgr-10" in w for w in model.warnings)
    assert model.errors == ()


def test_nacl_sorted_with_implicit_deny() -> None:
    acl = _by_id(normalize_region(_load()))["acl-edge"]
    assert acl.semantics is EvalSemantics.FIRST_MATCH_BY_NUMBER
    assert [r.key for r in acl.rules] == [
        "acl-edge:ingress:80",
        "acl-edge:ingress:90",
        "acl-edge:ingress:100",
        "acl-edge:ingress:110",
        "acl-edge:ingress:*",
        "acl-edge:egress:100",
        "acl-edge:egress:*",
    ]
    star = acl.rules[4]
    assert (star.action, star.order, star.peers) == (Action.DENY, 32767, ANY)
    assert acl.rules[0].ports == icmp_space(3, 4)
    assert [a.resource_id for a in acl.attachments] == ["subnet-a1", "subnet-a2"]
    assert acl.asset.name == "edge" and not acl.is_default
    allowed = acl.allowed(Direction.INGRESS)
    internet = AddressSet.parse("81.2.69.1/32")
    assert not allowed.allows(6, 22, internet)  # 90 deny before 100 allow
    assert allowed.allows(6, 443, internet)
    assert allowed.allows(6, 22, AddressSet.parse("2a05:d018::1/128"))  # 110 (IPv6) allows all


def test_nacl_real_star_entries_are_not_duplicated() -> None:
    acl = _by_id(normalize_region(_load()))["acl-real"]
    keys = [r.key for r in acl.rules]
    assert keys == [
        "acl-real:ingress:100",
        "acl-real:ingress:*",
        "acl-real:ingress:*:v6",
        "acl-real:egress:*",
    ]
    assert [r.builtin for r in acl.rules] == [False, True, True, True]
    assert not acl.is_default, "default-group-open is about default SGs, not the default NACL"


def test_logging_by_vpc_or_every_subnet() -> None:
    rs = _by_id(normalize_region(_load()))
    assert rs["sg-web"].logging is Logging.ON  # both subnets of vpc-a logged
    assert rs["sg-def"].logging is Logging.OFF  # only one of vpc-b's two subnets
    assert rs["sg-web"].log_scope is not None and rs["sg-web"].log_scope.name == "shop"
    assert rs["sg-web"].log_scope.resource_type == "vpc"
    assert rs["acl-edge"].logging is Logging.ON
    assert {r.logging for x in rs.values() for r in x.rules} == {Logging.UNKNOWN}  # no per-rule log
    unknown = normalize_region(
        AwsRegionRaw(**{**json.loads((GOLDEN / "region_raw.json").read_text()), "flow_logs": None})
    )
    assert {x.logging for x in unknown.rulesets} == {Logging.UNKNOWN}


def test_vpc_flow_log_must_be_active() -> None:
    sg = {"GroupId": "sg-1", "GroupName": "g", "VpcId": "vpc-1"}
    on = normalize_region(
        _raw(security_groups=[sg], flow_logs=[{"ResourceId": "vpc-1", "FlowLogStatus": "ACTIVE"}])
    )
    off = normalize_region(
        _raw(security_groups=[sg], flow_logs=[{"ResourceId": "vpc-1", "FlowLogStatus": "INACTIVE"}])
    )
    assert on.rulesets[0].logging is Logging.ON and off.rulesets[0].logging is Logging.OFF


def test_attachments_from_network_interfaces() -> None:
    rs = _by_id(normalize_region(_load()))
    eni1, eni2 = rs["sg-web"].attachments
    assert (eni1.resource_id, eni1.instance_id, eni1.subnet) == ("eni-1", "i-1", "subnet-a1")
    assert eni1.private_ips == ("10.0.1.5", "10.0.1.6")
    assert eni1.public_ips == ("81.2.69.160", "81.2.69.161") and eni1.is_public
    assert ("ipv6", "2a05:d018::5") in eni1.extra
    assert not eni2.is_public
    assert [a.resource_id for a in rs["sg-def"].attachments] == ["eni-2"]


def test_orphans_and_missing_ids_are_errors_not_drops() -> None:
    model = normalize_region(
        _raw(
            security_groups=[{"GroupName": "nameless"}],
            security_group_rules=[{"SecurityGroupRuleId": "sgr-x", "GroupId": "sg-gone"}],
            network_acls=[
                {"VpcId": "vpc-1"},
                {"NetworkAclId": "acl-1", "Entries": [{"Egress": False}]},
            ],
        )
    )
    text = "\n".join(model.errors)
    assert "nameless" in text and "sgr-x" in text and "sg-gone" in text
    assert "network ACL without NetworkAclId" in text and "acl-1: entry" in text


# -- property: the normalized NACL decides exactly like AWS's first match by number ----------------
entry = st.fixed_dictionaries(
    {
        "RuleNumber": st.integers(1, 200),
        "action": st.sampled_from(["allow", "deny"]),
        "lo": st.integers(0, 30),
        "width": st.integers(0, 10),
        "all": st.booleans(),
        "cidr": st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "81.2.69.0/24"]),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(entry, max_size=8, unique_by=lambda e: e["RuleNumber"]),
    st.integers(0, 45),
    st.sampled_from(["10.1.2.3", "81.2.69.9", "8.8.8.8"]),
)
def test_nacl_first_match_property(entries: list[dict[str, Any]], port: int, src: str) -> None:
    raw = [
        {
            "RuleNumber": e["RuleNumber"],
            "Egress": False,
            "RuleAction": e["action"],
            "CidrBlock": e["cidr"],
            "Protocol": "-1" if e["all"] else "6",
            **({} if e["all"] else {"PortRange": {"From": e["lo"], "To": e["lo"] + e["width"]}}),
        }
        for e in entries
    ]
    acl = normalize_region(_raw(network_acls=[{"NetworkAclId": "acl-p", "Entries": raw}]))
    rules = acl.rulesets[0].rules_for(Direction.INGRESS)
    assert [r.order for r in rules] == sorted(r.order for r in rules) and rules[-1].key.endswith(
        "*"
    )
    expected = False  # AWS: lowest number that matches decides; nothing matches -> `*` deny
    for e in sorted(raw, key=lambda x: int(x["RuleNumber"])):
        rng = e.get("PortRange")
        if (rng is None or rng["From"] <= port <= rng["To"]) and AddressSet.parse(
            str(e["CidrBlock"])
        ).covers(AddressSet.parse(src)):
            expected = e["RuleAction"] == "allow"
            break
    got = acl.rulesets[0].allowed(Direction.INGRESS).allows(6, port, AddressSet.parse(src))
    assert got is expected

"""AWS effective exposure on moto: NACL ∧ union of SGs ∧ NACL return path, public IP or not."""

from __future__ import annotations

import pytest
from exposure_support import Collected

from cloudfw.exposure import AssetExposure, build_paths, effective_exposure
from cloudfw.exposure.report import rows
from cloudfw.model.ports import ports_label, protocol_label


@pytest.fixture(scope="module")
def by_eni(aws_collected: Collected) -> dict[str, AssetExposure]:
    results = effective_exposure(build_paths(aws_collected.snapshot.rulesets))
    out = {aws_collected.name_of(r.path.asset.resource_id): r for r in results}
    assert {"exp-a-eni", "exp-b-eni", "exp-c-eni", "exp-d-eni"} <= set(out)
    return out


def _open(r: AssetExposure) -> set[str]:
    return {
        f"{protocol_label(e.protocols)}/{ports_label(e.protocols, e.ports)}" for e in r.reachable
    }


def test_collection_is_complete(aws_collected: Collected) -> None:
    assert aws_collected.snapshot.complete


def test_nacl_deny_hides_sg_allow(
    aws_collected: Collected, by_eni: dict[str, AssetExposure]
) -> None:
    r = by_eni["exp-a-eni"]
    ids = aws_collected.ids
    assert [layer.name for layer in r.path.layers] == [
        "subnet:network-acl",
        "interface:security-group",
    ]
    assert _open(r) == {"tcp/443"}
    (https,) = r.reachable
    acl = ids["exp-deny-acl"]
    assert [h.ruleset for h in https.path] == [acl, ids["exp-a-sg"]]
    assert https.path[0].rule == f"{acl}:ingress:100"
    assert https.path[1].rule.startswith("sgr-")
    (blocked,) = r.blocked
    assert (protocol_label(blocked.protocols), str(blocked.ports)) == ("tcp", "22")
    assert blocked.opened_by.ruleset == ids["exp-a-sg"]
    assert (blocked.blocked_by.ruleset, blocked.blocked_by.rule) == (acl, f"{acl}:ingress:90")
    assert blocked.reason == "ingress"


def test_nacl_return_path_blocks_replies(
    aws_collected: Collected, by_eni: dict[str, AssetExposure]
) -> None:
    """The egress side allows only 32768-65535: replies to 1024-32767 are dropped."""
    r = by_eni["exp-b-eni"]
    acl = aws_collected.ids["exp-noreturn-acl"]
    assert r.path.layers[0].stateless
    assert r.reachable == ()
    (blocked,) = r.blocked
    assert str(blocked.ports) == "22" and blocked.reason == "return-path"
    assert blocked.blocked_by.layer == "subnet:network-acl(return)"
    assert blocked.blocked_by.rule == f"{acl}:egress:*"


def test_open_subnet_union_of_groups(
    aws_collected: Collected, by_eni: dict[str, AssetExposure]
) -> None:
    r = by_eni["exp-c-eni"]
    ids = aws_collected.ids
    assert r.path.public and r.path.public_ips
    assert _open(r) == {"tcp/22", "tcp/8080"}
    groups = {e.path[-1].ruleset for e in r.reachable}
    assert groups == {ids["exp-c-sg"], ids["exp-c2-sg"]}
    assert r.path.layers[1].ids == tuple(sorted((ids["exp-c-sg"], ids["exp-c2-sg"])))
    assert r.blocked == ()


def test_no_public_ip_is_not_reachable(by_eni: dict[str, AssetExposure]) -> None:
    r = by_eni["exp-d-eni"]
    assert r.path.public is False and r.path.public_note == "no public IP"
    assert [str(e.ports) for e in r.exposures] == ["22"]  # the rules are open...
    assert r.reachable == ()  # ...but nothing on the internet can address it
    listed = {row["asset"] for row in rows([r])}
    assert listed == set()
    assert {row["verdict"] for row in rows([r], everything=True)} == {"no public address"}

"""Small rule-set builders for the pure stacking tests (real model objects, no I/O)."""

from __future__ import annotations

from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Rule,
    RuleSet,
    parse_ports,
    parse_protocol,
)

IN, OUT = Direction.INGRESS, Direction.EGRESS


def rule(
    key: str,
    direction: Direction = IN,
    action: Action = Action.ALLOW,
    proto: str = "tcp",
    ports: str = "*",
    peers: str = "0.0.0.0/0",
    order: int = 0,
    layer: int = 0,
    local: str = "*",
    targets: frozenset[str] = frozenset(),
    description: str = "",
) -> Rule:
    return Rule(
        key=key,
        direction=direction,
        action=action,
        protocols=parse_protocol(proto),
        ports=parse_ports(ports),
        peers=AddressSet.parse_many(peers.split(",")),
        local=AddressSet.parse(local),
        order=order,
        layer=layer,
        targets=targets,
        description=description,
    )


def eni(eid: str, subnet: str, public: bool = True, ip: str = "10.0.1.10") -> Attachment:
    pubs = ("54.1.2.3",) if public else ()
    return Attachment("network-interface", eid, f"i-{eid}", (ip,), pubs, subnet)


def sg(gid: str, rules: list[Rule], atts: tuple[Attachment, ...] = ()) -> RuleSet:
    return RuleSet(
        Asset("aws", "111", "us-east-1", "security-group", gid),
        EvalSemantics.ALLOW_UNION,
        tuple(rules),
        attachments=atts,
    )


def nacl(aid: str, rules: list[Rule], subnets: tuple[str, ...]) -> RuleSet:
    star = [
        rule(f"{aid}:ingress:*", IN, Action.DENY, "all", peers="*", order=32767),
        rule(f"{aid}:egress:*", OUT, Action.DENY, "all", peers="*", order=32767),
    ]
    return RuleSet(
        Asset("aws", "111", "us-east-1", "network-acl", aid),
        EvalSemantics.FIRST_MATCH_BY_NUMBER,
        tuple(rules + star),
        attachments=tuple(Attachment("subnet", s, subnet=s) for s in subnets),
    )


def open_nacl(aid: str, subnets: tuple[str, ...]) -> RuleSet:
    return nacl(
        aid,
        [
            rule(f"{aid}:ingress:100", IN, proto="all", order=100, peers="0.0.0.0/0"),
            rule(f"{aid}:egress:100", OUT, proto="all", order=100, peers="0.0.0.0/0"),
        ],
        subnets,
    )

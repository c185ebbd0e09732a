"""Evaluation semantics: first match, deny-wins-ties, pf quick, Windows block-overrides, layers."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import (
    ANY,
    Action,
    AddressSet,
    Asset,
    Direction,
    EvalSemantics,
    Rule,
    RuleSet,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.ports import ALL_PORTS
from cloudfw.model.ruleset import DEFAULT_KEY
from cloudfw.model.space import Box

ASSET = Asset("test", "acct", "r", "t", "id")
TCP = parse_protocol("tcp")
WORLD = AddressSet.parse("0.0.0.0/0")
IN = Direction.INGRESS


def rule(
    key: str,
    action: Action,
    ports: str = "*",
    peers: str = "0.0.0.0/0",
    order: int = 0,
    layer: int = 0,
    quick: bool = False,
    proto: str = "tcp",
) -> Rule:
    return Rule(
        key,
        IN,
        action,
        parse_protocol(proto),
        parse_ports(ports),
        AddressSet.parse(peers),
        order=order,
        layer=layer,
        quick=quick,
    )


def ssh_peers(rs: RuleSet) -> AddressSet:
    return rs.allowed(IN).peers_for(TCP, parse_ports("22"))


def rs_of(sem: EvalSemantics, *rules: Rule, default: Action = Action.DENY) -> RuleSet:
    return RuleSet(ASSET, sem, rules, default_ingress=default)


def test_nacl_deny_first_hides_allow() -> None:
    rs = rs_of(
        EvalSemantics.FIRST_MATCH_BY_NUMBER,
        rule("allow", Action.ALLOW, order=100, proto="-1"),
        rule("deny22", Action.DENY, "22", order=90),
    )
    assert ssh_peers(rs).is_empty()
    assert rs.allowed(IN).peers_for(TCP, parse_ports("443")) == WORLD
    assert rs.allowed(IN).restrict(TCP, parse_ports("443")).rule_keys() == ("allow",)


def test_allow_before_deny_wins() -> None:
    rs = rs_of(
        EvalSemantics.FIRST_MATCH_BY_NUMBER,
        rule("allow22", Action.ALLOW, "22", order=80),
        rule("deny22", Action.DENY, "22", order=90),
    )
    assert ssh_peers(rs) == WORLD


def test_partial_deny_carves_peers() -> None:
    rs = rs_of(
        EvalSemantics.PRIORITY_FIRST_MATCH,
        rule("deny-office", Action.DENY, "22", "8.8.8.0/24", order=100),
        rule("allow-any", Action.ALLOW, "*", "*", order=200),
    )
    peers = ssh_peers(rs)
    assert not peers.covers(AddressSet.parse("8.8.8.8"))
    assert peers.covers(AddressSet.parse("1.1.1.1"))
    assert peers.is_internet()


def test_deny_wins_ties_only_for_gcp_semantics() -> None:
    allow = rule("allow", Action.ALLOW, "22", order=1000)
    deny = rule("deny", Action.DENY, "22", order=1000)
    assert ssh_peers(rs_of(EvalSemantics.PRIORITY_DENY_WINS_TIES, allow, deny)).is_empty()
    assert ssh_peers(rs_of(EvalSemantics.PRIORITY_DENY_WINS_TIES, deny, allow)).is_empty()


def test_pf_last_match_unless_quick() -> None:
    block_all = rule("block", Action.DENY, order=1, proto="-1")
    pass22 = rule("pass22", Action.ALLOW, "22", order=2)
    assert ssh_peers(rs_of(EvalSemantics.LAST_MATCH_UNLESS_QUICK, block_all, pass22)) == WORLD
    quick_block = rule("qblock", Action.DENY, order=1, quick=True, proto="-1")
    assert ssh_peers(rs_of(EvalSemantics.LAST_MATCH_UNLESS_QUICK, quick_block, pass22)).is_empty()
    pass_then_block = rs_of(
        EvalSemantics.LAST_MATCH_UNLESS_QUICK,
        rule("p", Action.ALLOW, "22", order=1),
        rule("b", Action.DENY, order=2, proto="-1"),
    )
    assert ssh_peers(pass_then_block).is_empty()


def test_windows_block_overrides_allow() -> None:
    allow = rule("allow", Action.ALLOW, "22", order=1)
    block = rule("block", Action.DENY, "22", order=2)
    assert ssh_peers(rs_of(EvalSemantics.BLOCK_OVERRIDES_ALLOW, allow, block)).is_empty()
    bypass = Rule("bypass", IN, Action.ALLOW_BYPASS, TCP, parse_ports("22"), WORLD, order=3)
    assert ssh_peers(rs_of(EvalSemantics.BLOCK_OVERRIDES_ALLOW, allow, block, bypass)) == WORLD


def test_policy_layers_and_goto_next() -> None:
    hier_deny = rule("org:deny22", Action.DENY, "22", order=10, layer=0)
    vpc_allow = rule("vpc:allow22", Action.ALLOW, "22", order=1000, layer=2)
    rs = rs_of(EvalSemantics.POLICY_THEN_VPC, hier_deny, vpc_allow)
    assert ssh_peers(rs).is_empty()
    hier_goto = rule("org:goto", Action.GOTO_NEXT, "22", order=10, layer=0)
    hier_deny_later = rule("org:deny-all", Action.DENY, "22", order=20, layer=0)
    rs = rs_of(EvalSemantics.POLICY_THEN_VPC, hier_goto, hier_deny_later, vpc_allow)
    assert ssh_peers(rs) == WORLD, "goto_next skips the rest of its layer"
    hier_allow = rule("org:allow22", Action.ALLOW, "22", order=10, layer=0)
    vpc_deny = rule("vpc:deny22", Action.DENY, "22", order=1, layer=2)
    assert ssh_peers(rs_of(EvalSemantics.POLICY_THEN_VPC, hier_allow, vpc_deny)) == WORLD


def test_default_allow_and_disabled_ruleset() -> None:
    rs = rs_of(EvalSemantics.CHAIN_FIRST_MATCH, rule("d", Action.DENY, "22"), default=Action.ALLOW)
    assert ssh_peers(rs) == AddressSet.parse("::/0"), "a v4-only deny leaves IPv6 open"
    rs = rs_of(
        EvalSemantics.CHAIN_FIRST_MATCH, rule("d", Action.DENY, "22", "*"), default=Action.ALLOW
    )
    assert ssh_peers(rs).is_empty()
    https = rs.allowed(IN).restrict(TCP, parse_ports("443"))
    assert https.rule_keys() == (DEFAULT_KEY,)
    off = RuleSet(
        ASSET, EvalSemantics.CHAIN_FIRST_MATCH, (rule("d", Action.DENY, "22"),), enabled=False
    )
    assert ssh_peers(off) == ANY


def test_targets_limit_rules() -> None:
    tagged = Rule(
        "web", IN, Action.ALLOW, TCP, parse_ports("22"), WORLD, targets=frozenset({"tag:web"})
    )
    rs = rs_of(EvalSemantics.PRIORITY_DENY_WINS_TIES, tagged)
    assert rs.target_profiles() == (frozenset(), frozenset({"tag:web"}))
    assert rs.allowed(IN).is_empty()
    assert rs.allowed(IN, frozenset({"tag:web"})).peers_for(TCP, ALL_PORTS) == WORLD


ports_st = st.sampled_from(["22", "80", "443", "20-25", "*", "1000-2000"])
peers_st = st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "8.8.8.0/24", "::/0", "*"])
action_st = st.sampled_from([Action.ALLOW, Action.DENY])
rules_st = st.lists(
    st.builds(lambda a, p, s: (a, p, s), action_st, ports_st, peers_st), min_size=1, max_size=6
)


def build(spec: list[tuple[Action, str, str]], order_from: int = 0) -> list[Rule]:
    return [rule(f"r{i}", a, p, s, order=order_from + i) for i, (a, p, s) in enumerate(spec)]


def brute_force(rules: list[Rule], port: int, addr: str) -> bool:
    peer = AddressSet.parse(addr)
    for r in sorted(rules, key=lambda r: r.order):
        if 6 in r.protocols and port in r.ports and r.peers.covers(peer):
            return r.action is Action.ALLOW
    return False


@settings(max_examples=150)
@given(rules_st)
def test_first_match_agrees_with_brute_force(spec: list[tuple[Action, str, str]]) -> None:
    rules = build(spec)
    space = rs_of(EvalSemantics.FIRST_MATCH_BY_NUMBER, *rules).allowed(IN)
    for port, addr in itertools.product(
        [22, 80, 443, 1500, 3000], ["1.1.1.1", "10.1.1.1", "8.8.8.8", "2001:4860::1"]
    ):
        expected = brute_force(rules, port, addr)
        assert space.allows(6, port, AddressSet.parse(addr)) == expected, (port, addr)


@given(rules_st, st.randoms())
def test_allow_union_is_order_independent(spec: list[tuple[Action, str, str]], rnd: object) -> None:
    allows = [(Action.ALLOW, p, s) for _, p, s in spec]
    rules = build(allows)
    shuffled = list(rules)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = rs_of(EvalSemantics.ALLOW_UNION, *rules).allowed(IN)
    b = rs_of(EvalSemantics.ALLOW_UNION, *shuffled).allowed(IN)
    for port in (22, 80, 443, 1500):
        for addr in ("1.1.1.1", "10.1.1.1", "::1"):
            peer = AddressSet.parse(addr)
            assert a.allows(6, port, peer) == b.allows(6, port, peer)


@given(rules_st)
def test_boxes_of_first_match_are_disjoint(spec: list[tuple[Action, str, str]]) -> None:
    space = rs_of(EvalSemantics.FIRST_MATCH_BY_NUMBER, *build(spec)).allowed(IN)
    for x, y in itertools.combinations(space.boxes, 2):
        assert x.intersect(y) is None


@given(rules_st)
def test_box_minus_partitions(spec: list[tuple[Action, str, str]]) -> None:
    rules = build(spec)
    a = Box(TCP, parse_ports("0-3000"), ANY, ANY)
    for r in rules:
        b = Box(r.protocols, r.ports, r.peers, r.local)
        parts = a.minus(b)
        for p in parts:
            assert p.intersect(b) is None
        inter = a.intersect(b)
        for port in (22, 80, 443, 1500, 2999):
            for addr in ("1.1.1.1", "10.1.1.1", "::1"):
                peer = AddressSet.parse(addr)
                in_a = port in a.ports
                in_parts = any(port in p.ports and p.peers.covers(peer) for p in parts)
                in_inter = inter is not None and port in inter.ports and inter.peers.covers(peer)
                assert in_a == (in_parts or in_inter)


def test_multi_target_rule_is_judged_for_each_target() -> None:
    web = frozenset({"tag:web"})
    deny_web = Rule("deny-web", IN, Action.DENY, order=100, targets=web)
    allow = Rule("allow-ssh", IN, Action.ALLOW, TCP, parse_ports("22"), WORLD, order=1000,
                 targets=frozenset({"tag:web", "tag:app"}))  # fmt: skip
    rs = rs_of(EvalSemantics.PRIORITY_DENY_WINS_TIES, deny_web, allow)
    assert frozenset({"tag:app"}) in rs.target_profiles()
    assert rs.allowed(IN, frozenset({"tag:app"})).peers_for(TCP, parse_ports("22")) == WORLD
    assert rs.allowed(IN, web).peers_for(TCP, parse_ports("22")).is_empty()

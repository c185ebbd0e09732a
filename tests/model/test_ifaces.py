"""Interfaces in the model: conditions, interface classes, and first-match evaluation of rules
bound to interfaces, checked against a packet-by-packet simulation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import (
    ALL_PORTS,
    ANY,
    EVERY_IFACE,
    Action,
    Asset,
    Box,
    Direction,
    EvalSemantics,
    IfaceMatch,
    IfaceTable,
    Interface,
    Intervals,
    Rule,
    RuleSet,
    parse_protocol,
)
from cloudfw.model.encode import rule_to_dict, ruleset_to_dict
from cloudfw.model.serde import rule_from_dict, ruleset_from_dict

NAMES = ["eth0", "eth1", "eth10", "wg0", "lo", "docker0", "br-1a2b", "em0"]
PATTERNS = [*NAMES, "eth*", "e*", "br-*", "group:egress", "group:em", "group:lan"]
GROUPS = ["egress", "lan"]

matches = st.builds(
    IfaceMatch.of,
    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3),
    st.booleans(),
)
conds = st.lists(matches, min_size=1, max_size=3).map(
    lambda ms: ms[0] if len(ms) == 1 else _all(ms)
)
ifaces = st.builds(
    Interface,
    st.sampled_from([*NAMES, "eth7", "ethx", "brx", "vlan5", "e"]),
    groups=st.lists(st.sampled_from(GROUPS), max_size=2, unique=True).map(tuple),
)


def _all(ms: list[IfaceMatch]) -> IfaceMatch:
    out = ms[0]
    for m in ms[1:]:
        out = out & m
    return out


@given(conds, conds, ifaces)
def test_conjunction_and_negation_are_exact(a: IfaceMatch, b: IfaceMatch, i: Interface) -> None:
    assert (a & b).matches(i) == (a.matches(i) and b.matches(i))
    assert any(n.matches(i) for n in a.negations()) == (not a.matches(i))
    if a.never():
        assert not a.matches(i)


def test_iptables_plus_is_a_prefix_and_common_conjunctions_stay_one_clause() -> None:
    assert IfaceMatch.of(["eth+"]) == IfaceMatch.of(["eth*"])
    assert IfaceMatch.of(["eth+"]).matches(Interface("eth3"))
    assert not IfaceMatch.of(["eth+"]).matches(Interface("wg0"))
    docker = IfaceMatch.of(["docker0"]) & IfaceMatch.of(["br-1a2b"], negated=True)
    assert docker == IfaceMatch.of(["docker0"])
    assert (IfaceMatch.of(["docker0"]) & IfaceMatch.of(["docker0"], True)).never()
    assert str(IfaceMatch.of(["lo"], True) & IfaceMatch.of(["docker0"], True)) == "!{docker0 lo}"


@settings(max_examples=300)
@given(st.lists(conds, max_size=4), st.lists(conds, max_size=2), ifaces)
def test_every_interface_falls_in_a_class_that_every_condition_treats_alike(
    ins: list[IfaceMatch], outs: list[IfaceMatch], i: Interface
) -> None:
    table = IfaceTable.build(ins, outs)
    c = table.class_of(i, True)
    assert c in table.inbound
    for m in ins:
        assert m.matches(c) == m.matches(i), (m, c, i)


def test_known_interfaces_are_their_own_classes() -> None:
    known = (Interface("eth0", ("203.0.113.9/24",), default_route=True), Interface("eth1"))
    table = IfaceTable.build([IfaceMatch.of(["eth+"])], [], known)
    assert table.class_of(Interface("eth0")) is table.inbound[0]
    assert table.class_of(Interface("eth5")).name == "eth*"
    assert table.class_of(Interface("wg0")).name == "(other)"
    assert known[0].internet_facing and not known[1].internet_facing
    assert not Interface("lo", ("127.0.0.1/8",), default_route=True).internet_facing
    assert Interface("ens5", ("198.18.0.1/15", "2600:1f18::5/64")).internet_facing


# -- first match with interfaces, against a simulation ------------------------------------------

TCP = parse_protocol("tcp")
rules_st = st.lists(
    st.tuples(
        st.sampled_from([Action.ALLOW, Action.DENY]),
        st.sampled_from(["tcp", "udp"]),
        st.integers(20, 25).flatmap(lambda lo: st.tuples(st.just(lo), st.integers(lo, 25))),
        st.one_of(st.none(), matches),
        st.one_of(st.none(), matches),
    ),
    max_size=6,
)
packets = st.tuples(
    st.sampled_from(["tcp", "udp"]),
    st.integers(19, 26),
    st.sampled_from([*NAMES, "eth7", "wg9"]),
    st.sampled_from([*NAMES, "eth7", "wg9"]),
)


def _chain(spec: list[tuple[Action, str, tuple[int, int], IfaceMatch | None, IfaceMatch | None]],
           default: Action) -> RuleSet:  # fmt: skip
    rules = tuple(
        Rule(
            f"#{n}",
            Direction.INGRESS,
            act,
            parse_protocol(p),
            Intervals.of(ports),
            order=n,
            in_iface=i,
            out_iface=o,
        )
        for n, (act, p, ports, i, o) in enumerate(spec, 1)
    )
    asset = Asset("host", "h", "", "iptables:filter/FORWARD", "h:fwd")
    return RuleSet(asset, EvalSemantics.CHAIN_FIRST_MATCH, rules, default_ingress=default)


@settings(max_examples=400)
@given(rules_st, st.sampled_from([Action.ALLOW, Action.DENY]), st.lists(packets, max_size=8))
def test_first_match_with_interfaces_matches_a_packet_simulation(
    spec: list[tuple[Action, str, tuple[int, int], IfaceMatch | None, IfaceMatch | None]],
    default: Action,
    pkts: list[tuple[str, int, str, str]],
) -> None:
    rs = _chain(spec, default)
    space = rs.allowed(Direction.INGRESS)
    table = rs.iface_table()
    for proto, port, iin, iout in pkts:
        pi, po = Interface(iin), Interface(iout)
        pnum = 6 if proto == "tcp" else 17
        want = default.permits
        for r in rs.rules:
            if (
                pnum in r.protocols
                and port in r.ports
                and (r.in_iface is None or r.in_iface.matches(pi))
                and (r.out_iface is None or r.out_iface.matches(po))
            ):
                want = r.action.permits
                break
        if table is None:
            bit = EVERY_IFACE
        else:
            ci, co = table.class_of(pi, True), table.class_of(po, False)
            bit = 1 << (table.inbound.index(ci) * len(table.outbound) + table.outbound.index(co))
        got = any(b.contains_point(pnum, port) and b.ifaces & bit for b in space.boxes)
        assert got == want, (proto, port, iin, iout)


def test_a_deny_on_one_interface_does_not_shadow_an_allow_on_another() -> None:
    rs = _chain(
        [
            (Action.DENY, "tcp", (22, 22), IfaceMatch.of(["eth0"]), None),
            (Action.ALLOW, "tcp", (22, 22), IfaceMatch.of(["eth1"]), None),
        ],
        Action.DENY,
    )
    (box,) = rs.allowed(Direction.INGRESS).boxes
    table = rs.iface_table()
    assert table is not None
    assert [c.name for c in table.classes_of(box.ifaces, True)] == ["eth1"]


# -- boxes ------------------------------------------------------------------------------------

bits = st.integers(0, 15)
small = st.integers(0, 5).flatmap(lambda lo: st.tuples(st.just(lo), st.integers(lo, 5)))


@given(small, small, bits, small, small, bits)
def test_box_difference_with_interfaces_is_exact(
    pa: tuple[int, int], qa: tuple[int, int], fa: int,
    pb: tuple[int, int], qb: tuple[int, int], fb: int,
) -> None:  # fmt: skip
    a = Box(Intervals.of(pa), Intervals.of(qa), ANY, ANY, "a", fa)
    b = Box(Intervals.of(pb), Intervals.of(qb), ANY, ANY, "b", fb)
    pieces = a.minus(b)
    meet = a.intersect(b)
    for p in range(6):
        for q in range(6):
            for f in range(4):
                in_a = p in a.protocols and q in a.ports and bool(a.ifaces >> f & 1)
                in_b = p in b.protocols and q in b.ports and bool(b.ifaces >> f & 1)
                hits = sum(
                    1 for x in pieces if p in x.protocols and q in x.ports and x.ifaces >> f & 1
                )
                assert hits == (1 if in_a and not in_b else 0)
                in_meet = meet is not None and p in meet.protocols and q in meet.ports
                assert (in_meet and bool(meet is not None and meet.ifaces >> f & 1)) == (
                    in_a and in_b
                )
    assert Box(ALL_PORTS, ALL_PORTS, ANY, ANY, "", 0).is_empty()


# -- serialization ----------------------------------------------------------------------------


def test_interface_bindings_and_lists_round_trip() -> None:
    r = Rule("#1", Direction.INGRESS, Action.ALLOW, TCP, Intervals.of((22, 22)),
             in_iface=IfaceMatch.of(["eth+"]) & IfaceMatch.of(["eth0"], True),
             out_iface=IfaceMatch.of(["docker0"]))  # fmt: skip
    d = rule_to_dict(r)
    assert d["in_iface"] == [{"any": ["eth*"]}, {"none": ["eth0"]}]
    assert rule_from_dict(d, "$") == r
    rs = RuleSet(
        Asset("host", "h", "", "iptables:filter/INPUT", "h:in"),
        EvalSemantics.CHAIN_FIRST_MATCH,
        (r,),
        interfaces=(Interface("eth0", ("192.0.2.4/24",), ("egress",), True), Interface("lo")),
    )
    assert ruleset_from_dict(ruleset_to_dict(rs), "$") == rs
    assert r.summary() == "allow ingress tcp/22 from * in on eth* and !eth0 out on docker0"

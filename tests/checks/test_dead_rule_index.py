"""The dead-rule walk's index (decided boxes by protocol, bounds on ports, addresses and
interfaces) finds exactly what comparing every rule with every earlier one finds."""

from __future__ import annotations

from dataclasses import replace

from checks_helpers import findings, rule, ruleset
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cloudfw.checks.deadwalk import Walked, profile_walks
from cloudfw.checks.deadwalk import walk as _walk
from cloudfw.model import (
    Action,
    AddressSet,
    Boxes,
    Direction,
    EvalSemantics,
    IfaceMatch,
    Intervals,
    Rule,
)
from cloudfw.model.asset import SourceRef

PEERS = ["0.0.0.0/0", "::/0", "10.0.0.0/8", "10.1.0.0/16", "8.8.8.8/32", "2600:1f00::/40",
         "sg:sg-0abc", "192.168.0.0/16", "0.0.0.0/1"]  # fmt: skip
LOCALS = ["0.0.0.0/0", "172.17.0.2/32", "172.17.0.0/16", "::/0", "127.0.0.0/8"]
PROTOS = [Intervals.of((6, 6)), Intervals.of((17, 17)), Intervals.of((0, 255)),
          Intervals.of((1, 1)), Intervals.of((1, 17)), Intervals.of((6, 6), (17, 17)),
          Intervals.of((50, 50))]  # fmt: skip
PORTS = ["22", "20-25", "443", "0-65535", "8080", "1024-65535", "53", "*"]
ACTIONS = [Action.ALLOW, Action.DENY, Action.DENY, Action.GOTO_NEXT, Action.LOG]
IFACES = [None, None, IfaceMatch.of(["eth0"]), IfaceMatch.of(["docker0"]),
          IfaceMatch.of(["docker0"], True), IfaceMatch.of(["eth+"])]  # fmt: skip


@st.composite
def rules(draw: st.DrawFn, i: int) -> Rule:
    ports = draw(st.sampled_from(PORTS))
    r = rule(f"r{i}", "tcp", ports, draw(st.lists(st.sampled_from(PEERS), min_size=1, max_size=2)),
             draw(st.sampled_from(ACTIONS)), order=i)  # fmt: skip
    local = AddressSet.parse_many(draw(st.lists(st.sampled_from(LOCALS), min_size=1, max_size=2)))
    return replace(
        r,
        protocols=draw(st.sampled_from(PROTOS)),
        local=local,
        layer=draw(st.sampled_from([0, 0, 1])),
        in_iface=draw(st.sampled_from(IFACES)),
        out_iface=draw(st.sampled_from(IFACES)),
        unresolved=draw(st.sampled_from(["", "", "", "match not modeled"])),
    )


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(*(rules(i) for i in range(n)))))  # fmt: skip
def test_the_indexed_walk_equals_the_naive_one(rs_rules: tuple[Rule, ...]) -> None:
    rs = ruleset(*rs_rules, semantics=EvalSemantics.POLICY_THEN_VPC)
    boxes = Boxes(rs.iface_table())
    order = rs.evaluation_order(Direction.INGRESS)
    assert _walk(order, boxes, indexed=True) == _walk(order, boxes, indexed=False)


def test_rule_sets_of_one_shape_share_verdicts_but_keep_their_own_names() -> None:
    """Two hosts with the same rules read from different files: the second reuses the first's
    judgement, and its findings name its own asset and origins, as if judged alone."""
    base = (
        rule("a", "tcp", "0-65535", ["0.0.0.0/0"], Action.DENY, order=1),
        rule("b", "tcp", "22", ["0.0.0.0/0"], Action.ALLOW, order=2),
    )

    def host(name: str) -> list[str]:
        rs_rules = [replace(r, origin=SourceRef("file", f"{name}.rules", i))
                    for i, r in enumerate(base, 1)]  # fmt: skip
        rs = ruleset(*rs_rules, semantics=EvalSemantics.CHAIN_FIRST_MATCH)
        rs = replace(rs, asset=replace(rs.asset, resource_id=name, name=name))
        dead = [f for f in findings(rs) if f.check == "shadowed-rule"]
        assert dead and all(f.asset.resource_id == name for f in dead)
        return [str(f.evidence) for f in dead]

    first, second = host("web-1"), host("web-2")
    assert "web-1.rules" in first[0] and "web-2.rules" in second[0]
    assert first[0].replace("web-1", "web-2") == second[0]


TARGETS = [frozenset(), frozenset(), frozenset({"web"}), frozenset({"db"}),
           frozenset({"web", "db"}), frozenset({"sa:svc@p.iam"})]  # fmt: skip


@st.composite
def targeted(draw: st.DrawFn, i: int, goto: bool) -> Rule:
    """A rule of a target-selected rule set; a targeted one hands traffic on only if ``goto``."""
    r = replace(
        draw(rules(i)), targets=draw(st.sampled_from(TARGETS)), order=draw(st.integers(0, 12))
    )
    if r.targets and r.action is Action.GOTO_NEXT and not goto:
        r = replace(r, action=draw(st.sampled_from([Action.ALLOW, Action.DENY])))
    return r


WEB = frozenset({"web"})
# a targeted rule before an untargeted one that covers it; one in the layer after a goto_next
BEFORE = (rule("u", order=5), replace(rule("t", order=1), targets=WEB))
HANDED_ON = (rule("g", action=Action.GOTO_NEXT, order=5),
             replace(rule("t", order=1, layer=1), targets=WEB))  # fmt: skip


@settings(max_examples=400, deadline=None)
@example(BEFORE)
@example(HANDED_ON)
@given(st.booleans().flatmap(lambda goto: st.integers(min_value=1, max_value=30).flatmap(
    lambda n: st.tuples(*(targeted(i, goto) for i in range(n))))))  # fmt: skip
def test_profiles_judged_from_the_untagged_walk_equal_each_profile_walked_alone(
    rs_rules: tuple[Rule, ...],
) -> None:
    """A target-selected rule set (tags, service accounts, layers, goto_next, log and unresolved
    rules, equal priorities): sharing the untagged walk gives every profile's verdicts, in the
    same order, that walking each profile from the start gives (and a targeted goto_next rule,
    where sharing does not hold, walks every profile)."""
    rs = ruleset(*rs_rules, semantics=EvalSemantics.POLICY_THEN_VPC)
    boxes = Boxes(rs.iface_table())
    shared = profile_walks(rs, Direction.INGRESS, boxes)
    alone = profile_walks(rs, Direction.INGRESS, boxes, share=False)
    assert set(shared) == set(alone)
    assert _reported(shared) == _reported(alone)


def _reported(walked: Walked) -> list[tuple[str, list[tuple[bool, tuple[str, ...]]]]]:
    """What the check reports from a walk: a rule alive under some profile never is (the shared
    walk does not judge it again), and a deciding rule is named once however its traffic was
    cut into boxes."""
    return [(k, [(v[0], tuple(dict.fromkeys(v[1]))) for v in vs if v is not None])
            for k, vs in walked.items() if None not in vs]  # fmt: skip

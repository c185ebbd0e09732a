"""Property tests: the checks respect the algebra of the rule sets they read."""

from __future__ import annotations

from typing import Any

from checks_helpers import ALLOW, DENY, IN, OUT, findings, rule, ruleset
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import Finding, Rule
from cloudfw.model.rule import EvalSemantics

PEERS = [
    "0.0.0.0/0", "::/0", "10.0.0.0/8", "8.0.0.0/8", "81.2.69.0/24", "0.0.0.0/1",
    "128.0.0.0/1", "2600:1f00::/40", "sg:sg-0abc", "11.0.0.0/7",
]  # fmt: skip
PORTS = ["22", "20-25", "3389", "443", "0-65535", "6379", "1024-65535", "88", "161"]


@st.composite
def rules(draw: st.DrawFn, key: str) -> Rule:
    proto = draw(st.sampled_from(["tcp", "udp", "-1"]))
    return rule(
        key,
        proto,
        "*" if proto == "-1" else draw(st.sampled_from(PORTS)),
        draw(st.lists(st.sampled_from(PEERS), min_size=1, max_size=2)),
        ALLOW,
        direction=draw(st.sampled_from([IN, IN, OUT])),
    )


@st.composite
def rule_lists(draw: st.DrawFn, min_size: int = 0) -> list[Rule]:
    n = draw(st.integers(min_value=min_size, max_value=6))
    return [draw(rules(f"r{i}")) for i in range(n)]


POLICY: dict[str, dict[str, Any]] = {
    "allow-all": {"directions": ["ingress", "egress"]},
    "internet-ingress": {"threshold": 0.6},
}


def canon(fs: list[Finding]) -> set[tuple[object, ...]]:
    return {
        (
            f.check,
            f.severity,
            f.asset,
            f.rule_keys,
            f.direction,
            f.protocol,
            f.ports,
            f.peers,
            f.message,
        )
        for f in fs
    }


def weak(fs: list[Finding]) -> set[tuple[object, ...]]:
    """What must survive adding an allow rule: which checks fire (the naming may change), and
    per-rule findings by rule. A service folded into ``allow-all`` still counts as exposed."""
    out = {(f.check, f.rule_keys) if f.check == "wide-public-source" else (f.check,) for f in fs}
    for f in fs:
        services = f.evidence.get("services", []) if f.check == "allow-all" else []
        assert isinstance(services, list)
        out |= {(f"internet-ingress[{svc}]",) for svc in services}
    return out


@settings(max_examples=60, deadline=None)
@given(rule_lists(), st.booleans(), st.randoms(use_true_random=False))
def test_permuting_an_allow_union_set_changes_nothing(
    rs_rules: list[Rule], is_default: bool, rnd: object
) -> None:
    shuffled = list(rs_rules)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    before = findings(ruleset(*rs_rules, is_default=is_default), checks=POLICY)
    after = findings(ruleset(*shuffled, is_default=is_default), checks=POLICY)
    assert canon(before) == canon(after)


@settings(max_examples=60, deadline=None)
@given(rule_lists(), rules("extra"), st.booleans())
def test_adding_an_allow_rule_never_removes_findings(
    rs_rules: list[Rule], extra: Rule, is_default: bool
) -> None:
    before = findings(ruleset(*rs_rules, is_default=is_default), checks=POLICY)
    after = findings(ruleset(*rs_rules, extra, is_default=is_default), checks=POLICY)
    assert weak(before) <= weak(after)


@settings(max_examples=40, deadline=None)
@given(
    rule_lists(min_size=1),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.randoms(use_true_random=False),
)
def test_numbered_rule_sets_depend_on_numbers_not_on_list_position(
    rs_rules: list[Rule], denies: list[bool], rnd: object
) -> None:
    from dataclasses import replace

    numbered = [
        replace(r, order=100 + 10 * i, action=DENY if denies[i] else ALLOW)
        for i, r in enumerate(rs_rules)
    ]
    shuffled = list(numbered)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    sem = EvalSemantics.FIRST_MATCH_BY_NUMBER
    before = findings(ruleset(*numbered, semantics=sem), checks=POLICY)
    after = findings(ruleset(*shuffled, semantics=sem), checks=POLICY)
    assert canon(before) == canon(after)


@settings(max_examples=80, deadline=None)
@given(
    rule_lists(),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.sampled_from(
        [EvalSemantics.ALLOW_UNION, EvalSemantics.APP_LEVEL, EvalSemantics.PRIORITY_FIRST_MATCH]
    ),
    st.booleans(),
    st.booleans(),
    st.sampled_from([frozenset(), frozenset({"web"})]),
)
def test_hot_path_matches_the_model(
    rs_rules: list[Rule],
    flags: list[bool],
    sem: EvalSemantics,
    enabled: bool,
    default_allow: bool,
    profile: frozenset[str],
) -> None:
    from dataclasses import replace

    from cloudfw.checks.base import ShareCache, allowed_public, public_boxes
    from cloudfw.model import Action, Direction

    varied = [
        replace(
            r,
            enabled=flags[i] or i % 2 == 0,
            action=DENY if (flags[i] and i % 3 == 0) else ALLOW,
            targets=frozenset({"web"}) if (not flags[i] and i % 3 == 1) else frozenset(),
        )
        for i, r in enumerate(rs_rules)
    ]
    rs = ruleset(
        *varied,
        semantics=sem,
        enabled=enabled,
        default_ingress=Action.ALLOW if default_allow else Action.DENY,
    )
    shares = ShareCache()

    def key(items: list[tuple[object, object]]) -> list[tuple[object, ...]]:
        return [(b.protocols, b.ports, b.peers, b.local, b.rule_key, s) for b, s in items]  # type: ignore[attr-defined]

    for d in (Direction.INGRESS, Direction.EGRESS):
        fast = allowed_public(rs, d, profile, shares)
        model = public_boxes(rs.allowed(d, profile).boxes, shares)
        assert key(fast) == key(model)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(
    rule_lists(min_size=2),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.sampled_from(
        [
            EvalSemantics.FIRST_MATCH_BY_NUMBER,
            EvalSemantics.PRIORITY_DENY_WINS_TIES,
            EvalSemantics.LAST_MATCH_UNLESS_QUICK,
        ]
    ),
)
def test_removing_a_dead_rule_never_changes_what_is_allowed(
    rs_rules: list[Rule], denies: list[bool], sem: EvalSemantics
) -> None:
    from dataclasses import replace

    from cloudfw.model import Direction

    numbered = tuple(
        replace(r, order=10 * (i // 2), action=DENY if denies[i] else ALLOW)
        for i, r in enumerate(rs_rules)
    )
    full = ruleset(*numbered, semantics=sem)
    dead = {
        f.rule_keys[0] for f in findings(full) if f.check in ("shadowed-rule", "redundant-rule")
    }
    for key in dead:
        pruned = ruleset(*(r for r in numbered if r.key != key), semantics=sem)
        for d in (Direction.INGRESS, Direction.EGRESS):
            a, b = full.allowed(d), pruned.allowed(d)
            assert all(b.covers(x) for x in a.boxes) and all(a.covers(x) for x in b.boxes), key

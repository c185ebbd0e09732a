"""`RuleSet.evaluation_order` (added for the ordering checks) matches what `allowed` walks."""

from __future__ import annotations

from checks_helpers import ALLOW, DENY, IN, OUT, rule, ruleset

from cloudfw.model import EvalSemantics


def keys(rs_rules: tuple[object, ...]) -> list[str]:
    return [r.key for r in rs_rules]  # type: ignore[attr-defined]


def test_numbered_and_priority_orders() -> None:
    rules = (
        rule("b", action=ALLOW, order=200),
        rule("a", action=DENY, order=100),
        rule("off", action=DENY, order=50, enabled=False),
        rule("out", action=DENY, order=10, direction=OUT),
        rule("tie-allow", action=ALLOW, order=150),
        rule("tie-deny", action=DENY, order=150),
    )
    nacl = ruleset(*rules, semantics=EvalSemantics.FIRST_MATCH_BY_NUMBER)
    assert keys(nacl.evaluation_order(IN)) == ["a", "tie-allow", "tie-deny", "b"]
    gcp = ruleset(*rules, semantics=EvalSemantics.PRIORITY_DENY_WINS_TIES)
    assert keys(gcp.evaluation_order(IN)) == ["a", "tie-deny", "tie-allow", "b"]
    sg = ruleset(*rules, semantics=EvalSemantics.ALLOW_UNION)
    assert keys(sg.evaluation_order(IN)) == ["b", "a", "tie-allow", "tie-deny"]


def test_targets_filter_the_order() -> None:
    rs = ruleset(
        rule("web", order=1, targets=frozenset({"web"})),
        rule("all", order=2),
        semantics=EvalSemantics.PRIORITY_DENY_WINS_TIES,
    )
    assert keys(rs.evaluation_order(IN)) == ["all"]
    assert keys(rs.evaluation_order(IN, frozenset({"web"}))) == ["web", "all"]

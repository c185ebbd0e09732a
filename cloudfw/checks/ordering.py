"""``shadowed-rule`` and ``redundant-rule``: rules of ordered rule sets that can never match.

Rules are walked in the enforcement point's own evaluation order (`RuleSet.evaluation_order`, the
same order `RuleSet.allowed` uses). A terminal rule whose whole box is already decided by earlier
terminal rules never matches:

* every covering earlier rule has the *same* effect (allow/allow, deny/deny): ``redundant-rule``;
* otherwise (at least part is decided the other way, or handed on by ``goto_next``):
  ``shadowed-rule``: the rule says one thing and the rule set does another.

A rule with target selectors is judged under every target profile it applies to; it is reported
only when it is dead under all of them. A rule bound to interfaces is judged on the interfaces
it matches (`Boxes`): it is dead only when earlier rules decide it on every one of them, so a rule
for ``docker0`` never hides one for ``br-1a2b``. Order-free semantics (security groups) have no
dead rules.
"""

from __future__ import annotations

from cloudfw.checks.base import Context, make_finding, resource_label, short_list
from cloudfw.checks.deadwalk import profile_walks
from cloudfw.checks.meta import REDUNDANT_RULE, SHADOWED_RULE
from cloudfw.model import Boxes, Direction, EvalSemantics, Finding, RuleSet
from cloudfw.model.shape import Memo, Shape, shape_of

UNORDERED = frozenset({EvalSemantics.ALLOW_UNION, EvalSemantics.APP_LEVEL})
MAX_RULES = 2000  # per direction; pairwise coverage beyond this is not worth the time

Dead = tuple[str, bool, tuple[str, ...]]  # a dead rule's key, same effect, the rules deciding it
_VERDICTS: Memo[Shape, tuple[tuple[Direction, tuple[Dead, ...]], ...]] = Memo(256)


def _verdicts(rs: RuleSet) -> tuple[tuple[Direction, tuple[Dead, ...]], ...]:
    """The dead rules of each direction, judged under every target profile: a function of the
    rule set's shape (not of its asset or the rules' origins), so computed once per shape."""
    out: list[tuple[Direction, tuple[Dead, ...]]] = []
    boxes = Boxes(rs.iface_table())
    for direction in (Direction.INGRESS, Direction.EGRESS):
        rules = rs.rules_for(direction)
        if not rules or len(rules) > MAX_RULES:
            continue
        verdicts = profile_walks(rs, direction, boxes)
        found: list[Dead] = []
        for key, vs in verdicts.items():
            if any(v is None for v in vs):
                continue
            same = all(v is not None and v[0] for v in vs)
            covering: dict[str, None] = {}
            for v in vs:
                if v is not None:
                    covering.update(dict.fromkeys(v[1]))
            found.append((key, same, tuple(covering)))
        out.append((direction, tuple(found)))
    return tuple(out)


def dead_rules(rs: RuleSet, ctx: Context) -> list[Finding]:
    if rs.semantics in UNORDERED or not rs.enabled:
        return []
    out: list[Finding] = []
    for direction, found in _VERDICTS.get(shape_of(rs), lambda: _verdicts(rs)):
        by_key = {r.key: r for r in rs.rules_for(direction)}
        for key, same, covering in found:
            r = by_key[key]
            meta = REDUNDANT_RULE if same else SHADOWED_RULE
            cov = list(covering)
            word, verb = ("rule", "decides") if len(cov) == 1 else ("rules", "decide")
            how = f"already {verb} it the same way" if same else f"{verb} it first"
            msg = (
                f"{resource_label(rs.asset)} rule {key} ({ctx.summary(r)}) never matches: earlier "
                f"{word} {short_list(cov)} {how}."
            )
            out.append(
                make_finding(
                    meta,
                    rs.asset,
                    msg,
                    rule_keys=(key,),
                    direction=str(direction),
                    protocol=r.protocol_label,
                    ports=r.ports_label,
                    peers=r.peers.to_tokens(),
                    evidence={
                        "rules": ctx.rule_summaries(rs, (key,)),
                        "covered_by": ctx.rule_summaries(rs, cov),
                    },
                )
            )
    return out

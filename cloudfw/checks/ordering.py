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
from cloudfw.checks.meta import REDUNDANT_RULE, SHADOWED_RULE
from cloudfw.model import (
    Action,
    Boxes,
    Direction,
    EvalSemantics,
    Finding,
    ProfileSpaces,
    Rule,
    RuleSet,
)
from cloudfw.model.space import Box

UNORDERED = frozenset({EvalSemantics.ALLOW_UNION, EvalSemantics.APP_LEVEL})
MAX_RULES = 2000  # per direction; pairwise coverage beyond this is not worth the time

Verdict = tuple[bool, tuple[str, ...]]  # (deciding rules all have the same effect, their keys)
Bounds = tuple[int, int, int, int, int, int, int, int, bool]
Decided = tuple[Box, Action, Bounds]


def _bounds(b: Box) -> Bounds:
    """Bounding ranges of a box (protocols, ports, IPv4, IPv6) plus "has symbolic peers": a cheap
    necessary condition for two boxes to intersect."""
    p, q = b.protocols.spans, b.ports.spans
    v4, v6 = b.peers.numeric_v4().spans, b.peers.numeric_v6().spans
    return (
        p[0][0], p[-1][1], q[0][0], q[-1][1],
        v4[0][0] if v4 else 1, v4[-1][1] if v4 else 0,
        v6[0][0] if v6 else 1, v6[-1][1] if v6 else 0,
        bool(b.peers.symbols) or b.peers.universal,
    )  # fmt: skip


def _may_meet(a: Bounds, b: Bounds) -> bool:
    if a[0] > b[1] or b[0] > a[1] or a[2] > b[3] or b[2] > a[3]:
        return False
    return (a[4] <= b[5] and b[4] <= a[5]) or (a[6] <= b[7] and b[6] <= a[7]) or (a[8] and b[8])


def _deciders(rb: Box, bounds: Bounds, decided: list[Decided]) -> tuple[list[Decided], list[Box]]:
    """The earlier rules that take part of ``rb``'s traffic, and the parts that reach the rule
    (empty when the rule is dead)."""
    rest = [rb]
    out: list[Decided] = []
    for d in decided:
        if not _may_meet(bounds, d[2]):
            continue
        nxt: list[Box] = []
        hit = False
        for part in rest:
            if part.intersect(d[0]) is None:
                nxt.append(part)
            else:
                hit = True
                nxt.extend(part.minus(d[0]))
        if hit:
            out.append(d)
        rest = nxt
        if not rest:
            break
    return out, rest


def _walk(order: tuple[Rule, ...], boxes: Boxes) -> dict[str, Verdict]:
    """Dead terminal rules in one evaluation order -> verdict."""
    decided: list[Decided] = []
    dead: dict[str, Verdict] = {}
    layer: int | None = None
    for r in order:
        if layer is not None and r.layer != layer:
            decided = [d for d in decided if d[1] is not Action.GOTO_NEXT]
        layer = r.layer
        if not (r.action.terminal or r.action is Action.GOTO_NEXT):
            continue
        rb = boxes.box(r)
        if rb.is_empty():
            continue
        if r.unresolved:
            continue  # its real match is unknown: it neither decides others nor is judged dead
        by, reaching = _deciders(rb, _bounds(rb), decided)
        if r.action.terminal and not reaching and not r.builtin:
            same = all(
                a is not Action.GOTO_NEXT and a.permits == r.action.permits for _, a, _ in by
            )
            dead[r.key] = (same, tuple(b.rule_key for b, _, _ in by))
        # Only the traffic that reaches a rule is decided by it: a goto_next earlier in the layer
        # may already have handed part of this rule's box to the next layer.
        decided.extend((part, r.action, _bounds(part)) for part in reaching)
    return dead


def dead_rules(rs: RuleSet, ctx: Context) -> list[Finding]:
    if rs.semantics in UNORDERED or not rs.enabled:
        return []
    out: list[Finding] = []
    boxes = Boxes(rs.iface_table())
    spaces = ProfileSpaces(rs)
    for direction in (Direction.INGRESS, Direction.EGRESS):
        rules = rs.rules_for(direction)
        if not rules or len(rules) > MAX_RULES:
            continue
        verdicts: dict[str, list[Verdict | None]] = {}
        walked: set[tuple[int, ...]] = set()
        for profile in rs.target_profiles():
            # profiles that select the same rules walk the same order: judged once (a repeated
            # verdict changes nothing below)
            selected = spaces.selection(direction, profile)
            if selected in walked:
                continue
            walked.add(selected)
            order = rs.evaluation_order(direction, profile)
            dead = _walk(order, boxes)
            for r in order:
                verdicts.setdefault(r.key, []).append(dead.get(r.key))
        by_key = {r.key: r for r in rules}
        for key, vs in verdicts.items():
            if any(v is None for v in vs):
                continue
            same = all(v is not None and v[0] for v in vs)
            covering: dict[str, None] = {}
            for v in vs:
                if v is not None:
                    covering.update(dict.fromkeys(v[1]))
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

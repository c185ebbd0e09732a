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
    AddressSet,
    Boxes,
    Direction,
    EvalSemantics,
    Finding,
    ProfileSpaces,
    Rule,
    RuleSet,
)
from cloudfw.model.shape import Memo, Shape, shape_of
from cloudfw.model.space import Box

UNORDERED = frozenset({EvalSemantics.ALLOW_UNION, EvalSemantics.APP_LEVEL})
MAX_RULES = 2000  # per direction; pairwise coverage beyond this is not worth the time

Verdict = tuple[bool, tuple[str, ...]]  # (deciding rules all have the same effect, their keys)
Bounds = tuple[int, int, int, int, int, int, int, int, bool, int, int, int, int, int, bool]
Decided = tuple[Box, Action, Bounds]
Dead = tuple[str, bool, tuple[str, ...]]  # a dead rule's key, same effect, the rules deciding it
NARROW = 4  # a box for at most this many protocols is indexed under each of them
_VERDICTS: Memo[Shape, tuple[tuple[Direction, tuple[Dead, ...]], ...]] = Memo(256)


def _hull(a: AddressSet) -> tuple[int, int, int, int, bool]:
    v4, v6 = a.numeric_v4().spans, a.numeric_v6().spans
    return (
        v4[0][0] if v4 else 1, v4[-1][1] if v4 else 0,
        v6[0][0] if v6 else 1, v6[-1][1] if v6 else 0,
        bool(a.symbols) or a.universal,
    )  # fmt: skip


def _bounds(b: Box) -> Bounds:
    """Bounding ranges of a box (protocols, ports, peers' and local IPv4 and IPv6, "has symbolic
    addresses") and its interface bits: a cheap necessary condition for two boxes to meet."""
    p, q = b.protocols.spans, b.ports.spans
    return (p[0][0], p[-1][1], q[0][0], q[-1][1], *_hull(b.peers), b.ifaces, *_hull(b.local))


def _addr_meet(a: Bounds, b: Bounds, i: int) -> bool:
    return (
        (a[i] <= b[i + 1] and b[i] <= a[i + 1])
        or (a[i + 2] <= b[i + 3] and b[i + 2] <= a[i + 3])
        or bool(a[i + 4] and b[i + 4])
    )


def _may_meet(a: Bounds, b: Bounds) -> bool:
    if a[0] > b[1] or b[0] > a[1] or a[2] > b[3] or b[2] > a[3] or not (a[9] & b[9]):
        return False
    return _addr_meet(a, b, 4) and _addr_meet(a, b, 10)


class _Index:
    """The decided boxes of a walk, in decision order, indexed by protocol: a box for a few
    protocols is listed under each, a wider one under ``wide``. `candidates` gives, in decision
    order, the boxes whose protocols, ports, addresses and interfaces may meet a query."""

    __slots__ = ("by_proto", "items", "wide")

    def __init__(self, items: list[Decided] | None = None) -> None:
        self.items: list[Decided] = []
        self.by_proto: dict[int, list[int]] = {}
        self.wide: list[int] = []
        for d in items or ():
            self.add(d)

    def add(self, d: Decided) -> None:
        i = len(self.items)
        self.items.append(d)
        protos = _few(d[0].protocols.spans)
        if protos is None:
            self.wide.append(i)
        else:
            for p in protos:
                self.by_proto.setdefault(p, []).append(i)

    def candidates(self, b: Box, bounds: Bounds) -> list[Decided]:
        protos = _few(b.protocols.spans)
        if protos is None:
            order: list[int] | range = range(len(self.items))
        else:
            lists = [self.wide, *(self.by_proto.get(p, []) for p in protos)]
            order = sorted({i for lst in lists for i in lst})
        items = self.items
        return [items[i] for i in order if _may_meet(bounds, items[i][2])]


def _few(spans: tuple[tuple[int, int], ...]) -> list[int] | None:
    n = sum(hi - lo + 1 for lo, hi in spans)
    return [p for lo, hi in spans for p in range(lo, hi + 1)] if n <= NARROW else None


def _deciders(rb: Box, candidates: list[Decided]) -> tuple[list[Decided], list[Box]]:
    """The earlier rules that take part of ``rb``'s traffic, and the parts that reach the rule
    (empty when the rule is dead). ``candidates``: the decided boxes that may meet ``rb``, in
    decision order."""
    rest = [rb]
    out: list[Decided] = []
    for d in candidates:
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


def _walk(order: tuple[Rule, ...], boxes: Boxes, indexed: bool = True) -> dict[str, Verdict]:
    """Dead terminal rules in one evaluation order -> verdict. ``indexed`` False compares each
    rule with every earlier decided box (the reference the index must agree with)."""
    decided = _Index()
    dead: dict[str, Verdict] = {}
    layer: int | None = None
    for r in order:
        if layer is not None and r.layer != layer:
            decided = _Index([d for d in decided.items if d[1] is not Action.GOTO_NEXT])
        layer = r.layer
        if not (r.action.terminal or r.action is Action.GOTO_NEXT):
            continue
        rb = boxes.box(r)
        if rb.is_empty():
            continue
        if r.unresolved:
            continue  # its real match is unknown: it neither decides others nor is judged dead
        cands = decided.candidates(rb, _bounds(rb)) if indexed else decided.items
        by, reaching = _deciders(rb, cands)
        if r.action.terminal and not reaching and not r.builtin:
            same = all(
                a is not Action.GOTO_NEXT and a.permits == r.action.permits for _, a, _ in by
            )
            dead[r.key] = (same, tuple(b.rule_key for b, _, _ in by))
        # Only the traffic that reaches a rule is decided by it: a goto_next earlier in the layer
        # may already have handed part of this rule's box to the next layer.
        for part in reaching:
            decided.add((part, r.action, _bounds(part)))
    return dead


def _verdicts(rs: RuleSet) -> tuple[tuple[Direction, tuple[Dead, ...]], ...]:
    """The dead rules of each direction, judged under every target profile: a function of the
    rule set's shape (not of its asset or the rules' origins), so computed once per shape."""
    out: list[tuple[Direction, tuple[Dead, ...]]] = []
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

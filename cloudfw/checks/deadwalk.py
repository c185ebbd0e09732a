"""The dead-rule walk behind ``shadowed-rule`` / ``redundant-rule`` (`cloudfw.checks.ordering`).

`walk` takes one evaluation order and returns its dead terminal rules: a rule is dead when the
boxes earlier rules decided cover its own box. Decided boxes are indexed by protocol, with
bounds on ports, addresses and interfaces, so a rule is compared only with boxes it may meet.

`profile_walks` judges every target profile of a target-selected rule set (a GCP network: a
profile is untagged, a tag, a service account...). Walking each profile's order from the start
repeats the untargeted rules' work once per profile, and a Shared VPC network holds hundreds of
profiles over the same untargeted rules. When every targeted rule is terminal (allow or deny)
the untagged walk is shared instead, by two facts of first-match evaluation:

* a profile's rules are the untagged ones plus a few targeted ones, and adding terminal rules only
  grows what earlier rules decide: a rule that is alive under a profile is alive untagged, so of
  the untargeted rules only those dead untagged are judged again under each profile;
* what a rule's traffic meets does not depend on how decided traffic is cut into boxes: the
  rules deciding part of rule X are those whose reaching traffic meets X's box, and X reaches
  what no earlier rule decided. So a profile's decided boxes are the untagged walk's boxes with
  its targeted rules' reaching boxes inserted at their places in the order, and subtracting them
  in that order gives exactly what the profile's own walk gives. A rule dead untagged whose box
  meets none of the profile's targeted rules' reaching boxes is decided by the same rules as
  untagged, so only the few rules that do meet one are judged again.

A targeted ``goto_next`` rule (a firewall-policy rule handing part of a tag's traffic on) breaks
the first fact; such a rule set walks every profile from the start, as the reference does.
"""

from __future__ import annotations

from bisect import bisect_left
from heapq import merge

from cloudfw.model import Action, AddressSet, Boxes, Direction, ProfileSpaces, Rule, RuleSet
from cloudfw.model.space import Box

Verdict = tuple[bool, tuple[str, ...]]  # (deciding rules all have the same effect, their keys)
Bounds = tuple[int, int, int, int, int, int, int, int, bool, int, int, int, int, int, bool]
# a decided box: the box, the deciding rule's action and layer, its place in the order, bounds
Decided = tuple[Box, Action, int, int, Bounds]
NARROW = 4  # a box for at most this many protocols is indexed under each of them


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

    def candidates(self, b: Box, bounds: Bounds, limit: int | None = None) -> list[Decided]:
        """The boxes that may meet ``b``, in decision order; only the first ``limit`` boxes
        decided when ``limit`` is given."""
        end = len(self.items) if limit is None else limit
        protos = _few(b.protocols.spans)
        if protos is None:
            order: list[int] | range = range(end)
        else:
            lists = [self.wide, *(self.by_proto.get(p, []) for p in protos)]
            order = sorted({i for lst in lists for i in lst if i < end})
        items = self.items
        return [items[i] for i in order if _may_meet(bounds, items[i][4])]


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


def _verdict(r: Rule, by: list[Decided]) -> Verdict:
    same = all(d[1] is not Action.GOTO_NEXT and d[1].permits == r.action.permits for d in by)
    return same, tuple(d[0].rule_key for d in by)


def _judged(r: Rule, rb: Box) -> bool:
    """Whether ``r`` takes part in the walk: it decides (terminal or goto_next), matches
    something, and its real match is known (an unresolved rule neither decides others nor is
    judged dead)."""
    return (r.action.terminal or r.action is Action.GOTO_NEXT) and not (
        rb.is_empty() or r.unresolved
    )


def walk(
    order: tuple[Rule, ...], boxes: Boxes, indexed: bool = True, keep: _Index | None = None
) -> dict[str, Verdict]:
    """Dead terminal rules in one evaluation order -> verdict. ``indexed`` False compares each
    rule with every earlier decided box (the reference the index must agree with). ``keep``, when
    given, receives every box decided, with goto_next boxes of every layer (`profile_walks`)."""
    decided = _Index()
    dead: dict[str, Verdict] = {}
    layer: int | None = None
    for pos, r in enumerate(order):
        if layer is not None and r.layer != layer:
            decided = _Index([d for d in decided.items if d[1] is not Action.GOTO_NEXT])
        layer = r.layer
        rb = boxes.box(r)
        if not _judged(r, rb):
            continue
        cands = decided.candidates(rb, _bounds(rb)) if indexed else decided.items
        by, reaching = _deciders(rb, cands)
        if r.action.terminal and not reaching and not r.builtin:
            dead[r.key] = _verdict(r, by)
        # Only the traffic that reaches a rule is decided by it: a goto_next earlier in the layer
        # may already have handed part of this rule's box to the next layer.
        for part in reaching:
            d = (part, r.action, r.layer, pos, _bounds(part))
            decided.add(d)
            if keep is not None:
                keep.add(d)
    return dead


Walked = dict[str, list[Verdict | None]]  # rule key -> its verdict under each profile walked


def profile_walks(rs: RuleSet, direction: Direction, boxes: Boxes, share: bool = True) -> Walked:
    """Every distinct target profile's verdicts, in `rs.target_profiles` order (profiles that
    select the same rules are walked once: a repeated verdict changes nothing). Keys appear in
    the order the profiles' walks first meet them. ``share`` False walks every profile from the
    start (the reference the shared walk must agree with)."""
    spaces = ProfileSpaces(rs)
    every = frozenset[str]().union(*(r.targets for r in rs.rules))
    full = rs.evaluation_order(direction, every)  # every profile's order is a part of this one
    shared = share and not any(r.targets and r.action is Action.GOTO_NEXT for r in full)
    verdicts: Walked = {}
    walked: set[tuple[int, ...]] = set()
    untagged: _Untagged | None = None
    for profile in rs.target_profiles():
        selected = spaces.selection(direction, profile)
        if selected in walked:
            continue
        walked.add(selected)
        if untagged is not None:
            untagged.judge(profile, verdicts)
            continue
        order = rs.evaluation_order(direction, profile)
        keep = _Index()
        dead = walk(order, boxes, keep=keep)
        for r in order:
            verdicts.setdefault(r.key, []).append(dead.get(r.key))
        if shared and not profile:
            untagged = _Untagged(full, order, boxes, keep, dead)
    return verdicts


class _Untagged:
    """The untagged walk of a target-selected rule set, from which every other profile is judged
    (see the module docstring)."""

    __slots__ = ("base", "boxes", "by_target", "dead", "full", "places", "verdicts")

    def __init__(
        self,
        full: tuple[Rule, ...],
        order: tuple[Rule, ...],
        boxes: Boxes,
        keep: _Index,
        dead: dict[str, Verdict],
    ) -> None:
        self.full, self.boxes = full, boxes
        place = {id(r): i for i, r in enumerate(full)}
        # the untagged walk's decided boxes, placed in the full order
        self.base = _Index([(*d[:3], place[id(order[d[3]])], d[4]) for d in keep.items])
        self.places = [d[3] for d in self.base.items]
        self.dead = [i for i, r in enumerate(full) if not r.targets and r.key in dead]
        self.verdicts = dead
        self.by_target: dict[str, list[int]] = {}
        for i, r in enumerate(full):
            for t in r.targets:
                self.by_target.setdefault(t, []).append(i)

    def judge(self, profile: frozenset[str], verdicts: Walked) -> None:
        """One profile's verdicts: its targeted rules, and the rules dead untagged (alive untagged
        is alive under every profile), each judged against the untagged walk's boxes decided
        before it and the reaching boxes of the profile's earlier targeted rules."""
        mine = {i for t in profile for i in self.by_target.get(t, ())}
        own = _Index()  # the profile's targeted rules' reaching boxes
        for pos in sorted(mine.union(self.dead)):
            r = self.full[pos]
            rb = self.boxes.box(r)
            if not _judged(r, rb):
                verdicts.setdefault(r.key, []).append(None)
                continue
            bounds = _bounds(rb)
            earlier = own.candidates(rb, bounds)
            if not r.targets and all(rb.intersect(d[0]) is None for d in earlier):
                # no targeted rule of the profile takes any of its traffic: the same rules decide
                # it as untagged
                verdicts.setdefault(r.key, []).append(self.verdicts[r.key])
                continue
            base = self.base.candidates(rb, bounds, bisect_left(self.places, pos))
            theirs = [d for d in base if d[1] is not Action.GOTO_NEXT or d[2] == r.layer]
            cands = list(merge(theirs, earlier, key=_place))
            by, reaching = _deciders(rb, cands)
            dead = r.action.terminal and not reaching and not r.builtin
            verdicts.setdefault(r.key, []).append(_verdict(r, by) if dead else None)
            if r.targets:
                for part in reaching:
                    own.add((part, r.action, r.layer, pos, _bounds(part)))


def _place(d: Decided) -> int:
    return d[3]

"""Rule sets (enforcement points) and their evaluation under every `EvalSemantics`.

`RuleSet.allowed(direction)` answers the one question every check asks: which (protocol, port,
peer, local) space does this enforcement point allow? Ordered semantics are all reduced to one
layered first-match walk with a semantics-specific sort key:

* ALLOW_UNION / APP_LEVEL: union of the allow rules, then the default action.
* FIRST_MATCH_BY_NUMBER, PRIORITY_FIRST_MATCH, CHAIN_FIRST_MATCH: lowest ``order`` wins.
* PRIORITY_DENY_WINS_TIES: lowest ``order`` wins; at equal order a deny beats an allow.
* BLOCK_OVERRIDES_ALLOW: allow-bypass beats block, block beats allow, whatever the order.
* LAST_MATCH_UNLESS_QUICK: the first matching ``quick`` rule wins, otherwise the last match.
* POLICY_THEN_VPC: layers in ascending ``layer`` order; inside a layer lowest ``order`` wins (deny
  wins ties); ``goto_next`` and no match both pass the traffic to the next layer.
* STATELESS_THEN_STATEFUL: the same layered walk (layer 0 the stateless engine, where
  ``goto_next`` is ``aws:forward_to_sfe``; layer 1 the stateful engine), lowest ``order`` first.
  It is not target-selected (exposure joins it by route, not by tag).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cloudfw.model.asset import Asset, Attachment
from cloudfw.model.iface import EVERY_IFACE, IfaceMatch, IfaceTable, Interface, facing_classes
from cloudfw.model.rule import Action, Direction, EvalSemantics, Logging, Rule
from cloudfw.model.shape import Memo, Shape, shape_of
from cloudfw.model.space import EVERYTHING, Box, Space

DEFAULT_KEY = "(default)"
_ALLOWED: Memo[tuple[Shape, Direction, frozenset[str]], Space] = Memo(256)

SortKey = Callable[[Rule], tuple[int, ...]]


def _deny_first(r: Rule) -> int:
    return 0 if r.action is Action.DENY else 1


_SORT: dict[EvalSemantics, SortKey] = {
    EvalSemantics.FIRST_MATCH_BY_NUMBER: lambda r: (r.layer, r.order),
    EvalSemantics.PRIORITY_FIRST_MATCH: lambda r: (r.layer, r.order),
    EvalSemantics.CHAIN_FIRST_MATCH: lambda r: (r.layer, r.order),
    EvalSemantics.PRIORITY_DENY_WINS_TIES: lambda r: (r.layer, r.order, _deny_first(r)),
    EvalSemantics.POLICY_THEN_VPC: lambda r: (r.layer, r.order, _deny_first(r)),
    EvalSemantics.STATELESS_THEN_STATEFUL: lambda r: (r.layer, r.order),
    EvalSemantics.BLOCK_OVERRIDES_ALLOW: lambda r: (
        r.layer,
        {Action.ALLOW_BYPASS: 0, Action.DENY: 1}.get(r.action, 2),
        r.order,
    ),
    EvalSemantics.LAST_MATCH_UNLESS_QUICK: lambda r: (
        (r.layer, 0, r.order) if r.quick else (r.layer, 1, -r.order)
    ),
}


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One enforcement point: an SG, a NACL, an NSG, a firewall policy stack, a host chain...

    ``default_ingress`` / ``default_egress`` decide traffic no rule matched. ``logging`` is the
    state of the enforcement point's traffic log, and ``log_scope`` the resource whose setting
    decides it (a VPC's flow log for an AWS SG, say). ``enabled`` is False for a host firewall that
    is switched off: it then filters nothing. ``is_default`` marks provider defaults (AWS default
    SG, GCP default network) for the ``default-group-open`` check. ``interfaces`` are the
    host's interfaces where the snapshot lists them (empty: unknown).
    """

    asset: Asset
    semantics: EvalSemantics
    rules: tuple[Rule, ...] = ()
    default_ingress: Action = Action.DENY
    default_egress: Action = Action.DENY
    logging: Logging = Logging.UNKNOWN
    log_scope: Asset | None = None
    attachments: tuple[Attachment, ...] = ()
    is_default: bool = False
    enabled: bool = True
    layer_names: tuple[str, ...] = ()
    interfaces: tuple[Interface, ...] = ()

    def iface_table(self) -> IfaceTable | None:
        """The interface classes this rule set's rules tell apart; None when no rule is bound to
        an interface (then every box holds every interface)."""
        if not any(r.in_iface is not None or r.out_iface is not None for r in self.rules):
            return None
        return IfaceTable.build(
            (r.in_iface for r in self.rules), (r.out_iface for r in self.rules), self.interfaces
        )

    def internet_facing(self) -> tuple[Interface, ...] | None:
        """The listed interfaces that face the internet; None when that is not known: no
        interface is listed, or none holds a public address and the routes were not collected."""
        facing = tuple(i for i in self.interfaces if i.internet_facing)
        if facing:
            return facing
        if not self.interfaces or any(i.default_route is None for i in self.interfaces):
            return None
        return ()

    def internet_bits(self, direction: Direction) -> int:
        """The interface pairs of `iface_table` that internet traffic may use in
        ``direction`` (`facing_classes`); every pair when no rule is bound."""
        table = self.iface_table()
        if table is None:
            return EVERY_IFACE if self.internet_facing() != () else 0
        inbound = direction is Direction.INGRESS
        bits = 0
        for c in facing_classes(table, inbound, self.internet_facing()):
            bits |= table.class_bits(inbound, c)
        return bits

    def default_for(self, direction: Direction) -> Action:
        return self.default_ingress if direction is Direction.INGRESS else self.default_egress

    def rules_for(self, direction: Direction) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.direction is direction)

    def target_profiles(self) -> tuple[frozenset[str], ...]:
        """The distinct instance selectors worth evaluating: untagged, each rule's targets, and
        each single target of a multi-target rule."""
        seen: dict[frozenset[str], None] = {frozenset(): None}
        for r in self.rules:
            if r.targets:
                seen.setdefault(r.targets, None)
                if len(r.targets) > 1:  # a rule applies to instances with ANY of its targets
                    for t in sorted(r.targets):
                        seen.setdefault(frozenset({t}), None)
        return tuple(seen)

    def allowed(self, direction: Direction, targets: frozenset[str] = frozenset()) -> Space:
        """The space this enforcement point lets through in ``direction`` for ``targets``
        (computed once per rule-set shape: hosts of one role share it)."""
        key = (shape_of(self), direction, targets)
        return _ALLOWED.get(key, lambda: self._allowed(direction, targets))

    def _allowed(self, direction: Direction, targets: frozenset[str]) -> Space:
        if not self.enabled:
            return Space((Box(EVERYTHING.protocols, EVERYTHING.ports, EVERYTHING.peers,
                              EVERYTHING.local, DEFAULT_KEY),))  # fmt: skip
        rules = [
            r
            for r in self.rules
            if r.direction is direction and r.enabled and r.applies_to(targets)
        ]
        return self.space_of(direction, rules)

    def space_of(self, direction: Direction, rules: list[Rule]) -> Space:
        """What `allowed` lets through when ``rules`` (enabled ``direction`` rules of this
        enabled rule set, in rule-set order) are the ones that apply."""
        default = self.default_for(direction)
        boxes = Boxes(self.iface_table())
        if self.semantics in (EvalSemantics.ALLOW_UNION, EvalSemantics.APP_LEVEL):
            return _union(rules, default, boxes)
        key = _SORT[self.semantics]
        return _layered_first_match(sorted(rules, key=key), default, boxes)

    def evaluation_order(
        self, direction: Direction, targets: frozenset[str] = frozenset()
    ) -> tuple[Rule, ...]:
        """The enabled rules for ``direction``/``targets`` in the order `allowed` walks them
        (input order for the order-free ALLOW_UNION / APP_LEVEL)."""
        rules = [
            r
            for r in self.rules
            if r.direction is direction and r.enabled and r.applies_to(targets)
        ]
        key = _SORT.get(self.semantics)
        return tuple(sorted(rules, key=key) if key is not None else rules)


def rule_box(r: Rule) -> Box:
    """The space one rule matches, labelled with its key, on every interface (see `Boxes` for
    the interfaces a bound rule matches)."""
    return Box(r.protocols, r.ports, r.peers, r.local, r.key)


class Boxes:
    """Rule boxes that carry the rules' interface bindings as bits of one rule set's
    `IfaceTable` (``table`` None: no rule is bound, every box holds every interface)."""

    __slots__ = ("_masks", "table")

    def __init__(self, table: IfaceTable | None) -> None:
        self.table = table
        self._masks: dict[tuple[IfaceMatch | None, IfaceMatch | None], int] = {}

    def box(self, r: Rule) -> Box:
        if self.table is None or (r.in_iface is None and r.out_iface is None):
            return Box(r.protocols, r.ports, r.peers, r.local, r.key)
        key = (r.in_iface, r.out_iface)
        bits = self._masks.get(key)
        if bits is None:
            bits = self.table.mask(r.in_iface, r.out_iface)
            self._masks[key] = bits
        return Box(r.protocols, r.ports, r.peers, r.local, r.key, bits)


def _union(rules: Iterable[Rule], default: Action, boxes: Boxes) -> Space:
    if default.permits:
        return Space((_relabel(EVERYTHING, DEFAULT_KEY),))
    return Space(tuple(boxes.box(r) for r in rules if r.action.permits))


def _relabel(b: Box, key: str) -> Box:
    return Box(b.protocols, b.ports, b.peers, b.local, key, b.ifaces)


def _layered_first_match(rules: list[Rule], default: Action, boxes: Boxes) -> Space:
    allowed: list[Box] = []
    remaining: list[Box] = [EVERYTHING]
    i = 0
    while i < len(rules) and remaining:
        layer = rules[i].layer
        passed: list[Box] = []  # goto_next: handed to the next layer
        while i < len(rules) and rules[i].layer == layer:
            r = rules[i]
            i += 1
            if not (r.action.terminal or r.action is Action.GOTO_NEXT):
                continue
            rb = boxes.box(r)
            nxt: list[Box] = []
            for b in remaining:
                m = b.intersect(rb)
                if m is None:
                    nxt.append(b)
                    continue
                if r.action.permits:
                    allowed.append(_relabel(m, r.key))
                elif r.action is Action.GOTO_NEXT:
                    passed.append(m)
                nxt.extend(b.minus(rb))
            remaining = nxt
        remaining = passed + remaining
    if default.permits:
        allowed.extend(_relabel(b, DEFAULT_KEY) for b in remaining)
    return Space(tuple(allowed))

"""`ProfileSpaces`: `RuleSet.allowed` for every target profile of one rule set, in proportion
to the rules each profile selects.

A target-selected rule set (a GCP network) is evaluated once per target profile (untagged, each
tag, service account or tag list the rules name). Asking `RuleSet.allowed` for each profile scans
every rule each time and walks the first-match evaluation again even when two profiles select
exactly the same rules (a tag only egress rules name, say, selects the untagged ingress rules).
Here the rules are indexed by direction and target once; a profile's rules are the untargeted ones
plus those of its targets, and the space is computed once per distinct selection.
"""

from __future__ import annotations

from cloudfw.model.rule import Direction
from cloudfw.model.ruleset import RuleSet
from cloudfw.model.space import Space

Selection = tuple[int, ...]  # positions in `RuleSet.rules`, ascending


class ProfileSpaces:
    """Per-profile rule selections and allowed spaces of one rule set (not thread-safe)."""

    __slots__ = ("_index", "_spaces", "rs")

    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self._index: dict[Direction, tuple[Selection, dict[str, list[int]]]] = {}
        self._spaces: dict[tuple[Direction, Selection], Space] = {}

    def _by_target(self, direction: Direction) -> tuple[Selection, dict[str, list[int]]]:
        hit = self._index.get(direction)
        if hit is None:
            untargeted: list[int] = []
            by_target: dict[str, list[int]] = {}
            for i, r in enumerate(self.rs.rules):
                if r.direction is not direction or not r.enabled:
                    continue
                if not r.targets:
                    untargeted.append(i)
                for t in r.targets:
                    by_target.setdefault(t, []).append(i)
            hit = (tuple(untargeted), by_target)
            self._index[direction] = hit
        return hit

    def selection(self, direction: Direction, targets: frozenset[str]) -> Selection:
        """The enabled ``direction`` rules that apply to ``targets`` (`Rule.applies_to`)."""
        untargeted, by_target = self._by_target(direction)
        extra = [i for t in targets for i in by_target.get(t, ())]
        if not extra:
            return untargeted
        return tuple(sorted({*untargeted, *extra}))

    def allowed(self, direction: Direction, targets: frozenset[str] = frozenset()) -> Space:
        """`RuleSet.allowed` (the same space, computed once per distinct selection)."""
        if not self.rs.enabled:
            return self.rs.allowed(direction, targets)
        key = (direction, self.selection(direction, targets))
        hit = self._spaces.get(key)
        if hit is None:
            # the first profile of a selection asks the rule set itself: the same space, and
            # `RuleSet.allowed` is memoised per rule-set shape (hosts of one role share it)
            hit = self.rs.allowed(direction, targets)
            self._spaces[key] = hit
        return hit

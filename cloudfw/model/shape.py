"""Rule-set shapes: what a judgement of a rule set depends on, so that it is computed once per
distinct rule set and not once per host.

A fleet shares a few rule sets: every host of one role carries the same rules, and only where
they were read from (``Rule.origin``) and whose they are (``RuleSet.asset``) differ. `shape_of`
is everything else (semantics, defaults, interfaces, every rule field but ``origin``), hashed
once per rule set object; `Memo` keeps the last judgements by shape. A judgement cached here must
depend on the shape only (never on the asset or an origin): the findings built from it are
then byte-identical to judging each host afresh. Pure: no I/O.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from cloudfw.model.rule import Rule
    from cloudfw.model.ruleset import RuleSet

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)


class Shape:
    """A rule set's shape: compares by content, hashes in O(1) (the hash is computed once).
    ``keep`` holds the objects whose identities the parts name, so that no other object can
    take their ids while the shape lives."""

    __slots__ = ("_hash", "keep", "parts")

    def __init__(self, parts: tuple[object, ...], keep: object = None) -> None:
        self.parts = parts
        self.keep = keep
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Shape)
            and self._hash == other._hash
            and (self.parts is other.parts or self.parts == other.parts)
        )


def rule_shape(r: Rule) -> tuple[object, ...]:
    """Every field of ``r`` but ``origin`` (where it was read from). Address, port and interface
    values are named by identity (cheap to hash; the parsers share them between equal rules):
    equal rules with distinct such objects have distinct shapes (a missed share, never a wrong
    one)."""
    return (r.key, r.direction.value, r.action.value, id(r.protocols), id(r.ports), id(r.peers),
            id(r.local), r.order, r.layer, r.enabled, r.logging.value, r.targets, r.quick,
            r.description, r.unresolved, r.builtin, id(r.in_iface), id(r.out_iface))  # fmt: skip


class Memo(Generic[K, V]):
    """The last ``size`` values by key (least recently used out first)."""

    __slots__ = ("_data", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        hit = self._data.get(key, _MISSING)
        if hit is not _MISSING:
            self._data.move_to_end(key)
            return hit  # type: ignore[return-value]
        value = compute()
        self._data[key] = value
        if len(self._data) > self.size:
            self._data.popitem(last=False)
        return value


_MISSING = object()
# id(rule set) -> (the rule set, its shape): the rule set is kept so that its id is not reused
_SHAPES: Memo[int, tuple[RuleSet, Shape]] = Memo(64)


def shape_of(rs: RuleSet) -> Shape:
    """The shape of ``rs`` (computed once per rule set object while it is among the last 64)."""
    hit = _SHAPES.get(id(rs), lambda: (rs, _compute(rs)))
    if hit[0] is not rs:  # pragma: no cover - an id is only reused once its object is gone
        raise AssertionError("shape memo holds another rule set under this id")
    return hit[1]


def _compute(rs: RuleSet) -> Shape:
    parts = (rs.semantics.value, rs.enabled, rs.default_ingress.value, rs.default_egress.value,
             rs.interfaces, tuple(rule_shape(r) for r in rs.rules))  # fmt: skip
    return Shape(parts, keep=rs.rules)

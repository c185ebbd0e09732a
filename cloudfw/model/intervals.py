"""Closed integer interval sets: the algebra under addresses, ports and protocols.

An `Intervals` value is a normalized tuple of disjoint, non-adjacent, sorted ``(lo, hi)`` spans
(both ends inclusive). Every operation returns a new normalized value, so equality is structural.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

Span = tuple[int, int]


def _normalize(spans: Iterable[Span]) -> tuple[Span, ...]:
    ordered = sorted(s for s in spans if s[0] <= s[1])
    if not ordered:
        return ()
    out: list[Span] = [ordered[0]]
    for lo, hi in ordered[1:]:
        plo, phi = out[-1]
        if lo <= phi + 1:
            if hi > phi:
                out[-1] = (plo, hi)
        else:
            out.append((lo, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Intervals:
    """A set of integers kept as sorted disjoint closed spans."""

    spans: tuple[Span, ...] = ()

    @staticmethod
    def of(*spans: Span) -> Intervals:
        return Intervals(_normalize(spans))

    @staticmethod
    def from_iter(spans: Iterable[Span]) -> Intervals:
        return Intervals(_normalize(spans))

    def is_empty(self) -> bool:
        return not self.spans

    def __bool__(self) -> bool:
        return bool(self.spans)

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.spans)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        i = bisect_right(self.spans, (value, 1 << 200)) - 1
        return i >= 0 and self.spans[i][0] <= value <= self.spans[i][1]

    def __or__(self, other: Intervals) -> Intervals:
        if not other.spans:
            return self
        if not self.spans:
            return other
        return Intervals(_normalize(self.spans + other.spans))

    def __and__(self, other: Intervals) -> Intervals:
        a, b = self.spans, other.spans
        i = j = 0
        out: list[Span] = []
        while i < len(a) and j < len(b):
            lo = max(a[i][0], b[j][0])
            hi = min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return Intervals(tuple(out))

    def __sub__(self, other: Intervals) -> Intervals:
        if not other.spans or not self.spans:
            return self
        out: list[Span] = []
        b = other.spans
        j = 0
        for lo, hi in self.spans:
            cur = lo
            while j < len(b) and b[j][1] < cur:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= hi:
                if b[k][0] > cur:
                    out.append((cur, b[k][0] - 1))
                cur = max(cur, b[k][1] + 1)
                if cur > hi:
                    break
                k += 1
            if cur <= hi:
                out.append((cur, hi))
        return Intervals(tuple(out))

    def covers(self, other: Intervals) -> bool:
        """True when every member of ``other`` is a member of ``self``."""
        return not (other - self)

    def intersects(self, other: Intervals) -> bool:
        return bool(self & other)

    def __str__(self) -> str:
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.spans)

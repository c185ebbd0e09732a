"""Which rule sets a baseline entry applies to, and which rules drift looks at."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from cloudfw.model import AddressSet, Asset, Rule, rule_box
from cloudfw.policy.baseline import Entry, Match


def _glob(value: str, pattern: str | None) -> bool:
    return pattern is None or fnmatchcase(value, pattern)


def entry_matches(entry_match: Match, asset: Asset) -> bool:
    """True when every key given in ``entry_match`` matches ``asset`` (see `cloudfw.baseline`)."""
    m = entry_match
    if m.provider is not None and m.provider != asset.provider:
        return False
    if not (_glob(asset.account, m.account) and _glob(asset.region, m.region)):
        return False
    if not _glob(asset.resource_type, m.resource_type):
        return False
    if m.resource is not None and not (
        fnmatchcase(asset.resource_id, m.resource)
        or (asset.name and fnmatchcase(asset.name, m.resource))
    ):
        return False
    if m.hosts is not None and not any(
        v and fnmatchcase(v, m.hosts) for v in (asset.account, asset.resource_id, asset.name)
    ):
        return False
    if m.tags:
        tags = asset.tag_map()
        if any(tags.get(k) != v for k, v in m.tags.items()):
            return False
    return True


def glob_escape(text: str) -> str:
    """Escape fnmatch metacharacters so the pattern matches exactly ``text``."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def literal_of(pattern: str) -> str | None:
    """The one string ``pattern`` matches when it has no wildcard (`glob_escape` undone)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c in "*?":
            return None
        if c == "[":
            if pattern[i + 1 : i + 2] in ("*", "?", "[") and pattern[i + 2 : i + 3] == "]":
                out.append(pattern[i + 1])
                i += 3
                continue
            return None
        out.append(c)
        i += 1
    return "".join(out)


class EntryIndex:
    """Entries looked up by the literal ``resource`` they name, so matching N rule sets against
    a captured baseline of N entries stays linear. Results keep the entries' file order."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._by_name: dict[str, list[int]] = {}
        self._scan: list[int] = []
        self._entries = tuple(entries)
        for i, e in enumerate(self._entries):
            lit = None if e.match.resource is None else literal_of(e.match.resource)
            if lit is None:
                self._scan.append(i)
            else:
                self._by_name.setdefault(lit, []).append(i)

    def matching(self, asset: Asset) -> list[Entry]:
        return [self._entries[i] for i in self.matching_indices(asset)]

    def matching_indices(self, asset: Asset) -> list[int]:
        found = set(self._scan)
        found.update(self._by_name.get(asset.resource_id, ()))
        if asset.name:
            found.update(self._by_name.get(asset.name, ()))
        return [i for i in sorted(found) if entry_matches(self._entries[i].match, asset)]


def in_drift_scope(peers: AddressSet, drift_scope: str) -> bool:
    """``public``: only rules with a public (or universal) peer part; ``all``: every rule."""
    return drift_scope == "all" or peers.universal or not peers.public().is_empty()


def opens_traffic(r: Rule) -> bool:
    """An enabled allow / allow-bypass rule whose space is not empty. Builtin rules (Azure
    default rules, GCP implied rules) are the provider's, not drift: users cannot change them."""
    return r.enabled and r.action.permits and not r.builtin and not rule_box(r).is_empty()

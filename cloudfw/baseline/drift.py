"""Diff a snapshot against a baseline: unexpectedly-authorized, modified, revoked.

The semantics are the user contract documented in `cloudfw.baseline`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from cloudfw.baseline.matching import (
    EntryIndex,
    in_drift_scope,
    opens_traffic,
)
from cloudfw.baseline.meta import MODIFIED, REVOKED, UNEXPECTEDLY_AUTHORIZED, DriftCheck
from cloudfw.model import (
    Action,
    Asset,
    Direction,
    Finding,
    RuleSet,
    Severity,
    Snapshot,
    Space,
    rule_box,
)
from cloudfw.model.rule import Rule
from cloudfw.policy.baseline import Baseline, Entry, RuleSpec
from cloudfw.policy.portspec import ports_token, protocol_token


def drift_findings(snapshot: Snapshot, baseline: Baseline) -> list[Finding]:
    """Every drift finding of ``snapshot`` against ``baseline`` (no exceptions applied)."""
    found, matched = partial_drift(snapshot.rulesets, baseline)
    return found + gone_findings(baseline, matched, providers_of(snapshot))


def partial_drift(
    rulesets: Iterable[RuleSet], baseline: Baseline
) -> tuple[list[Finding], frozenset[int]]:
    """The drift of some of a snapshot's rule sets: every finding about them, and which
    required entries (indices into ``baseline.required``) matched one of them. A sharded audit
    runs this per shard; `gone_findings` then judges the entries no shard matched."""
    return DriftIndex(baseline).partial(rulesets)


class DriftIndex:
    """A baseline's entries indexed once (`EntryIndex`), for `partial_drift` of many batches
    of rule sets in turn (a host audit judges host after host)."""

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self._approved = EntryIndex(baseline.approved)
        self._required = EntryIndex(baseline.required)

    def partial(self, rulesets: Iterable[RuleSet]) -> tuple[list[Finding], frozenset[int]]:
        """`partial_drift` of ``rulesets``."""
        baseline = self.baseline
        out: list[Finding] = []
        matched: set[int] = set()
        for rs in rulesets:
            out.extend(_approved_drift(rs, self._approved.matching(rs.asset), baseline))
            for i in self._required.matching_indices(rs.asset):
                matched.add(i)
                out.extend(_revoked_in(rs, baseline.required[i], baseline))
        return out, frozenset(matched)


def gone_findings(
    baseline: Baseline, matched: Collection[int], providers: Collection[str]
) -> list[Finding]:
    """One ``revoked`` finding per required entry that matched no rule set at all, unless the
    snapshot did not collect its provider (nothing to compare with)."""
    return [
        _gone(entry, baseline)
        for i, entry in enumerate(baseline.required)
        if i not in matched and (entry.match.provider is None or entry.match.provider in providers)
    ]


def providers_of(snapshot: Snapshot) -> frozenset[str]:
    """The providers a snapshot collected (its rule sets' and its coverage's)."""
    return frozenset(rs.asset.provider for rs in snapshot.rulesets) | {
        c.provider for c in snapshot.coverage
    }


def _finding(
    check: DriftCheck,
    severity: Severity,
    asset: Asset,
    message: str,
    rule_keys: tuple[str, ...],
    direction: Direction,
    protocol: str,
    ports: str,
    peers: tuple[str, ...],
    evidence: dict[str, object],
) -> Finding:
    return Finding(
        check=check.id,
        severity=severity,
        asset=asset,
        message=message,
        rule_keys=rule_keys,
        direction=direction.value,
        protocol=protocol,
        ports=ports,
        peers=peers,
        techniques=check.techniques,
        compliance=check.compliance,
        risk=check.risk,
        remediation=check.remediation,
        evidence=evidence,
    )


def _exposure_severity(r: Rule) -> Severity:
    return Severity.HIGH if r.peers.is_internet() else Severity.MEDIUM


def _spec_covers(spec: RuleSpec, r: Rule) -> bool:
    return (
        spec.direction is r.direction
        and spec.action is r.action
        and Space((spec.box(),)).covers(rule_box(r))
    )


def _approved_drift(rs: RuleSet, entries: list[Entry], baseline: Baseline) -> Iterator[Finding]:
    spaces: dict[tuple[Direction, Action], list[RuleSpec]] = {}
    pins: dict[str, list[tuple[Entry, RuleSpec]]] = {}
    for e in entries:
        for spec in e.rules:
            spaces.setdefault((spec.direction, spec.action), []).append(spec)
            if spec.rule_id:
                pins.setdefault(spec.rule_id, []).append((e, spec))
    union = {k: Space(tuple(s.box() for s in v)) for k, v in spaces.items()}
    for r in rs.rules:
        if not opens_traffic(r) or not in_drift_scope(r.peers, baseline.drift_scope):
            continue
        pinned = pins.get(r.key)
        if pinned:
            if not any(_spec_covers(spec, r) for _, spec in pinned):
                yield _modified(rs, r, pinned[0], baseline)
            continue
        space = union.get((r.direction, r.action))
        if space is None or not space.covers(rule_box(r)):
            yield _unexpected(rs, r, entries, baseline)


def _unexpected(rs: RuleSet, r: Rule, entries: list[Entry], baseline: Baseline) -> Finding:
    if entries:
        why = "not covered by the approved entries " + ", ".join(repr(e.id) for e in entries)
    else:
        why = "no approved entry matches this rule set"
    return _finding(
        UNEXPECTEDLY_AUTHORIZED,
        _exposure_severity(r),
        rs.asset,
        f"{rs.asset.label()}: rule {r.key} ({r.summary()}) is not approved by the baseline: {why}",
        (r.key,),
        r.direction,
        r.protocol_label,
        r.ports_label,
        r.peers.to_tokens(),
        {
            "baseline": baseline.path,
            "drift_scope": baseline.drift_scope,
            "approved_entries": [f"{e.id} ({baseline.where(e.line)})" for e in entries],
            "rule": r.summary(),
        },
    )


def _modified(rs: RuleSet, r: Rule, pin: tuple[Entry, RuleSpec], baseline: Baseline) -> Finding:
    entry, spec = pin
    return _finding(
        MODIFIED,
        max(MODIFIED.severity, _exposure_severity(r)),
        rs.asset,
        f"{rs.asset.label()}: rule {r.key} changed: it now does {r.summary()}, but baseline "
        f"entry {entry.id!r} ({baseline.where(spec.line)}) approved {spec.label()}",
        (r.key,),
        r.direction,
        r.protocol_label,
        r.ports_label,
        r.peers.to_tokens(),
        {
            "baseline": baseline.path,
            "entry": entry.id,
            "location": baseline.where(spec.line),
            "approved": spec.label(),
            "current": r.summary(),
        },
    )


def _revoked_in(rs: RuleSet, entry: Entry, baseline: Baseline) -> Iterator[Finding]:
    """The required specs of ``entry`` that ``rs`` (a rule set it matches) lacks."""
    for j, spec in enumerate(entry.rules):
        present = [
            r
            for r in rs.rules
            if r.enabled
            and not r.builtin  # a provider's catch-all is not the rule users required
            and r.direction is spec.direction
            and r.action is spec.action
        ]
        if not Space(tuple(rule_box(r) for r in present)).covers(spec.box()):
            yield _missing(rs.asset, entry, j, spec, present, baseline)


def _spec_ref(entry: Entry, j: int, spec: RuleSpec) -> str:
    return spec.rule_id or f"{entry.id}.rules[{j}]"


def _gone(entry: Entry, baseline: Baseline) -> Finding:
    m = entry.match
    asset = Asset(
        provider=m.provider or "",
        account=m.account or "",
        region=m.region or "",
        resource_type=m.resource_type or "",
        resource_id=m.resource or m.hosts or f"baseline:{entry.id}",
    )
    first = entry.rules[0]
    return _finding(
        REVOKED,
        REVOKED.severity,
        asset,
        f"required entry {entry.id!r} ({baseline.where(entry.line)}) matches no rule set: "
        f"the resource {asset.resource_id} is gone (or was not collected)",
        tuple(_spec_ref(entry, j, s) for j, s in enumerate(entry.rules)),
        first.direction,
        protocol_token(first.protocols),
        ports_token(first.protocols, first.ports),
        first.peers.to_tokens(),
        {"baseline": baseline.path, "entry": entry.id, "location": baseline.where(entry.line)},
    )


def _missing(
    asset: Asset,
    entry: Entry,
    j: int,
    spec: RuleSpec,
    present: Iterable[Rule],
    baseline: Baseline,
) -> Finding:
    overlapping = [r.key for r in present if rule_box(r).intersect(spec.box()) is not None]
    how = "only partly present" if overlapping else "missing"
    return _finding(
        REVOKED,
        REVOKED.severity,
        asset,
        f"{asset.label()}: required rule {_spec_ref(entry, j, spec)} of entry {entry.id!r} "
        f"({baseline.where(spec.line)}: {spec.label()}) is {how}",
        (_spec_ref(entry, j, spec),),
        spec.direction,
        protocol_token(spec.protocols),
        ports_token(spec.protocols, spec.ports),
        spec.peers.to_tokens(),
        {
            "baseline": baseline.path,
            "entry": entry.id,
            "location": baseline.where(spec.line),
            "required": spec.label(),
            "partly_covered_by": overlapping,
        },
    )

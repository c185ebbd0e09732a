"""Shared machinery for checks: per-run caches, the service index, finding construction.

Caches are keyed by object identity (``id()``): the parser interns address and port sets, so the
same object recurs across many rules. Each cache entry keeps a reference to its key object, so an
id can never be reused by a different object while the cache lives (one `run_checks` call).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cloudfw.checks.meta import CheckMeta
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Finding,
    Intervals,
    ProfileSpaces,
    Rule,
    RuleSet,
    Severity,
    rule_box,
)
from cloudfw.model.addr import Share, public_share
from cloudfw.model.humanize import peers_text
from cloudfw.model.ports import ALL_PROTOCOLS, NUMBER_NAMES
from cloudfw.model.space import Box
from cloudfw.policy.catalog import Service, ServiceCatalog

PEER_LIMIT = 4  # items of a peer list in a message before "+N more"


class ShareCache:
    """The model's `public_share` of an `AddressSet` (v4, v6), cached per object for one run."""

    def __init__(self) -> None:
        self.cache: dict[int, tuple[AddressSet, Share]] = {}

    def get(self, a: AddressSet) -> Share:
        hit = self.cache.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        share = public_share(a)
        self.cache[id(a)] = (a, share)
        return share


class IdMemo:
    """Memoize a value on a tuple of objects by identity (plus a plain tag). Entries keep their
    key objects alive, so an identity cannot be reused while the memo lives; the stored tuple is
    compared with ``==`` (identity first, so this is cheap, and value-equal objects give equal
    results anyway)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[object, ...], tuple[tuple[object, ...], object]] = {}

    def get(self, tag: object, objs: tuple[object, ...]) -> object | None:
        hit = self._memo.get((tag, *map(id, objs)))
        if hit is None or hit[0] != objs:
            return None
        return hit[1]

    def put(self, tag: object, objs: tuple[object, ...], value: object) -> None:
        self._memo[(tag, *map(id, objs))] = (objs, value)


class ServiceIndex:
    """Which catalog services a (protocols, ports) box touches, without per-service loops.

    For each protocol number the catalog uses, the port axis is cut into segments at every service
    boundary; each segment lists the services whose ports cover it. A box is matched by walking
    the segments its port spans overlap. Results are cached per (protocols, ports) object pair.
    """

    def __init__(self, services: Iterable[Service]) -> None:
        self.services: tuple[Service, ...] = tuple(services)
        self.labels: tuple[str, ...] = tuple(s.label() for s in self.services)
        per_proto: dict[int, list[tuple[int, int, int]]] = {}
        for idx, svc in enumerate(self.services):
            for ep in svc.endpoints:
                for lo, hi in ep.protocols.spans:
                    for p in range(lo, hi + 1):
                        for plo, phi in ep.ports.spans:
                            per_proto.setdefault(p, []).append((plo, phi, idx))
        self._protos: tuple[int, ...] = tuple(sorted(per_proto))
        self._segments: dict[int, tuple[list[int], list[frozenset[int]]]] = {}
        for p, spans in per_proto.items():
            cuts = sorted({0, 65536} | {lo for lo, _, _ in spans} | {hi + 1 for _, hi, _ in spans})
            starts = cuts[:-1]
            sets = [frozenset(i for lo, hi, i in spans if lo <= s <= hi) for s in starts]
            self._segments[p] = (starts, sets)
        self._cache: dict[tuple[int, int], tuple[Intervals, Intervals, frozenset[int]]] = {}

    def match(self, protocols: Intervals, ports: Intervals) -> frozenset[int]:
        key = (id(protocols), id(ports))
        hit = self._cache.get(key)
        if hit is not None and hit[0] is protocols and hit[1] is ports:
            return hit[2]
        found: set[int] = set()
        for p in self._protos:
            if p not in protocols:
                continue
            starts, sets = self._segments[p]
            for lo, hi in ports.spans:
                i = max(bisect_right(starts, lo) - 1, 0)
                while i < len(starts) and starts[i] <= hi:
                    found.update(sets[i])
                    i += 1
        result = frozenset(found)
        self._cache[key] = (protocols, ports, result)
        return result


@dataclass
class Context:
    """Everything one `run_checks` call shares between checks."""

    catalog: ServiceCatalog
    shares: ShareCache = field(default_factory=ShareCache)
    indexes: dict[tuple[str, ...], ServiceIndex] = field(default_factory=dict)

    _tokens: dict[int, tuple[AddressSet, tuple[str, ...]]] = field(default_factory=dict)
    _token_values: dict[AddressSet, tuple[str, ...]] = field(default_factory=dict)
    _summaries: dict[int, tuple[Rule, dict[str, object]]] = field(default_factory=dict)
    _by_key: dict[int, tuple[RuleSet, dict[str, list[Rule]]]] = field(default_factory=dict)
    _atts: dict[int, tuple[RuleSet, str, list[dict[str, object]]]] = field(default_factory=dict)
    memo: IdMemo = field(default_factory=IdMemo)
    _all_index: ServiceIndex | None = None

    def tokens(self, peers: AddressSet) -> tuple[str, ...]:
        """`peer_tokens`, cached per object and per value (unions of the same peers are built
        again for every profile that allows them)."""
        hit = self._tokens.get(id(peers))
        if hit is not None and hit[0] is peers:
            return hit[1]
        toks = self._token_values.get(peers)
        if toks is None:
            toks = peer_tokens(peers)
            self._token_values[peers] = toks
        self._tokens[id(peers)] = (peers, toks)
        return toks

    def peer_text(self, peers: AddressSet) -> str:
        """`peers_text` (complements, ``+N more``), cached per object: what messages print."""
        hit = self.memo.get("peer-text", (peers,))
        if isinstance(hit, str):
            return hit
        text = peers_text(peers, limit=PEER_LIMIT) or "(none)"
        self.memo.put("peer-text", (peers,), text)
        return text

    def summary(self, r: Rule) -> str:
        """``Rule.summary()`` built from per-object cached labels."""
        hit = self.memo.get("summary", (r,))
        if isinstance(hit, str):
            return hit
        labels = self.memo.get("labels", (r.protocols, r.ports))
        if not isinstance(labels, tuple):
            labels = (r.protocol_label, r.ports_label)
            self.memo.put("labels", (r.protocols, r.ports), labels)
        peers = self.peer_text(r.peers)
        side = "from" if r.direction is Direction.INGRESS else "to"
        text = f"{r.action} {r.direction} {labels[0]}/{labels[1]} {side} {peers}{r.iface_label()}"
        self.memo.put("summary", (r,), text)
        return text

    def rule_summaries(self, rs: RuleSet, keys: Iterable[str]) -> list[dict[str, object]]:
        """`rule_summary` of the rules named by ``keys`` (in ``keys`` order), each computed once
        per run."""
        hit = self._by_key.get(id(rs))
        if hit is None or hit[0] is not rs:
            index: dict[str, list[Rule]] = {}
            for r in rs.rules:
                index.setdefault(r.key, []).append(r)
            hit = (rs, index)
            self._by_key[id(rs)] = hit
        out: list[dict[str, object]] = []
        for k in keys:
            for r in hit[1].get(k, ()):
                cached = self._summaries.get(id(r))
                if cached is None or cached[0] is not r:
                    cached = (r, rule_summary(r, self.summary(r)))
                    self._summaries[id(r)] = cached
                out.append(cached[1])
        return out

    def opaque(self, rs: RuleSet) -> list[dict[str, object]]:
        """The rule set's placeholders for content cloudfw could not read or model (a rule that
        decides nothing and says why, such as an AWS managed rule group), once each: findings
        on the rule set name them, since what they would decide is not in the verdict."""
        hit = self.memo.get("opaque", (rs,))
        if isinstance(hit, list):
            return hit
        seen: dict[str, dict[str, object]] = {}
        for r in rs.rules:
            if not r.unresolved or r.action is not Action.LOG:
                continue  # the cheap tests first: most rules are neither
            placeholder = r.protocols == ALL_PROTOCOLS and r.peers.universal and r.local.universal
            if placeholder and r.description not in seen:
                seen[r.description] = {"rule": r.key, "what": r.description, "why": r.unresolved}
        out = list(seen.values())
        self.memo.put("opaque", (rs,), out)
        return out

    def attachments(self, rs: RuleSet) -> tuple[str, list[dict[str, object]]]:
        """(phrase, evidence) for a rule set's attachments, computed once per run."""
        hit = self._atts.get(id(rs))
        if hit is None or hit[0] is not rs:
            hit = (rs, attachments_phrase(rs.attachments), attachments_evidence(rs.attachments))
            self._atts[id(rs)] = hit
        return hit[1], hit[2]

    def service_index(self, names: tuple[str, ...] | None) -> ServiceIndex:
        idx = self.indexes.get(names) if names is not None else self._all_index
        if idx is not None:
            return idx
        key = names if names is not None else tuple(self.catalog.services)
        idx = self.indexes.get(key)
        if idx is None:
            idx = ServiceIndex(self.catalog.services[n] for n in key)
            self.indexes[key] = idx
        if names is None:
            self._all_index = idx
        return idx


# -- labels ----------------------------------------------------------------------------------


def proto_name(p: int) -> str:
    return NUMBER_NAMES.get(p, str(p))


def open_ports_label(by_proto: Mapping[int, Intervals]) -> tuple[str, str, str]:
    """(protocols, ports, combined) labels for protocol -> ports, grouping equal port sets."""
    groups: dict[Intervals, list[int]] = {}
    for p in sorted(by_proto):
        if by_proto[p]:
            groups.setdefault(by_proto[p], []).append(p)
    parts = [f"{'+'.join(proto_name(p) for p in ps)}/{ports}" for ports, ps in groups.items()]
    protos = ",".join(proto_name(p) for p in sorted(by_proto) if by_proto[p])
    all_ports = Intervals()
    for iv in by_proto.values():
        all_ports = all_ports | iv
    return protos, str(all_ports), ", ".join(parts)


def peer_tokens(peers: AddressSet) -> tuple[str, ...]:
    """Numeric peers as CIDR tokens (``*`` for the universal set)."""
    if peers.universal:
        return ("*",)
    return tuple(str(n) for n in peers.networks())


def short_list(items: Iterable[str], limit: int = 4) -> str:
    seq = list(items)
    if len(seq) <= limit:
        return ", ".join(seq)
    return ", ".join(seq[:limit]) + f" and {len(seq) - limit} more"


def resource_label(a: Asset) -> str:
    return f"{a.resource_type} {a.label()}"


def attachments_phrase(atts: tuple[Attachment, ...]) -> str:
    if not atts:
        return "not attached to anything cloudfw saw"
    public = [a for a in atts if a.is_public]
    noun = "attachment" if len(atts) == 1 else "attachments"
    if not public:
        return f"{len(atts)} {noun}, none with a public IP"
    shown = short_list(f"{a.resource_id} ({', '.join(a.public_ips)})" for a in public)
    return f"{len(atts)} {noun}, {len(public)} with a public IP: {shown}"


def attachments_evidence(atts: tuple[Attachment, ...]) -> list[dict[str, object]]:
    return [
        {
            "resource_type": a.resource_type,
            "resource_id": a.resource_id,
            "instance_id": a.instance_id,
            "public_ips": list(a.public_ips),
            "private_ips": list(a.private_ips),
            "subnet": a.subnet,
        }
        for a in atts
    ]


def rule_summary(r: Rule, text: str) -> dict[str, object]:
    item: dict[str, object] = {"key": r.key, "summary": text, "order": r.order}
    if r.description:
        item["description"] = r.description
    if r.origin is not None:
        item["origin"] = str(r.origin)
    if r.unresolved:
        item["unresolved"] = r.unresolved
    return item


def public_boxes(boxes: Iterable[Box], shares: ShareCache) -> list[tuple[Box, Share]]:
    out = []
    for b in boxes:
        s = shares.get(b.peers)
        if s[0] > 0.0 or s[1] > 0.0:
            out.append((b, s))
    return out


ORDER_FREE = frozenset({EvalSemantics.ALLOW_UNION, EvalSemantics.APP_LEVEL})
_PERMITTING = frozenset(a for a in Action if a.permits)


def allowed_public(
    rs: RuleSet, direction: Direction, targets: frozenset[str], shares: ShareCache
) -> list[tuple[Box, Share]]:
    """The boxes of ``rs.allowed(direction, targets)`` that have a public peer, with shares."""
    ingress, egress = allowed_public_both(rs, targets, shares)
    return ingress if direction is Direction.INGRESS else egress


def allowed_public_both(
    rs: RuleSet,
    targets: frozenset[str],
    shares: ShareCache,
    egress: bool = True,
    spaces: ProfileSpaces | None = None,
) -> tuple[list[tuple[Box, Share]], list[tuple[Box, Share]]]:
    """`allowed_public` for ingress and for egress (empty unless ``egress``).

    For order-free rule sets (security groups) that are enabled and deny by default, the allowed
    space is exactly one box per enabled allow rule (`RuleSet.allowed`'s union), so only the rules
    with a public peer are turned into boxes, in one pass over the rules; this is the hot path of
    large estates. Everything else asks the model (through ``spaces`` when given: one space per
    distinct rule selection of a target-selected rule set's profiles). `tests/checks` holds a
    property test that both paths agree.
    """
    if (
        rs.semantics in ORDER_FREE
        and rs.enabled
        and not rs.default_ingress.permits
        and not rs.default_egress.permits
    ):
        ingress: list[tuple[Box, Share]] = []
        outward: list[tuple[Box, Share]] = []
        cache = shares.cache
        for r in rs.rules:
            if (
                not r.enabled
                or r.action not in _PERMITTING
                or (r.targets and not r.targets & targets)
            ):
                continue
            peers = r.peers
            hit = cache.get(id(peers))
            s = hit[1] if hit is not None and hit[0] is peers else shares.get(peers)
            if s[0] > 0.0 or s[1] > 0.0:
                out = ingress if r.direction is Direction.INGRESS else outward
                out.append((rule_box(r), s))
        return ingress, outward if egress else []
    allowed = rs.allowed if spaces is None else spaces.allowed  # the same space, memoised
    return (
        public_boxes(allowed(Direction.INGRESS, targets).boxes, shares),
        public_boxes(allowed(Direction.EGRESS, targets).boxes, shares) if egress else [],
    )


def make_finding(
    meta: CheckMeta,
    asset: Asset,
    message: str,
    *,
    check: str = "",
    severity: Severity | None = None,
    rule_keys: tuple[str, ...] = (),
    direction: str = "",
    protocol: str = "",
    ports: str = "",
    peers: tuple[str, ...] = (),
    evidence: Mapping[str, object] | None = None,
    extra_compliance: tuple[str, ...] = (),
) -> Finding:
    comp = meta.compliance_for(asset.provider) + tuple(
        c for c in extra_compliance if c not in meta.compliance_for(asset.provider)
    )
    return Finding(
        check=check or meta.id,
        severity=severity if severity is not None else meta.severity,
        asset=asset,
        message=message,
        rule_keys=tuple(sorted(rule_keys)),
        direction=direction,
        protocol=protocol,
        ports=ports,
        peers=peers,
        techniques=meta.techniques_for(asset.provider),
        compliance=comp,
        risk=meta.risk,
        remediation=meta.remediation,
        evidence=dict(evidence or {}),
    )

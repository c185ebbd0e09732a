"""Stacking: the effective INGRESS space of one asset, through every layer on its path.

Each layer's space comes from the model (`RuleSet.allowed`, so each enforcement point keeps its
own semantics), restricted to internet sources and to the asset's own addresses; the effective
space is the intersection of the layers' spaces. Every effective box remembers the allowing rule
on *each* layer (its `Hop` path). A stateless layer (an AWS NACL) also needs its EGRESS side to
let the reply out: for tcp/udp, the peers kept are those the egress rules allow on every
ephemeral port (1024-65535). Other protocols are not return-checked.

For the ports a layer blocks, each non-default, non-allow-all box of each layer is walked
through the other layers; what a layer takes away is reported as `Blocked` (opened by a rule on
one layer, blocked by a rule, or the default, on another), so an engineer sees both ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from cloudfw.exposure.paths import UNION_SEMANTICS, ExposurePath, Layer, ip_set
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    DEFAULT_KEY,
    EMPTY,
    INTERNET,
    Action,
    AddressSet,
    Direction,
    Intervals,
    ProfileSpaces,
    RuleSet,
)
from cloudfw.model.ports import TCP, UDP
from cloudfw.model.space import Box

INTERNET_PROBE = Box(ALL_PROTOCOLS, ALL_PORTS, INTERNET, ANY)
EPHEMERAL = Intervals.of((1024, 65535))
_STATEFUL_ISH = Intervals.of((TCP, TCP), (UDP, UDP))
RETURN = "return-path"
INGRESS = "ingress"
VNET_TAGS = frozenset({"VirtualNetwork", "VIRTUAL_NETWORK"})


@dataclass(frozen=True, slots=True)
class Hop:
    """One layer's part in a decision: the layer, its rule set(s) and the deciding rule."""

    layer: str
    ruleset: str
    rule: str

    def __str__(self) -> str:
        return f"{self.layer}={self.ruleset}/{self.rule}"


@dataclass(frozen=True, slots=True)
class Exposure:
    """Traffic from ``peers`` (public sources) on ``protocols``/``ports`` reaches the asset."""

    protocols: Intervals
    ports: Intervals
    peers: AddressSet
    path: tuple[Hop, ...]

    @property
    def internet(self) -> bool:
        return self.peers.is_internet()


@dataclass(frozen=True, slots=True)
class Blocked:
    """``opened_by`` allows ``protocols``/``ports`` from the internet, ``blocked_by`` stops it.

    ``sources`` says for whom, per address family: (the blocked public sources of one family,
    the ports blocked for them), IPv4 first; ``ports`` is the union over the families.
    """

    protocols: Intervals
    ports: Intervals
    opened_by: Hop
    blocked_by: Hop
    reason: str = INGRESS
    sources: tuple[tuple[AddressSet, Intervals], ...] = ()


@dataclass(frozen=True, slots=True)
class AssetExposure:
    path: ExposurePath
    exposures: tuple[Exposure, ...]
    blocked: tuple[Blocked, ...]

    @property
    def reachable(self) -> tuple[Exposure, ...]:
        """Internet-sized exposures on an asset with a public address (None: unknown counts)."""
        if self.path.public is False:
            return ()
        return tuple(e for e in self.exposures if e.internet)


LBox = tuple[Box, Hop]
#: (opened by, blocked by, reason, protocols): one `Blocked` entry
_BlockKey = tuple[Hop, Hop, str, Intervals]


@dataclass(frozen=True, slots=True)
class _Eval:
    layer: Layer
    final: tuple[LBox, ...]  # what passes the layer (return path included)
    ingress: tuple[LBox, ...]  # what its ingress rules allow (before the return path)
    openers: tuple[LBox, ...]  # ingress boxes of narrow rules (not the default, not allow-all)


@dataclass
class Stacker:
    """Computes `AssetExposure`s, caching per-rule-set work across assets. Not thread-safe."""

    _allowed: dict[tuple[int, Direction, frozenset[str]], tuple[Box, ...]] = field(
        default_factory=dict
    )
    _spaces: dict[int, ProfileSpaces] = field(default_factory=dict)
    _ret: dict[tuple[int, int, frozenset[str]], AddressSet] = field(default_factory=dict)
    _evals: dict[tuple[object, ...], _Eval] = field(default_factory=dict)
    _local: dict[int, bool] = field(default_factory=dict)
    _parts: dict[tuple[object, ...], _Eval] = field(default_factory=dict)
    _walks: dict[tuple[int, ...], list[tuple[_BlockKey, Box]]] = field(default_factory=dict)
    _stacks: dict[tuple[object, ...], tuple[tuple[Exposure, ...], tuple[Blocked, ...]]] = field(
        default_factory=dict
    )

    def stack(self, path: ExposurePath) -> AssetExposure:
        evals = [self._layer(layer, path) for layer in path.layers]
        key = tuple(id(e) for e in evals)
        hit = self._stacks.get(key)
        if hit is None:
            hit = (_intersect(evals), _blocked(self, evals))
            self._stacks[key] = hit
        return AssetExposure(path, hit[0], hit[1])

    # -- per layer ------------------------------------------------------------------------------
    def allowed(
        self, rs: RuleSet, direction: Direction, targets: frozenset[str]
    ) -> tuple[Box, ...]:
        key = (id(rs), direction, targets)
        hit = self._allowed.get(key)
        if hit is None:
            spaces = self._spaces.get(id(rs))
            if spaces is None or spaces.rs is not rs:
                spaces = self._spaces[id(rs)] = ProfileSpaces(rs)
            # a host firewall's interface bindings: only what may use an internet-facing
            # interface counts, and stacked with other layers it holds every interface
            space = spaces.allowed(direction, targets)  # once per distinct rule selection
            hit = space.on_ifaces(rs.internet_bits(direction)).boxes
            self._allowed[key] = hit
        return hit

    def _local_sensitive(self, rs: RuleSet) -> bool:
        hit = self._local.get(id(rs))
        if hit is None:
            hit = any(not r.local.universal for r in rs.rules if r.direction is Direction.INGRESS)
            self._local[id(rs)] = hit
        return hit

    def _layer(self, layer: Layer, path: ExposurePath) -> _Eval:
        sensitive = any(self._local_sensitive(rs) for rs in layer.rulesets)
        ips = (path.private_ips + path.public_ips) if sensitive else ()
        key = (
            tuple(id(rs) for rs in layer.rulesets),
            layer.name,  # the evaluation carries its layer: one NSG is a subnet and a NIC layer
            layer.targets,
            layer.stateless,
            layer.only_rules,
            layer.local,
            layer.peer_view,
            ips,
        )
        hit = self._evals.get(key)
        if hit is None:
            hit = self._eval(layer, ip_set(ips))
            self._evals[key] = hit
        return hit

    def _eval(self, layer: Layer, own: AddressSet) -> _Eval:
        ingress: list[LBox] = []
        final: list[LBox] = []
        openers: list[LBox] = []
        for rs in layer.rulesets:
            key = (
                id(rs),
                layer.name,
                layer.targets,
                layer.stateless,
                layer.only_rules,
                layer.local,
                layer.peer_view,
                own if self._local_sensitive(rs) else None,
            )
            part = self._parts.get(key)
            if part is None:
                part = self._part(layer, rs, own)
                self._parts[key] = part
            final.extend(part.final)
            ingress.extend(part.ingress)
            openers.extend(part.openers)
        return _Eval(layer, tuple(final), tuple(ingress), tuple(openers))

    def _part(self, layer: Layer, rs: RuleSet, own: AddressSet) -> _Eval:
        """One rule set's share of a layer (cached: a group is on many interfaces)."""
        ingress: list[LBox] = []
        final: list[LBox] = []
        openers: list[LBox] = []
        wide = {r.key for r in rs.rules if _allow_all(r.protocols, r.ports)}
        for b in self.allowed(rs, Direction.INGRESS, layer.targets):
            if layer.only_rules is not None and b.rule_key not in layer.only_rules:
                continue
            if not _local_ok(b.local, layer.local if layer.local is not None else own):
                continue
            peers = b.peers
            if layer.peer_view is not None:
                if not _sees(peers, layer.peer_view):
                    continue
                peers = ANY
            nb = Box(b.protocols, b.ports, peers, ANY, b.rule_key).intersect(INTERNET_PROBE)
            if nb is None:
                continue
            hop = Hop(layer.name, rs.asset.resource_id, b.rule_key)
            ingress.append((nb, hop))
            if b.rule_key != DEFAULT_KEY and b.rule_key not in wide:
                openers.append((nb, hop))
            if layer.stateless and layer.peer_view is None:
                final.extend((x, hop) for x in self._return_split(rs, layer.targets, nb))
            else:
                final.append((nb, hop))
        return _Eval(layer, tuple(final), tuple(ingress), tuple(openers))

    def _return_split(self, rs: RuleSet, targets: frozenset[str], b: Box) -> list[Box]:
        out: list[Box] = []
        rest = b.protocols - _STATEFUL_ISH
        if rest:
            out.append(Box(rest, b.ports, b.peers, b.local, b.rule_key))
        for proto in (TCP, UDP):
            if proto not in b.protocols:
                continue
            peers = b.peers & self.return_peers(rs, proto, targets)
            if not peers.is_empty():
                out.append(Box(Intervals.of((proto, proto)), b.ports, peers, b.local, b.rule_key))
        return out

    def return_peers(self, rs: RuleSet, proto: int, targets: frozenset[str]) -> AddressSet:
        """Peers the EGRESS side lets every ephemeral ``proto`` port reach."""
        key = (id(rs), proto, targets)
        hit = self._ret.get(key)
        if hit is None:
            hit = _covering_peers(self.allowed(rs, Direction.EGRESS, targets), proto)
            self._ret[key] = hit
        return hit

    def blocker(self, layer: Layer, piece: Box, direction: Direction) -> Hop:
        """The rule of ``layer`` that stops ``piece`` (the default when no rule does)."""
        name = layer.name if direction is Direction.INGRESS else f"{layer.name}(return)"
        ids = ",".join(layer.ids)
        for rs in layer.rulesets:
            if rs.semantics in UNION_SEMANTICS:
                continue
            probe = piece
            if direction is Direction.EGRESS:
                probe = Box(piece.protocols & _STATEFUL_ISH, EPHEMERAL, piece.peers, ANY)
            for r in rs.evaluation_order(direction, layer.targets):
                if not r.action.terminal:
                    continue
                if Box(r.protocols, r.ports, r.peers, ANY).intersect(probe) is None:
                    continue
                if r.action is Action.DENY:
                    return Hop(name, rs.asset.resource_id, r.key)
            return Hop(name, rs.asset.resource_id, DEFAULT_KEY)
        return Hop(name, ids, DEFAULT_KEY)


def _allow_all(protocols: Intervals, ports: Intervals) -> bool:
    return protocols == ALL_PROTOCOLS and ports == ALL_PORTS


def _sees(peers: AddressSet, view: AddressSet) -> bool:
    """Does a box's source include the gateway's (SNAT) address? A virtual-network tag does."""
    if peers.intersects(view):
        return True
    return any(p.kind == "service-tag" and p.value in VNET_TAGS for p in peers.symbols)


def _local_ok(local: AddressSet, own: AddressSet) -> bool:
    """Does a box's destination include the asset? Symbolic destinations are assumed to."""
    if local.universal or own.is_empty() or local.symbols:
        return True
    return local.intersects(own)


def _covering_peers(egress: tuple[Box, ...], proto: int) -> AddressSet:
    boxes = [b for b in egress if proto in b.protocols and b.ports.intersects(EPHEMERAL)]
    if not boxes:
        return EMPTY
    cuts = {EPHEMERAL.spans[0][0], EPHEMERAL.spans[0][1] + 1}
    for b in boxes:
        for lo, hi in (b.ports & EPHEMERAL).spans:
            cuts.update((lo, hi + 1))
    points = sorted(cuts)
    out: AddressSet | None = None
    for lo, _ in pairwise(points):
        seg = EMPTY
        for b in boxes:
            if lo in b.ports:
                seg = seg | b.peers
        out = seg if out is None else out & seg
        if out.is_empty():
            return EMPTY
    return out if out is not None else EMPTY


def _intersect(evals: list[_Eval]) -> tuple[Exposure, ...]:
    if not evals:
        return ()
    cur: list[tuple[Box, tuple[Hop, ...]]] = [(b, (h,)) for b, h in evals[0].final]
    for ev in evals[1:]:
        nxt: list[tuple[Box, tuple[Hop, ...]]] = []
        for b, hops in cur:
            for c, hop in ev.final:
                i = b.intersect(c)
                if i is not None:
                    nxt.append((i, (*hops, hop)))
        cur = nxt
    merged: dict[tuple[tuple[Hop, ...], Intervals, AddressSet], Intervals] = {}
    for b, hops in cur:
        k = (hops, b.protocols, b.peers)
        merged[k] = merged.get(k, Intervals()) | b.ports
    out = [Exposure(p, ports, peers, hops) for (hops, p, peers), ports in merged.items()]
    out.sort(key=lambda e: (e.protocols.spans, e.ports.spans, tuple(map(str, e.path))))
    return tuple(out)


def _minus_all(pieces: list[Box], boxes: tuple[LBox, ...]) -> list[Box]:
    for c, _ in boxes:
        nxt: list[Box] = []
        for p in pieces:
            nxt.extend(p.minus(c))
        pieces = nxt
        if not pieces:
            break
    return pieces


def _inside(pieces: list[Box], boxes: tuple[LBox, ...]) -> list[Box]:
    out: list[Box] = []
    for p in pieces:
        for c, _ in boxes:
            i = p.intersect(c)
            if i is not None and i not in out:
                out.append(i)
    return out


def _blocked(st: Stacker, evals: list[_Eval]) -> tuple[Blocked, ...]:
    merged: dict[_BlockKey, list[Box]] = {}
    gated = any(ev.layer.only_rules is not None for ev in evals)
    for i, ev in enumerate(evals):
        if gated and ev.layer.only_rules is None:
            continue  # behind a gateway only its (DNAT) rules open anything
        others = [other for j, other in enumerate(evals) if j != i]
        for lb in ev.openers:
            key = (id(lb), *(id(o) for o in others))
            walk = st._walks.get(key)
            if walk is None:
                walk = _walk(st, lb, others)
                st._walks[key] = walk
            for k, piece in walk:
                merged.setdefault(k, []).append(piece)
    out = [
        Blocked(p, _union_ports(pieces), o, b, r, _by_family(pieces))
        for (o, b, r, p), pieces in merged.items()
    ]
    out.sort(key=lambda x: (x.protocols.spans, x.ports.spans, str(x.opened_by), str(x.blocked_by)))
    return tuple(out)


def _union_ports(pieces: list[Box]) -> Intervals:
    out = Intervals()
    for piece in pieces:
        out = out | piece.ports
    return out


def _by_family(pieces: list[Box]) -> tuple[tuple[AddressSet, Intervals], ...]:
    """The blocked pieces' sources and ports, one entry per address family (IPv4 first)."""
    v4 = [(AddressSet(v4=p.peers.numeric_v4()), p.ports) for p in pieces if p.peers.numeric_v4()]
    v6 = [(AddressSet(v6=p.peers.numeric_v6()), p.ports) for p in pieces if p.peers.numeric_v6()]
    out = []
    for parts in (v4, v6):
        if parts:
            peers, ports = EMPTY, Intervals()
            for x, q in parts:
                peers, ports = peers | x, ports | q
            out.append((peers, ports))
    return tuple(out)


def _walk(st: Stacker, lb: LBox, others: list[_Eval]) -> list[tuple[_BlockKey, Box]]:
    """Walk one opener through the other layers: what each one takes away, and by which rule."""
    b, hop = lb
    out: list[tuple[_BlockKey, Box]] = []
    pieces = [b]
    for other in others:
        if not pieces:
            break
        lost = _minus_all(pieces, other.final)
        if lost:
            by_ingress = _minus_all(lost, other.ingress)
            on_return = _inside(lost, other.ingress) if other.layer.stateless else []
            for piece, reason, d in [
                *((p, INGRESS, Direction.INGRESS) for p in by_ingress),
                *((p, RETURN, Direction.EGRESS) for p in on_return),
            ]:
                k = (hop, st.blocker(other.layer, piece, d), reason, piece.protocols)
                out.append((k, piece))
        pieces = _inside(pieces, other.final)
    return out


def effective_exposure(paths: list[ExposurePath]) -> list[AssetExposure]:
    """Stack every path (one shared cache)."""
    st = Stacker()
    return [st.stack(p) for p in paths]

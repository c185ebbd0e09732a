"""Exposure checks: ``internet-ingress[<service>]``, ``allow-all``, ``wide-public-source``.

All three read the space a rule set allows (`RuleSet.allowed`), never the provider's rule shape,
so ordering, denies, defaults and disabled firewalls are already accounted for by the model: a
NACL deny that comes first hides a later allow, an Azure deny at priority 100 hides an allow at
200, a GCP deny wins a priority tie, a disabled host firewall allows everything.

Every function gets the allowed space's boxes that have *some* public peer (``pub``), with their
public-address shares; boxes with only private or symbolic peers can never make an exposure.
"""

from __future__ import annotations

import ipaddress

from cloudfw.checks.base import (
    Context,
    make_finding,
    open_ports_label,
    resource_label,
    short_list,
)
from cloudfw.checks.meta import ALLOW_ALL, INTERNET_INGRESS, WIDE_PUBLIC_SOURCE
from cloudfw.checks.params import Params
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    DEFAULT_KEY,
    EMPTY,
    AddressSet,
    Direction,
    Finding,
    Intervals,
    RuleSet,
    Severity,
)
from cloudfw.model.addr import PUBLIC_V4, PUBLIC_V6, Share, is_internet_share
from cloudfw.model.ports import ports_label, protocol_label
from cloudfw.model.space import Box
from cloudfw.policy.catalog import Service

PubBoxes = list[tuple[Box, Share]]
_N_PROTOCOLS = ALL_PROTOCOLS.size()


def _union_peers(boxes: list[Box]) -> AddressSet:
    if not boxes:
        return EMPTY
    out = boxes[0].peers
    for b in boxes[1:]:
        out = out | b.peers
    return out


def _union_tokens(named: list[Box], ctx: Context) -> tuple[str, ...]:
    if len(named) == 1:
        return ctx.tokens(named[0].peers)
    objs = tuple(b.peers for b in named)
    hit = ctx.memo.get("union-tokens", objs)
    if isinstance(hit, tuple):
        return hit
    toks = ctx.tokens(_union_peers(named))
    ctx.memo.put("union-tokens", objs, toks)
    return toks


def _union_text(named: list[Box], ctx: Context) -> str:
    """`Context.peer_text` of the union of the boxes' peers (memoized on the peer objects)."""
    if len(named) == 1:
        return ctx.peer_text(named[0].peers)
    objs = tuple(b.peers for b in named)
    hit = ctx.memo.get("union-text", objs)
    if isinstance(hit, str):
        return hit
    text = ctx.peer_text(_union_peers(named))
    ctx.memo.put("union-text", objs, text)
    return text


def _open_ports(svc: Service, named: list[Box], ctx: Context) -> tuple[str, str, str]:
    """(protocols, ports, combined) labels of the service ports the named boxes open."""
    objs: tuple[object, ...] = (svc, *(x for b in named for x in (b.protocols, b.ports)))
    hit = ctx.memo.get("open-ports", objs)
    if isinstance(hit, tuple):
        return hit
    by_proto: dict[int, Intervals] = {}
    for b in named:
        for ep in svc.endpoints:
            common = ep.protocols & b.protocols
            ports = ep.ports & b.ports
            if not common or not ports:
                continue
            for lo, hi in common.spans:
                for p in range(lo, hi + 1):
                    by_proto[p] = by_proto.get(p, Intervals()) | ports
    labels = open_ports_label(by_proto)
    ctx.memo.put("open-ports", objs, labels)
    return labels


def _keys(boxes: list[Box]) -> tuple[str, ...]:
    return tuple(sorted({b.rule_key for b in boxes}))


def _via(rs: RuleSet, keys: tuple[str, ...]) -> str:
    if keys == (DEFAULT_KEY,):
        return "because the firewall is disabled" if not rs.enabled else "by its default action"
    word = "rule" if len(keys) == 1 else "rules"
    return f"via {word} {short_list(keys)}"


def _side(direction: Direction) -> str:
    return "from" if direction is Direction.INGRESS else "to"


def _evidence(
    rs: RuleSet, ctx: Context, keys: tuple[str, ...], **extra: object
) -> dict[str, object]:
    ev: dict[str, object] = {
        "attachments": ctx.attachments(rs)[1],
        "rules": ctx.rule_summaries(rs, keys),
        "semantics": str(rs.semantics),
    }
    ev.update(extra)
    return ev


# -- internet-ingress[<service>] ------------------------------------------------------------------


def internet_ingress(rs: RuleSet, pub: PubBoxes, ctx: Context, params: Params) -> list[Finding]:
    """A catalog service reachable from the internet.

    The peers that may reach *any* of the service's protocol/ports are unioned over the allowed
    boxes; the service is exposed when that union holds ``threshold`` of the public IPv4 or IPv6
    space. Findings name the internet-sized allowing rules (or, when only their union is
    internet-sized, every contributing rule). This check is emitted even when ``allow-all`` fires
    for the same rule set: each service is a separate exposure a baseline may approve.
    """
    if not pub:
        return []
    threshold = params.get_float("threshold")
    index = ctx.service_index(params.get_names("services"))
    items = [(b, s, s[0] >= threshold or s[1] >= threshold) for b, s in pub]
    narrow = [it for it in items if not it[2]]
    if sum(s[0] for _, s, _ in narrow) < threshold and sum(s[1] for _, s, _ in narrow) < threshold:
        # Narrow sources cannot add up to the internet for any service, and a service reached by
        # an internet-sized source names only those: narrow boxes never matter here.
        items = [it for it in items if it[2]]
    per_svc: dict[int, list[tuple[Box, Share, bool]]] = {}
    for item in items:
        for i in index.match(item[0].protocols, item[0].ports):
            per_svc.setdefault(i, []).append(item)
    out: list[Finding] = []
    for i in sorted(per_svc):
        hits = per_svc[i]
        named = [b for b, _, w in hits if w]
        if not named:
            if (
                sum(s[0] for _, s, _ in hits) < threshold
                and sum(s[1] for _, s, _ in hits) < threshold
            ):
                continue  # even the union cannot be internet-sized
            named = [b for b, _, _ in hits]
            if not _union_peers(named).is_internet(threshold):
                continue
        svc = index.services[i]
        protos, ports_s, combined = _open_ports(svc, named, ctx)
        keys = _keys(named)
        peers = _union_tokens(named, ctx)
        msg = (
            f"{resource_label(rs.asset)} allows {svc.name} ({combined}) from the internet "
            f"({_union_text(named, ctx)}) {_via(rs, keys)}; {ctx.attachments(rs)[0]}."
        )
        out.append(
            make_finding(
                INTERNET_INGRESS,
                rs.asset,
                msg,
                check=f"{INTERNET_INGRESS.id}[{svc.name}]",
                severity=svc.severity,
                rule_keys=keys,
                direction=str(Direction.INGRESS),
                protocol=protos,
                ports=ports_s,
                peers=peers,
                evidence=_evidence(
                    rs,
                    ctx,
                    keys,
                    service=svc.name,
                    service_title=svc.title,
                    service_ports=index.labels[i],
                ),
                extra_compliance=svc.compliance.get(rs.asset.provider, ()),
            )
        )
    return out


# -- allow-all -----------------------------------------------------------------------------------


def _cuts(spans: list[tuple[int, int]], top: int) -> list[int]:
    pts = {0, top}
    for lo, hi in spans:
        pts.add(lo)
        pts.add(hi + 1)
    return sorted(p for p in pts if p <= top)


def _everything_peers(pub: PubBoxes, threshold: float) -> AddressSet | None:
    """Peers that reach every (protocol, port), or None if that set is not internet-sized.

    The protocol x port plane is cut at every box boundary; each cell's reachable peers are the
    union over the boxes covering it, and the answer is the intersection over all cells.
    """
    boxes = [b for b, _ in pub]
    result: AddressSet | None = None
    pcuts = _cuts([s for b in boxes for s in b.protocols.spans], 256)
    for a in pcuts[:-1]:
        in_proto = [b for b in boxes if a in b.protocols]
        if not in_proto:
            return None
        qcuts = _cuts([s for b in in_proto for s in b.ports.spans], 65536)
        for c in qcuts[:-1]:
            cell = [b for b in in_proto if c in b.ports]
            if not cell:
                return None
            peers = _union_peers(cell)
            result = peers if result is None else result & peers
            if not result.is_internet(threshold):
                return None
    return result


def allow_all(
    rs: RuleSet, pub: PubBoxes, direction: Direction, ctx: Context, params: Params
) -> list[Finding]:
    """Every protocol and port reachable from (ingress) or to (egress) the internet.

    Exact: the peers that can reach *all* of the protocol x port plane must be internet-sized. A
    NACL that denies tcp/22 ahead of an allow-all entry leaves tcp/22 closed, so this check stays
    quiet while ``internet-ingress`` still reports each catalog service that remains open.
    """
    if not pub:
        return []
    threshold = params.get_float("threshold")
    total = 0
    for b, _ in pub:
        for lo, hi in b.protocols.spans:
            total += hi - lo + 1
    if total < _N_PROTOCOLS:
        return []  # together the boxes cannot cover every protocol
    full = [b for b, s in pub if b.protocols == ALL_PROTOCOLS and b.ports == ALL_PORTS]
    peers: AddressSet | None = None
    named: list[Box] = []
    if full and _union_peers(full).is_internet(threshold):
        named = full
        peers = _union_peers(full)
    else:
        protos = Intervals()
        for b, _ in pub:
            protos = protos | b.protocols
        if protos != ALL_PROTOCOLS:
            return []
        peers = _everything_peers(pub, threshold)
        if peers is None:
            return []
        named = [b for b, _ in pub if b.peers.intersects(peers)]
    keys = _keys(named)
    tokens = ctx.tokens(peers)
    severity = Severity.HIGH if direction is Direction.INGRESS else Severity.LOW
    msg = (
        f"{resource_label(rs.asset)} allows all protocols and ports {direction} "
        f"{_side(direction)} the internet ({ctx.peer_text(peers)}) {_via(rs, keys)}; "
        f"{ctx.attachments(rs)[0]}."
    )
    return [
        make_finding(
            ALLOW_ALL,
            rs.asset,
            msg,
            severity=severity,
            rule_keys=keys,
            direction=str(direction),
            protocol="all",
            ports="all",
            peers=tokens,
            evidence=_evidence(rs, ctx, keys),
        )
    ]


# -- wide-public-source --------------------------------------------------------------------------


def _broad_blocks(peers: AddressSet, max_v4: int, max_v6: int) -> list[str]:
    """Public CIDR blocks of ``peers`` shorter than /max_v4 (IPv4) or /max_v6 (IPv6)."""
    out: list[str] = []
    for iv, bits, limit, version in (
        (peers.numeric_v4() & PUBLIC_V4, 32, max_v4, 4),
        (peers.numeric_v6() & PUBLIC_V6, 128, max_v6, 6),
    ):
        if limit <= 0:
            continue
        smallest_broad = 1 << (bits - limit + 1)  # size of a /(limit-1) block
        for lo, hi in iv.spans:
            if hi - lo + 1 < smallest_broad:
                continue  # no block of this span can be broader than /limit
            if version == 4:
                nets = ipaddress.summarize_address_range(
                    ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
                )
                out.extend(str(n) for n in nets if n.prefixlen < limit)
            else:
                nets6 = ipaddress.summarize_address_range(
                    ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi)
                )
                out.extend(str(n) for n in nets6 if n.prefixlen < limit)
    return out


def wide_public_source(rs: RuleSet, pub: PubBoxes, ctx: Context, params: Params) -> list[Finding]:
    """An ingress allow rule admitting a public block broader than /max_prefix (/max_prefix_v6).

    Judged on what each rule actually admits (its boxes in the allowed space), so a source that an
    earlier deny already cut down is judged after the cut. Internet-sized sources are skipped:
    they belong to ``internet-ingress`` / ``allow-all``.
    """
    if not pub:
        return []
    threshold = params.get_float("threshold")
    max_v4, max_v6 = params.get_int("max_prefix"), params.get_int("max_prefix_v6")
    tag = ("broad", threshold, max_v4, max_v6)
    keys = [b.rule_key for b, _ in pub]
    if len(set(keys)) == len(keys):  # one box per rule (always so for order-free semantics)
        groups = [([b], b.peers, s) for b, s in pub if b.rule_key != DEFAULT_KEY]
    else:
        by_rule: dict[str, list[Box]] = {}
        for b, _ in pub:
            if b.rule_key != DEFAULT_KEY:
                by_rule.setdefault(b.rule_key, []).append(b)
        groups = []
        for bs in by_rule.values():
            peers = bs[0].peers if len(bs) == 1 else _union_peers(bs)
            groups.append((bs, peers, ctx.shares.get(peers)))
    out: list[Finding] = []
    for boxes, peers, share in groups:
        cached = ctx.memo.get(tag, (peers,))
        if isinstance(cached, list):
            broad = cached
        else:
            broad = (
                [] if is_internet_share(share, threshold) else _broad_blocks(peers, max_v4, max_v6)
            )
            ctx.memo.put(tag, (peers,), broad)
        if not broad:
            continue
        key = boxes[0].rule_key
        tokens = ctx.tokens(peers)
        msg = (
            f"{resource_label(rs.asset)} rule {key} allows ingress from a broad public range "
            f"({short_list(broad)}; limit /{max_v4} IPv4, /{max_v6} IPv6); "
            f"{ctx.attachments(rs)[0]}."
        )
        protos = Intervals()
        ports = Intervals()
        for b in boxes:
            protos = protos | b.protocols
            ports = ports | b.ports
        out.append(
            make_finding(
                WIDE_PUBLIC_SOURCE,
                rs.asset,
                msg,
                rule_keys=(key,),
                direction=str(Direction.INGRESS),
                protocol=protocol_label(protos),
                ports=ports_label(protos, ports),
                peers=tokens,
                evidence=_evidence(rs, ctx, (key,), broad_blocks=broad),
            )
        )
    out.sort(key=lambda f: f.rule_keys)
    return out

"""The `cloudfw.exposure/1` JSON document and the lines the table/html views show. Pure.

Document (every key always present)::

    {
      "schema": "cloudfw.exposure/1",
      "generated_at": "2026-11-22T15:00:00+00:00",
      "complete": true,                      # false when a scope unit could not be read
      "coverage": [{"provider", "scope", "status", "reason"}],
      "assets": [{
        "provider", "account", "region", "resource_type", "resource_id", "instance_id",
        "entry": "direct" | "dnat",
        "private_ips": [...], "public_ips": [...],
        "public": true | false | null,        # null: unknown (instances not collected)
        "public_note": "public IP" | "no public IP" | "DNAT on <firewall>" | ...,
        "layers": [{"name": "subnet:network-acl", "rulesets": ["acl-1"], "stateless": true}],
        "reachable": true,          # public (or unknown) and an exposure is internet-wide
        "exposures": [{"protocol": "tcp", "ports": "443", "peers": ["internet-v4"],
                       "families": ["ipv4"],   # the address families of the sources
                       "internet": true,       # the sources hold >= half the public space
                       # peers: public sources only: "internet-v4"/"internet-v6" (a family's
                       # whole public space), "internet-v4 except <cidr> ...", or CIDRs
                       "path": [{"layer", "ruleset", "rule"}]}],   # the allowing rule per layer
        "blocked": [{"protocol", "ports", "families": ["ipv6"],   # whose traffic is blocked
                     "reason": "ingress" | "return-path",
                     "opened_by": {"layer", "ruleset", "rule"},
                     "blocked_by": {"layer", "ruleset", "rule"}}]   # rule "(default)": no rule
      }]
    }
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cloudfw.exposure.paths import ExposurePath
from cloudfw.exposure.stack import RETURN, AssetExposure, Blocked, Exposure, Hop
from cloudfw.model import EMPTY, AddressSet, Asset, Coverage, Intervals
from cloudfw.model.addr import PUBLIC_V4, PUBLIC_V6
from cloudfw.model.humanize import peers_text, traffic_text
from cloudfw.model.ports import ports_label, protocol_label

SCHEMA = "cloudfw.exposure/1"

_HOP = {
    "type": "object",
    "required": ["layer", "ruleset", "rule"],
    "properties": {k: {"type": "string"} for k in ("layer", "ruleset", "rule")},
    "additionalProperties": False,
}
_STRS = {"type": "array", "items": {"type": "string"}}
_FAMILIES = {"type": "array", "items": {"enum": ["ipv4", "ipv6"]}}
JSON_SCHEMA: dict[str, object] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "generated_at", "complete", "coverage", "assets"],
    "properties": {
        "schema": {"const": SCHEMA},
        "generated_at": {"type": "string"},
        "complete": {"type": "boolean"},
        "coverage": {"type": "array", "items": {"type": "object"}},
        "assets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "provider",
                    "account",
                    "region",
                    "resource_type",
                    "resource_id",
                    "instance_id",
                    "entry",
                    "private_ips",
                    "public_ips",
                    "public",
                    "public_note",
                    "layers",
                    "reachable",
                    "exposures",
                    "blocked",
                ],
                "properties": {
                    "public": {"type": ["boolean", "null"]},
                    "entry": {"enum": ["direct", "dnat"]},
                    "private_ips": _STRS,
                    "public_ips": _STRS,
                    "reachable": {"type": "boolean"},
                    "exposures": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["protocol", "ports", "peers", "internet", "path"],
                            "properties": {
                                "peers": _STRS,
                                "families": _FAMILIES,
                                "internet": {"type": "boolean"},
                                "path": {"type": "array", "items": _HOP, "minItems": 1},
                            },
                        },
                    },
                    "blocked": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["protocol", "ports", "reason", "opened_by", "blocked_by"],
                            "properties": {
                                "families": _FAMILIES,
                                "reason": {"enum": ["ingress", "return-path"]},
                                "opened_by": _HOP,
                                "blocked_by": _HOP,
                            },
                        },
                    },
                },
            },
        },
    },
}


def hop_doc(h: Hop) -> dict[str, str]:
    return {"layer": h.layer, "ruleset": h.ruleset, "rule": h.rule}


def peer_tokens(peers: AddressSet) -> list[str]:
    """Public sources, compactly: ``internet-v4`` / ``internet-v6`` for a family's whole public
    space, ``internet-v4 except <cidr>...`` when the exceptions are shorter, else the CIDRs."""
    out: list[str] = []
    for fam, part, public in (
        ("v4", AddressSet(v4=peers.numeric_v4() & PUBLIC_V4), AddressSet(v4=PUBLIC_V4)),
        ("v6", AddressSet(v6=peers.numeric_v6() & PUBLIC_V6), AddressSet(v6=PUBLIC_V6)),
    ):
        if part.is_empty():
            continue
        have = [str(n) for n in part.networks()]
        missing = [str(n) for n in (public - part).networks()]
        if not missing:
            out.append(f"internet-{fam}")
        elif len(missing) < len(have):
            out.append(f"internet-{fam} except {' '.join(missing)}")
        else:
            out.extend(have)
    out.extend(str(p) for p in sorted(peers.symbols))
    return out


def _family_ids(peers: AddressSet) -> list[str]:
    return [fam.lower() for fam, _ in families(peers)]


def _exposure(e: Exposure) -> dict[str, object]:
    return {
        "protocol": protocol_label(e.protocols),
        "ports": ports_label(e.protocols, e.ports),
        "peers": peer_tokens(e.peers),
        "families": _family_ids(e.peers),
        "internet": e.internet,
        "path": [hop_doc(h) for h in e.path],
    }


def _blocked(b: Blocked) -> dict[str, object]:
    return {
        "protocol": protocol_label(b.protocols),
        "ports": ports_label(b.protocols, b.ports),
        "families": [f for src, _ in b.sources for f in _family_ids(src)],
        "reason": b.reason,
        "opened_by": hop_doc(b.opened_by),
        "blocked_by": hop_doc(b.blocked_by),
    }


def asset_doc(ax: AssetExposure) -> dict[str, object]:
    p = ax.path
    a = p.asset
    return {
        "provider": a.provider,
        "account": a.account,
        "region": a.region,
        "resource_type": a.resource_type,
        "resource_id": a.resource_id,
        "instance_id": p.instance_id,
        "entry": p.entry,
        "private_ips": list(p.private_ips),
        "public_ips": list(p.public_ips),
        "public": p.public,
        "public_note": p.public_note,
        "layers": [
            {"name": x.name, "rulesets": list(x.ids), "stateless": x.stateless} for x in p.layers
        ],
        "reachable": bool(ax.reachable),
        "exposures": [_exposure(e) for e in ax.exposures],
        "blocked": [_blocked(b) for b in ax.blocked],
    }


def document(
    results: Sequence[AssetExposure], coverage: Sequence[Coverage], generated_at: datetime
) -> dict[str, object]:
    return {
        "schema": SCHEMA,
        "generated_at": generated_at.isoformat(),
        "complete": all(c.ok for c in coverage),
        "coverage": [
            {"provider": c.provider, "scope": c.scope, "status": str(c.status), "reason": c.reason}
            for c in coverage
        ],
        "assets": [asset_doc(r) for r in results],
    }


def short(resource_id: str) -> str:
    """Table/html label: ARM-style ids (``/subscriptions/.../name``) shortened to the name."""
    return (
        resource_id.rstrip("/").rsplit("/", 1)[-1] if resource_id.startswith("/") else resource_id
    )


# -- the human view (table, html): one line per asset, address family and port range ------------
#: the keys of a `rows` line, in the order the table and html show them
COLUMNS = ("asset", "public address", "family", "traffic", "from", "verdict", "decided by")
REACHABLE = "reachable"
#: one line before it is merged: (family, verdict, protocols, ports, sources, deciding rules)
_Piece = tuple[str, str, Intervals, Intervals, AddressSet, str]


def families(peers: AddressSet) -> list[tuple[str, AddressSet]]:
    """``peers`` split by address family: ``[("IPv4", v4 part), ("IPv6", v6 part)]``."""
    out = []
    if peers.numeric_v4():
        out.append(("IPv4", AddressSet(v4=peers.numeric_v4())))
    if peers.numeric_v6():
        out.append(("IPv6", AddressSet(v6=peers.numeric_v6())))
    return out


def hop_text(h: Hop) -> str:
    """``subnet acl-1 ingress:100``: where the layer sits, its rule set(s), the rule (without
    the rule set's id in front)."""
    where = h.layer.split(":", 1)[0]
    rule = h.rule.removeprefix(f"{h.ruleset}:") or h.rule
    return f"{where} {','.join(short(x) for x in h.ruleset.split(','))} {rule}"


def path_text(path: Sequence[Hop]) -> str:
    return " -> ".join(hop_text(h) for h in path)


def public_text(p: ExposurePath) -> str:
    """The public addresses (a public IP resource whose address was not collected by its name),
    ``unknown`` without instance data, ``none``."""
    if not p.public_ips:
        return "unknown" if p.public is None else "none"
    return ", ".join(
        f"{short(x)} (address unknown)" if x.startswith("/") else x for x in p.public_ips
    )


def rows(results: Sequence[AssetExposure], everything: bool = False) -> list[dict[str, str]]:
    """One line per asset, address family and port range (keys: `COLUMNS`).

    A line's verdict is ``reachable``, ``narrow sources`` / ``no public address`` (with
    ``everything``), ``blocked``, or ``blocked (reply)`` when a stateless layer stops the reply;
    ``decided by`` names the allowing rule on every layer (outermost first), or the blocking layer
    and rule and the rule whose opening it stops.
    Without ``everything``, only reachable port ranges and the blocks of assets that may have a
    public address are listed; assets with nothing open to the internet are left out.
    """
    out: list[dict[str, str]] = []
    labels = asset_labels(results)
    for r in results:
        p = r.path
        pieces: list[_Piece] = []
        for e in r.exposures if everything else r.reachable:
            verdict = REACHABLE if e in r.reachable else _why_not(r, e)
            pieces.extend(
                (fam, verdict, e.protocols, e.ports, src, "allowed by " + path_text(e.path))
                for fam, src in families(e.peers)
            )
        if everything or p.public is not False:
            pieces.extend(_blocked_pieces(r))
        asset = labels[p.asset.uid] + (" (DNAT)" if p.entry == "dnat" else "")
        base = {"asset": asset, "public address": public_text(p)}
        out.extend({**base, **line} for line in _merge(pieces))
    return out


def asset_labels(results: Sequence[AssetExposure]) -> dict[str, str]:
    """Asset uid -> its short id; assets that would read the same all get the first of region,
    account, or both that tells them apart (a GCP target profile exists per project and region)."""
    groups: dict[str, list[Asset]] = {}
    for a in {r.path.asset.uid: r.path.asset for r in results}.values():
        groups.setdefault(short(a.resource_id), []).append(a)
    labels: dict[str, str] = {}
    for label, assets in groups.items():
        where = next(
            (f for f in _QUALIFIERS if len({f(a) for a in assets}) == len(assets)),
            lambda a: a.uid,
        )
        for a in assets:
            labels[a.uid] = label if len(assets) == 1 else f"{label} ({where(a)})"
    return labels


def _region(a: Asset) -> str:
    return a.region


def _account(a: Asset) -> str:
    return a.account


def _account_region(a: Asset) -> str:
    return f"{a.account} {a.region}"


_QUALIFIERS = (_region, _account, _account_region)


def _blocked_pieces(r: AssetExposure) -> list[_Piece]:
    out: list[_Piece] = []
    for b in r.blocked:
        verdict = "blocked (reply)" if b.reason == RETURN else "blocked"
        decided = f"{hop_text(b.blocked_by)} (opened by {hop_text(b.opened_by)})"
        sources = b.sources or ((EMPTY, b.ports),)
        for src, ports in sources:
            fam = families(src)[0][0] if src else "?"
            out.append((fam, verdict, b.protocols, ports, src, decided))
    return out


def _merge(pieces: list[_Piece]) -> list[dict[str, str]]:
    """Pieces that differ only by protocol (a NACL's return check splits tcp, udp and the rest)
    become one; then one line per (verdict, protocols, ports) and set of deciding rules, naming
    its address families (``IPv4+IPv6`` when both are decided the same way)."""
    protos: dict[tuple[str, str, Intervals, AddressSet, str], Intervals] = {}
    for fam, verdict, p, q, src, decided in pieces:
        k = (fam, verdict, q, src, decided)
        protos[k] = protos.get(k, Intervals()) | p
    per_family: dict[tuple[str, str, Intervals, Intervals], tuple[AddressSet, list[str]]] = {}
    for (fam, verdict, q, src, decided), p in protos.items():
        sources, why = per_family.get((fam, verdict, p, q), (EMPTY, []))
        per_family[(fam, verdict, p, q)] = (
            sources | src,
            why if decided in why else [*why, decided],
        )
    lines: dict[
        tuple[str, Intervals, Intervals, tuple[str, ...]], tuple[list[str], AddressSet]
    ] = {}
    for (fam, verdict, p, q), (sources, why) in per_family.items():
        fams, src = lines.get((verdict, p, q, tuple(why)), ([], EMPTY))
        lines[(verdict, p, q, tuple(why))] = (sorted({*fams, fam}), src | sources)
    out = []
    for verdict, p, q, rules in sorted(lines, key=_line_order):
        fams, sources = lines[(verdict, p, q, rules)]
        out.append(
            {
                "family": "+".join(fams),
                "traffic": traffic_text(protocol_label(p), ports_label(p, q)),
                "from": peers_text(sources, limit=3) if sources else "",
                "verdict": verdict,
                "decided by": "; ".join(rules),
            }
        )
    return out


def _line_order(k: tuple[str, Intervals, Intervals, tuple[str, ...]]) -> tuple[object, ...]:
    """Reachable first, then by protocols and ports."""
    verdict, p, q, why = k
    return (verdict != REACHABLE, p.spans, q.spans, verdict, why)


def _why_not(r: AssetExposure, e: Exposure) -> str:
    if r.path.public is False:
        return "no public address"
    return "narrow sources" if not e.internet else REACHABLE

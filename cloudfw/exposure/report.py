"""The `cloudfw.exposure/1` JSON document and the flat rows the table/html views show. Pure.

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
                       "internet": true,       # the sources hold >= half the public space
                       # peers: public sources only: "internet-v4"/"internet-v6" (a family's
                       # whole public space), "internet-v4 except <cidr> ...", or CIDRs
                       "path": [{"layer", "ruleset", "rule"}]}],   # the allowing rule per layer
        "blocked": [{"protocol", "ports", "reason": "ingress" | "return-path",
                     "opened_by": {"layer", "ruleset", "rule"},
                     "blocked_by": {"layer", "ruleset", "rule"}}]   # rule "(default)": no rule
      }]
    }
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cloudfw.exposure.stack import AssetExposure, Blocked, Exposure, Hop
from cloudfw.model import AddressSet, Coverage, Intervals
from cloudfw.model.addr import PUBLIC_V4, PUBLIC_V6
from cloudfw.model.ports import ports_label, protocol_label

SCHEMA = "cloudfw.exposure/1"

_HOP = {
    "type": "object",
    "required": ["layer", "ruleset", "rule"],
    "properties": {k: {"type": "string"} for k in ("layer", "ruleset", "rule")},
    "additionalProperties": False,
}
_STRS = {"type": "array", "items": {"type": "string"}}
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


def _exposure(e: Exposure) -> dict[str, object]:
    return {
        "protocol": protocol_label(e.protocols),
        "ports": ports_label(e.protocols, e.ports),
        "peers": peer_tokens(e.peers),
        "internet": e.internet,
        "path": [hop_doc(h) for h in e.path],
    }


def _blocked(b: Blocked) -> dict[str, object]:
    return {
        "protocol": protocol_label(b.protocols),
        "ports": ports_label(b.protocols, b.ports),
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


def hop_text(h: Hop) -> str:
    return f"{h.layer}={','.join(short(x) for x in h.ruleset.split(','))}/{h.rule}"


def path_text(path: Sequence[Hop]) -> str:
    return " -> ".join(hop_text(h) for h in path)


def rows(results: Sequence[AssetExposure], everything: bool = False) -> list[dict[str, str]]:
    """One row per exposure (and per blocked port range): asset, public IPs, protocol/ports, path.

    Without ``everything``, only reachable exposures and the blocks of assets that have any public
    path are listed; assets with nothing open to the internet are left out.
    """
    out: list[dict[str, str]] = []
    for r in results:
        p = r.path
        pub = ",".join(p.public_ips) or ("?" if p.public is None else "-")
        asset = short(p.asset.resource_id) + (" (DNAT)" if p.entry == "dnat" else "")
        base = {"asset": asset, "type": p.asset.resource_type, "public_ips": pub}
        shown = r.exposures if everything else r.reachable
        for e in shown:
            status = "reachable" if e in r.reachable else _why_not(r, e)
            out.append(
                {
                    **base,
                    "protocol/ports": _pp(e.protocols, e.ports),
                    "status": status,
                    "path": path_text(e.path),
                }
            )
        if everything or p.public is not False:
            out.extend(
                {
                    **base,
                    "protocol/ports": _pp(b.protocols, b.ports),
                    "status": f"blocked by {b.blocked_by.layer}/{b.blocked_by.rule}",
                    "path": f"opened by {hop_text(b.opened_by)}",
                }
                for b in r.blocked
            )
    return out


def _why_not(r: AssetExposure, e: Exposure) -> str:
    if r.path.public is False:
        return "no public address"
    return "narrow sources" if not e.internet else "reachable"


def _pp(protocols: Intervals, ports: Intervals) -> str:
    return f"{protocol_label(protocols)}/{ports_label(protocols, ports)}"

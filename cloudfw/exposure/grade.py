"""Grade ``internet-ingress`` and (ingress) ``allow-all`` findings by effective exposure. Pure.

A finding names one rule set (its asset) and the rules that open a catalog service. When the
layers in front of that rule set are known (it sits on at least one asset's path):

* **critical**: some asset with a public address is reachable from the internet on the service's
  ports, with the finding's rule on the allowing path;
* **medium**: the rule is open, but every asset behind it is protected by another layer, or has
  no public address; the message and ``evidence["effective_exposure"]`` say which layer blocks;
* unchanged: no path runs through the rule set (nothing known is attached), or the only
  reachable assets have an unknown public address (GCP networks without instance data); the
  evidence then says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from cloudfw.exposure.stack import AssetExposure, Exposure
from cloudfw.model import ALL_PORTS, ALL_PROTOCOLS, Finding, Intervals, RuleSet, Severity
from cloudfw.policy.catalog import ServiceCatalog

CHECK = "internet-ingress"
GRADED = frozenset({CHECK, "allow-all"})
EVERYTHING = ((ALL_PROTOCOLS, ALL_PORTS),)
Endpoints = tuple[tuple[Intervals, Intervals], ...]


def _hits(protos: Intervals, ports: Intervals, endpoints: Endpoints) -> bool:
    return any(protos.intersects(p) and ports.intersects(q) for p, q in endpoints)


@dataclass
class _Behind:
    """The asset results whose path goes through one rule set, indexed by the rules that open
    (internet exposures) or are blocked (`Blocked.opened_by`) on a rule set of that resource id:
    each finding then visits only the exposures its own rules open, not every asset's."""

    results: list[AssetExposure]
    opens: dict[str, list[tuple[int, int]]] | None = None  # rule -> (result, exposure) positions
    blocks: dict[str, list[tuple[int, int]]] | None = None  # rule -> (result, blocked) positions

    def index(self, rs_id: str) -> None:
        if self.opens is not None:
            return
        opens: dict[str, list[tuple[int, int]]] = {}
        blocks: dict[str, list[tuple[int, int]]] = {}
        for i, r in enumerate(self.results):
            for j, e in enumerate(r.exposures):
                rules = {h.rule for h in e.path if h.ruleset == rs_id}
                if rules and e.internet:
                    for rule in rules:
                        opens.setdefault(rule, []).append((i, j))
            for k, b in enumerate(r.blocked):
                if b.opened_by.ruleset == rs_id:
                    blocks.setdefault(b.opened_by.rule, []).append((i, k))
        self.opens, self.blocks = opens, blocks


def _index(results: Sequence[AssetExposure]) -> dict[str, _Behind]:
    """Rule-set uid -> the asset results whose path goes through it."""
    out: dict[str, _Behind] = {}
    for r in results:
        for layer in r.path.layers:
            for rs in layer.rulesets:
                out.setdefault(rs.asset.uid, _Behind([])).results.append(r)
    return out


def _positions(
    index: dict[str, list[tuple[int, int]]], keys: frozenset[str]
) -> list[tuple[int, int]]:
    """The positions any of ``keys`` holds, in result order (each once)."""
    if len(keys) == 1:
        return index.get(next(iter(keys)), [])
    return sorted({p for k in keys for p in index.get(k, ())})


def grade_findings(
    findings: Sequence[Finding], results: Sequence[AssetExposure], catalog: ServiceCatalog
) -> list[Finding]:
    """``findings`` with every gradable internet-ingress finding regraded (order kept)."""
    index = _index(results)
    return [_grade(f, index, catalog) for f in findings]


def _endpoints(f: Finding, catalog: ServiceCatalog) -> Endpoints | None:
    if f.base_check == "allow-all":
        return EVERYTHING if f.direction == "ingress" else None
    svc = catalog.resolve(str(f.evidence.get("service", "")))
    return None if svc is None else tuple((e.protocols, e.ports) for e in svc.endpoints)


def _grade(f: Finding, index: dict[str, _Behind], catalog: ServiceCatalog) -> Finding:
    if f.base_check not in GRADED:
        return f
    found = index.get(f.asset.uid)
    eps = _endpoints(f, catalog)
    if not found or eps is None:
        return f
    behind = found.results
    rs_id, keys = f.asset.resource_id, frozenset(f.rule_keys)
    found.index(rs_id)
    assert found.opens is not None and found.blocks is not None
    reachable: list[tuple[AssetExposure, Exposure]] = []
    unknown: list[AssetExposure] = []
    blockers: list[str] = []
    private: list[str] = []
    open_at: dict[int, list[Exposure]] = {}
    for i, j in _positions(found.opens, keys):
        e = behind[i].exposures[j]
        if _hits(e.protocols, e.ports, eps):
            open_at.setdefault(i, []).append(e)
    for i, open_here in open_at.items():  # in result order, as `_positions` returns them
        r = behind[i]
        if r.path.public is True:
            reachable.extend((r, e) for e in open_here)
        elif r.path.public is None:
            unknown.append(r)
        else:
            private.append(r.path.asset.resource_id)
    for i, k in _positions(found.blocks, keys):
        r, b = behind[i], behind[i].blocked[k]
        if _hits(b.protocols, b.ports, eps):
            bb = b.blocked_by
            what = "return path" if b.reason == "return-path" else "rule"
            blockers.append(
                f"{r.path.asset.resource_id}: blocked by {bb.layer} {bb.ruleset} {what} {bb.rule}"
            )
    blockers = sorted(set(blockers))
    assets = sorted({r.path.asset.resource_id for r in behind})
    ev: dict[str, object] = {
        "assets": assets,
        "reachable": [
            {
                "asset": r.path.asset.resource_id,
                "public_ips": list(r.path.public_ips),
                "path": [str(h) for h in e.path],
            }
            for r, e in reachable
        ],
        "blocked_by": blockers,
        "no_public_address": sorted(set(private)),
        "public_unknown": sorted({r.path.asset.resource_id for r in unknown}),
    }
    evidence = {**dict(f.evidence), "effective_exposure": ev}
    if reachable:
        names = sorted({r.path.asset.resource_id for r, _ in reachable})
        msg = f"{f.message} Effective exposure: reachable on {', '.join(names[:4])}" + (
            f" and {len(names) - 4} more." if len(names) > 4 else "."
        )
        return replace(f, severity=Severity.CRITICAL, message=msg, evidence=evidence)
    if unknown:
        msg = f"{f.message} Effective exposure: open through every layer; public address unknown."
        return replace(f, message=msg, evidence=evidence)
    why = blockers[:3] + [f"{a}: no public address" for a in sorted(set(private))[:3]]
    if not why:
        why = [f"no other layer allows it on {', '.join(assets[:3])}"]
    msg = f"{f.message} Effective exposure: not reachable ({'; '.join(why)})."
    sev = min(f.severity, Severity.MEDIUM)
    return replace(f, severity=sev, message=msg, evidence=evidence)


def grade_by_exposure(
    findings: Sequence[Finding], rulesets: Sequence[RuleSet], catalog: ServiceCatalog
) -> list[Finding]:
    """Stack the snapshot's paths and regrade; free when there is nothing to grade."""
    if not any(f.base_check in GRADED for f in findings):
        return list(findings)
    from cloudfw.exposure.paths import build_paths
    from cloudfw.exposure.stack import effective_exposure

    # Only the assets behind a rule set with a gradable finding matter: stack just those paths.
    wanted = {f.asset.uid for f in findings if f.base_check in GRADED}
    paths = build_paths(rulesets, only=wanted)
    return grade_findings(findings, effective_exposure(paths), catalog)

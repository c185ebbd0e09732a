"""`run_checks`: evaluate every enabled check over a snapshot.

When ``allow-all`` fires for a rule set, its per-service ``internet-ingress`` findings are folded
into it (``evidence["services"]``): one finding says "everything is open", not 25.

Per rule set, each target profile's allowed ingress space is computed once (`allowed_public`: the
model's `RuleSet.allowed`, restricted to boxes with a public peer) and shared by the exposure
checks. The same finding seen under several target profiles (GCP target
tags, Azure ASGs) is reported once, listing the profiles in ``evidence["targets"]``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from cloudfw.checks.base import Context, allowed_public_both
from cloudfw.checks.exposure import PubBoxes, allow_all, internet_ingress, wide_public_source
from cloudfw.checks.host import HOST_CHECKS, host_findings, state_qualified
from cloudfw.checks.hygiene import default_group_open, default_pass, unlogged
from cloudfw.checks.ifaces import Views, annotate, views_of
from cloudfw.checks.ordering import dead_rules
from cloudfw.checks.params import Params, resolve_policy
from cloudfw.model import (
    EVERY_IFACE,
    Direction,
    EvalSemantics,
    Finding,
    ProfileSpaces,
    RuleSet,
    Snapshot,
)
from cloudfw.policy.catalog import ServiceCatalog
from cloudfw.policy.config import PolicyConfig

Profile = frozenset[str]


def _targets_phrase(profiles: list[Profile]) -> str:
    if frozenset() in profiles:
        return ""
    tags = "; ".join(",".join(sorted(p)) for p in profiles)
    return f" (applies to instances with targets: {tags})"


def _covered(found: Found) -> dict[str, set[str]]:
    """Service -> the views where an ingress ``allow-all`` finding includes it."""
    out: dict[str, set[str]] = {}
    for f, _, seen in found.values():
        ev = f.evidence
        if f.check == "allow-all" and f.direction != str(Direction.EGRESS) and isinstance(ev, dict):
            for svc in ev.get("services", ()):
                out.setdefault(str(svc), set()).update(seen)
    return out


def _merge(found: Found, views: Views) -> list[Finding]:
    """One finding per (check, rules), with the views it was seen on. A check that holds on
    every view assumes no interface, whichever rule makes it hold there: the views where the
    same check fired for other rules, or where an allow-all includes the service, count too."""
    out: list[Finding] = []
    covered = _covered(found) if views.bound else {}
    by_check: dict[str, set[str]] = {}
    for f, _, seen in found.values():
        by_check.setdefault(f.check, set()).update(seen)
    for f, profiles, seen in found.values():
        ev = f.evidence
        assert isinstance(ev, dict)  # built by make_finding, still ours to complete
        ev["targets"] = [sorted(p) for p in profiles]
        suffix = _targets_phrase(profiles)
        if suffix:
            msg = f.message[:-1] + suffix + "." if f.message.endswith(".") else f.message + suffix
            f = replace(f, message=msg)
        implied = covered.get(f.check.partition("[")[2].rstrip("]"), set())
        side = views.inbound if f.direction != str(Direction.EGRESS) else views.outbound
        labels = {v.label for v in side}
        if not views.known and labels and by_check[f.check] | implied >= labels:
            seen = sorted(labels)  # exposed whichever interface faces the internet
        out.append(annotate(f, seen, views, f.direction != str(Direction.EGRESS), implied))
    return out


def _fold(everything: Finding, services: list[Finding]) -> Finding:
    """Every port is open from the internet: one ``allow-all`` finding, not one per service.
    The services it exposes go into its evidence, and it is as grave as the gravest of them
    (opening more never scores lower than opening one critical service)."""
    ev = everything.evidence
    assert isinstance(ev, dict)
    ev["services"] = sorted(f.check.partition("[")[2].rstrip("]") for f in services)
    worst = max([everything.severity, *(f.severity for f in services)])
    names = ", ".join(ev["services"][:6]) + ("…" if len(services) > 6 else "")
    msg = everything.message.rstrip(".") + f"; that includes {names}."
    return replace(everything, severity=worst, message=msg)


@dataclass(frozen=True)
class _Exposure:
    """The exposure checks' parameters, resolved once per run."""

    ii: Params | None
    aa: Params | None
    wps: Params | None
    directions: tuple[str, ...]

    @staticmethod
    def of(enabled: dict[str, Params]) -> _Exposure:
        aa = enabled.get("allow-all")
        dirs = (aa.get_names("directions") or ()) if aa is not None else ()
        return _Exposure(enabled.get("internet-ingress"), aa, enabled.get("wide-public-source"),
                         dirs)  # fmt: skip


_NO_EXPOSURE = _Exposure(None, None, None, ())


Found = dict[tuple[str, tuple[str, ...]], tuple[Finding, list[Profile], list[str]]]


def _ruleset_findings(
    rs: RuleSet, ctx: Context, enabled: dict[str, Params], exp: _Exposure, views: Views
) -> list[Finding]:
    if rs.semantics is EvalSemantics.APP_LEVEL:
        # An application firewall allows programs, not ports: which services an allowed program
        # exposes is unknown, so port exposure is not judged (app-allowed, stealth-off and
        # firewall-disabled report what it does decide).
        exp = _NO_EXPOSURE
    ii, aa, wps, directions = exp.ii, exp.aa, exp.wps, exp.directions
    found: Found = {}
    want_in = ii is not None or wps is not None or "ingress" in directions
    want_out = aa is not None and "egress" in directions
    spaces = ProfileSpaces(rs)
    # Findings depend on a profile only through the rules it selects: profiles that select the
    # same rules (in both directions judged) share one evaluation.
    judged: dict[tuple[object, ...], list[tuple[list[Finding], str]]] = {}
    for profile in rs.target_profiles():
        if not want_in and not want_out:
            break
        key = (
            spaces.selection(Direction.INGRESS, profile) if want_in else None,
            spaces.selection(Direction.EGRESS, profile) if want_out else None,
        )
        batches = judged.get(key)
        if batches is None:
            batches = judged[key] = _profile_findings(rs, profile, ctx, exp, views, spaces)
        for batch, label in batches:
            _add(found, batch, profile, label)
    out = [state_qualified(f, rs) for f in _merge(found, views)] if found else []
    if "default-group-open" in enabled:
        out.extend(default_group_open(rs, ctx))
    if "default-pass" in enabled:
        out.extend(default_pass(rs, ctx))
    opaque = ctx.opaque(rs)
    for f in out if opaque else ():
        if isinstance(f.evidence, dict):
            f.evidence["not_evaluated"] = list(opaque)
    if "shadowed-rule" in enabled or "redundant-rule" in enabled:
        out.extend(f for f in dead_rules(rs, ctx) if f.check in enabled)
    return out


def _profile_findings(
    rs: RuleSet, profile: Profile, ctx: Context, exp: _Exposure, views: Views, spaces: ProfileSpaces
) -> list[tuple[list[Finding], str]]:
    """The exposure checks' findings for one target profile: (findings, view label) batches."""
    ii, aa, wps, directions = exp.ii, exp.aa, exp.wps, exp.directions
    want_in = ii is not None or wps is not None or "ingress" in directions
    want_out = aa is not None and "egress" in directions
    pub, pub_out = allowed_public_both(rs, profile, ctx.shares, egress=want_out, spaces=spaces)
    out: list[tuple[list[Finding], str]] = []
    if want_in:
        out.extend(
            (_ingress(rs, _on(pub, view.bits), ctx, exp), view.label) for view in views.inbound
        )
    if want_out and aa is not None:
        for view in views.outbound:
            batch = allow_all(rs, _on(pub_out, view.bits), Direction.EGRESS, ctx, aa)
            out.append((batch, view.label))
    return out


def _ingress(rs: RuleSet, pub: PubBoxes, ctx: Context, exp: _Exposure) -> list[Finding]:
    ii, aa, wps, directions = exp.ii, exp.aa, exp.wps, exp.directions
    batch: list[Finding] = []
    everything = (
        allow_all(rs, pub, Direction.INGRESS, ctx, aa)
        if aa is not None and "ingress" in directions
        else []
    )
    services = internet_ingress(rs, pub, ctx, ii) if ii is not None else []
    if everything and services:
        everything = [_fold(everything[0], services), *everything[1:]]
    else:
        batch.extend(services)
    batch.extend(everything)
    if wps is not None:
        batch.extend(wide_public_source(rs, pub, ctx, wps))
    return batch


def _on(pub: PubBoxes, bits: int) -> PubBoxes:
    """The boxes on the interface pairs ``bits``."""
    return pub if bits == EVERY_IFACE else [(b, s) for b, s in pub if b.ifaces & bits]


def _add(found: Found, batch: list[Finding], profile: Profile, view: str) -> None:
    for f in batch:
        key = (f.check, f.rule_keys)
        hit = found.get(key)
        if hit is None:
            found[key] = (f, [profile], [view])
            continue
        if profile not in hit[1]:
            hit[1].append(profile)
        if view not in hit[2]:
            hit[2].append(view)


def run_checks(
    snapshot: Snapshot,
    policy: PolicyConfig,
    catalog: ServiceCatalog,
    *,
    other_checks: Collection[str] = (),
    ctx: Context | None = None,
) -> list[Finding]:
    """Every finding of every enabled check, in snapshot order (rule set by rule set), then the
    per-scope ``unlogged`` findings. Raises `PolicyError` for an invalid ``policy``; drift ids
    (`FOREIGN_CHECKS`) and ``other_checks`` in the policy are left to their owners. ``ctx``: a
    `Context` of ``catalog`` to share with other calls (its caches keep what they saw alive:
    share it over a bounded batch, e.g. a chunk of hosts)."""
    host_ids = frozenset(HOST_CHECKS)
    enabled = resolve_policy(policy, catalog, other_checks=(*other_checks, *host_ids))
    if ctx is None or ctx.catalog is not catalog:
        ctx = Context(catalog)
    out: list[Finding] = []
    exp = _Exposure.of(enabled)
    for rs in snapshot.rulesets:
        views = views_of(rs, policy.internet_interfaces_for(rs.asset.account))
        out.extend(_ruleset_findings(rs, ctx, enabled, exp, views))
    if "unlogged" in enabled:
        out.extend(unlogged(snapshot.rulesets, ctx))
    out.extend(host_findings(snapshot.rulesets, policy.disabled() & host_ids))
    return out

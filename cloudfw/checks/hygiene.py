"""Configuration hygiene checks: ``default-group-open``, ``default-pass`` and ``unlogged``."""

from __future__ import annotations

from collections.abc import Iterable

from cloudfw.checks.base import Context, make_finding, resource_label, short_list
from cloudfw.checks.meta import DEFAULT_GROUP_OPEN, DEFAULT_PASS, UNLOGGED
from cloudfw.model import Asset, Direction, Finding, Logging, Rule, RuleSet
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS


def default_group_open(rs: RuleSet, ctx: Context) -> list[Finding]:
    """A provider default (AWS default SG, GCP default network...) with any enabled allow rule.

    Both directions count: CIS asks that the default group restrict *all* traffic, and workloads
    that fall into it inherit egress as well as ingress.
    """
    if not rs.is_default:
        return []
    allows = sorted(
        (r for r in rs.rules if r.enabled and r.action.permits and not r.builtin),
        key=lambda r: r.key,
    )
    if not allows:
        return []
    keys = tuple(r.key for r in allows)
    dirs = sorted({str(r.direction) for r in allows})
    shown = [f"{r.key}: {ctx.summary(r)}" for r in allows[:3]]
    summaries = short_list([*shown, *(r.key for r in allows[3:])], limit=3)
    msg = (
        f"default {resource_label(rs.asset)} allows traffic ({summaries}); a default should "
        f"allow nothing; {ctx.attachments(rs)[0]}."
    )
    return [
        make_finding(
            DEFAULT_GROUP_OPEN,
            rs.asset,
            msg,
            rule_keys=keys,
            direction=dirs[0] if len(dirs) == 1 else "both",
            evidence={
                "rules": ctx.rule_summaries(rs, keys),
                "attachments": ctx.attachments(rs)[1],
            },
        )
    ]


def _catch_all(r: Rule) -> bool:
    return (
        r.protocols == ALL_PROTOCOLS
        and r.ports == ALL_PORTS
        and r.peers.universal
        and r.local.universal
        and not r.targets
        and not r.bound
    )


def default_pass(rs: RuleSet, ctx: Context) -> list[Finding]:
    """A catch-all allow in a layer before the last, that traffic reaches: what that layer does
    not decide is allowed without the later layers seeing it. One finding per rule set, naming
    the rules (ingress first) and the layers they skip."""
    if len(rs.layer_names) < 2:
        return []
    last = max((r.layer for r in rs.rules), default=0)
    hits: list[Rule] = []
    for direction in (Direction.INGRESS, Direction.EGRESS):
        opened = {b.rule_key for b in rs.allowed(direction).boxes}
        hits += [
            r
            for r in rs.evaluation_order(direction)
            if r.layer < last and r.action.permits and _catch_all(r) and r.key in opened
        ]
    if not hits:
        return []
    first = hits[0]
    names = rs.layer_names
    skipped = [n for i, n in enumerate(names) if i > first.layer] or ["later"]
    layer = names[first.layer] if first.layer < len(names) else str(first.layer)
    dirs = sorted({str(r.direction) for r in hits})
    what = f" ({first.description})" if first.description else ""
    msg = (
        f"{resource_label(rs.asset)}: what no {layer} rule decides is allowed by "
        f"{first.key}{what} and never reaches the {short_list(skipped, limit=3)} layer"
        f"{'s' if len(skipped) > 1 else ''}; {ctx.attachments(rs)[0]}."
    )
    keys = tuple(r.key for r in hits)
    return [
        make_finding(
            DEFAULT_PASS,
            rs.asset,
            msg,
            rule_keys=keys,
            direction=dirs[0] if len(dirs) == 1 else "both",
            protocol="all",
            ports="all",
            peers=("*",),
            evidence={
                "rules": ctx.rule_summaries(rs, keys),
                "skipped_layers": skipped,
                "attachments": ctx.attachments(rs)[1],
            },
        )
    ]


def unlogged(rulesets: Iterable[RuleSet], ctx: Context) -> list[Finding]:
    """Enforcement points whose traffic decisions leave no log.

    Rule-level logging (a GCP rule's ``logConfig``, a pf rule without ``log``) is judged per rule:
    one finding per enabled rule with logging off. A rule set with no such rule but whose own log
    is off (no VPC flow log, no NSG flow log, firewall profile logging off) is reported once per
    *log scope* (the resource whose setting decides it, e.g. the VPC), listing the affected rule
    sets, or once per rule set when it has no scope. ``unknown`` never fires: not knowing is not
    evidence of a gap (collectors set ``off`` only when they saw it).
    """
    out: list[Finding] = []
    scopes: dict[str, tuple[Asset, list[RuleSet]]] = {}
    for rs in rulesets:
        off_rules = [r for r in rs.rules if r.enabled and r.logging is Logging.OFF]
        for r in off_rules:
            msg = (
                f"{resource_label(rs.asset)} rule {r.key} ({ctx.summary(r)}) does not log the "
                f"traffic it decides."
            )
            out.append(
                make_finding(
                    UNLOGGED,
                    rs.asset,
                    msg,
                    rule_keys=(r.key,),
                    direction=str(r.direction),
                    protocol=r.protocol_label,
                    ports=r.ports_label,
                    peers=r.peers.to_tokens(),
                    evidence={"rules": ctx.rule_summaries(rs, (r.key,))},
                )
            )
        if off_rules or rs.logging is not Logging.OFF:
            continue
        scope = rs.log_scope or rs.asset
        scopes.setdefault(scope.uid, (scope, []))[1].append(rs)
    for scope, members in scopes.values():
        members.sort(key=lambda m: m.asset.uid)  # the same report whatever the snapshot order
        labels = [resource_label(m.asset) for m in members]
        if len(members) == 1 and members[0].asset == scope:
            msg = f"{resource_label(scope)} does not log its traffic decisions."
        else:
            msg = (
                f"{resource_label(scope)} has no traffic log, so decisions of "
                f"{short_list(labels, limit=3)} are not recorded."
            )
        out.append(
            make_finding(
                UNLOGGED,
                scope,
                msg,
                evidence={
                    "rulesets": [
                        {
                            "uid": m.asset.uid,
                            "resource_type": m.asset.resource_type,
                            "resource_id": m.asset.resource_id,
                            "attachments": len(m.attachments),
                        }
                        for m in members
                    ],
                },
            )
        )
    return out

"""Configuration hygiene checks: ``default-group-open`` and ``unlogged``."""

from __future__ import annotations

from collections.abc import Iterable

from cloudfw.checks.base import Context, make_finding, resource_label, short_list
from cloudfw.checks.meta import DEFAULT_GROUP_OPEN, UNLOGGED
from cloudfw.model import Asset, Finding, Logging, RuleSet


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

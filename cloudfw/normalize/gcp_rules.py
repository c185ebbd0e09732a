"""GCP VPC firewall rules and firewall-policy rules (Compute API JSON) -> `Rule`.

VPC firewall rules: one `Rule` per (firewall, ``allowed``/``denied`` entry); the key is the
firewall name, or ``<name>#<i>`` when the entries are split. Policy rules: one `Rule` per
(rule, ``layer4Configs`` entry), keyed ``<policy short name>:<priority>`` (``#<i>`` when split).
Match fields cloudfw cannot resolve to addresses (FQDNs, geolocations, threat-intelligence lists,
address groups) become ``unresolved`` peers and an explanation in ``Rule.unresolved``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cloudfw.model import (
    ANY,
    ANY_V4,
    Action,
    AddressSet,
    Direction,
    Logging,
    Rule,
    SourceRef,
)
from cloudfw.normalize.gcp_fields import (
    GcpNormalizeError,
    Json,
    direction,
    int_field,
    obj_list,
    opt_bool,
    opt_obj,
    opt_str,
    proto_ports,
    ranges,
    req_str,
    resource_path,
    str_list,
)

VPC_MAX_PRIORITY = 65535
#: the peers a VPC firewall rule matches when it names no source (ingress: no ranges, tags or
#: service accounts) or no destination (egress): the Compute API's default, 0.0.0.0/0
API_DEFAULT_PEERS = ANY_V4
POLICY_MAX_PRIORITY = 2147483647

POLICY_ACTIONS: dict[str, Action] = {
    "allow": Action.ALLOW,
    "deny": Action.DENY,
    "goto_next": Action.GOTO_NEXT,
    # Allows the traffic after layer-7 inspection: for exposure it is an allow.
    "apply_security_profile_group": Action.ALLOW,
}

# Policy match fields that name peers cloudfw cannot turn into addresses.
_UNRESOLVED_SRC = ("srcFqdns", "srcRegionCodes", "srcThreatIntelligences", "srcAddressGroups")
_UNRESOLVED_DST = ("destFqdns", "destRegionCodes", "destThreatIntelligences", "destAddressGroups")


def firewall_rules(fw: Json) -> list[Rule]:
    """One VPC firewall resource (``compute#firewall``) -> its rules (layer 0; caller relayers)."""
    name = req_str(fw, "name", "firewall")
    ctx = f"firewall {name!r}"
    direc = direction(fw, ctx)
    priority = int_field(fw, "priority", ctx, 1000, VPC_MAX_PRIORITY)
    disabled = opt_bool(fw, "disabled", ctx)
    log_cfg = opt_obj(fw, "logConfig", ctx)
    logging = Logging.ON if opt_bool(log_cfg, "enable", f"{ctx}: logConfig") else Logging.OFF
    src = ranges(str_list(fw, "sourceRanges", ctx), ctx, "sourceRanges")
    dst = ranges(str_list(fw, "destinationRanges", ctx), ctx, "destinationRanges")
    tags = str_list(fw, "sourceTags", ctx)
    sas = str_list(fw, "sourceServiceAccounts", ctx)
    if direc is Direction.INGRESS:
        symbols = AddressSet()
        for t in tags:
            symbols = symbols | AddressSet.symbol("network-tag", t)
        for s in sas:
            symbols = symbols | AddressSet.symbol("service-account", s)
        # GCP matches a source if it is in the ranges OR carries a tag OR a service account.
        peers = src | symbols if tags or sas else src
        if peers.is_empty():
            peers = API_DEFAULT_PEERS
        local = dst if dst else ANY
    else:
        peers = dst if dst else API_DEFAULT_PEERS
        local = src if src else ANY
    targets = _targets(
        tuple(str_list(fw, "targetTags", ctx)), tuple(str_list(fw, "targetServiceAccounts", ctx))
    )
    allowed = obj_list(fw, "allowed", ctx)
    denied = obj_list(fw, "denied", ctx)
    if allowed and denied:
        raise GcpNormalizeError(f"{ctx}: has both 'allowed' and 'denied'")
    if not allowed and not denied:
        raise GcpNormalizeError(f"{ctx}: has neither 'allowed' nor 'denied'")
    action = Action.ALLOW if allowed else Action.DENY
    entries = allowed or denied
    field = "allowed" if allowed else "denied"
    origin = SourceRef("api", "compute.firewalls", record=name)
    description = opt_str(fw, "description", ctx)
    out: list[Rule] = []
    for i, entry in enumerate(entries):
        protocols, ports = proto_ports(entry, "IPProtocol", f"{ctx}: {field}[{i}]")
        out.append(
            Rule(
                key=name if len(entries) == 1 else f"{name}#{i}",
                direction=direc,
                action=action,
                protocols=protocols,
                ports=ports,
                peers=peers,
                local=local,
                order=priority,
                enabled=not disabled,
                logging=logging,
                targets=targets,
                description=description,
                origin=origin,
            )
        )
    return out


@lru_cache(maxsize=4096)
def _targets(tags: tuple[str, ...], sas: tuple[str, ...]) -> frozenset[str]:
    """One shared set per distinct target list (rules repeat a few over a whole estate)."""
    return frozenset([f"tag:{t}" for t in tags] + [f"sa:{s}" for s in sas])


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """A normalized policy rule plus the networks it is limited to (empty: every network)."""

    rule: Rule
    target_networks: frozenset[str]

    def applies_to_network(self, network_path: str) -> bool:
        return not self.target_networks or network_path in self.target_networks


def policy_label(policy: Json) -> str:
    for key in ("shortName", "displayName", "name"):
        v = policy.get(key)
        if isinstance(v, str) and v:
            return v
    raise GcpNormalizeError("firewall policy: none of 'shortName', 'displayName', 'name' is set")


def policy_rules(policy: Json, errors: list[str]) -> list[PolicyRule]:
    """One firewall policy (hierarchical, global or regional network) -> its rules.

    A malformed rule is reported in ``errors`` (one line naming policy, priority and field) and
    left out; the policy's other rules are kept.
    """
    label = policy_label(policy)
    try:
        rules = obj_list(policy, "rules", f"firewall policy {label!r}")
    except GcpNormalizeError as exc:
        errors.append(str(exc))
        return []
    out: list[PolicyRule] = []
    for i, r in enumerate(rules):
        prio = r.get("priority", f"#{i}")
        ctx = f"firewall policy {label!r} rule {prio}"
        try:
            out.extend(_policy_rule(label, r, ctx))
        except GcpNormalizeError as exc:
            errors.append(str(exc))
    return out


def _policy_rule(label: str, r: Json, ctx: str) -> list[PolicyRule]:
    priority = int_field(r, "priority", ctx, -1, POLICY_MAX_PRIORITY)
    action_text = req_str(r, "action", ctx)
    action = POLICY_ACTIONS.get(action_text.lower())
    if action is None:
        raise GcpNormalizeError(f"{ctx}: unknown action {action_text!r}")
    direc = direction(r, ctx)
    match = opt_obj(r, "match", ctx)
    mctx = f"{ctx}: match"
    src = ranges(str_list(match, "srcIpRanges", mctx), mctx, "srcIpRanges")
    dst = ranges(str_list(match, "destIpRanges", mctx), mctx, "destIpRanges")
    unresolved: list[str] = []
    if direc is Direction.INGRESS:
        peers = src | _secure_tags(match, "srcSecureTags", mctx)
        peers = peers | _unresolved(match, _UNRESOLVED_SRC, mctx, unresolved)
        local = dst if dst else ANY
    else:
        peers = dst | _unresolved(match, _UNRESOLVED_DST, mctx, unresolved)
        local = src if src else ANY
    if peers.is_empty():
        peers = ANY
    targets = frozenset(
        [f"sa:{s}" for s in str_list(r, "targetServiceAccounts", ctx)]
        + [f"securetag:{t}" for t in _tag_names(r, "targetSecureTags", ctx)]
    )
    nets = frozenset(resource_path(u) for u in str_list(r, "targetResources", ctx))
    if action is Action.GOTO_NEXT:
        logging = Logging.UNKNOWN  # goto_next decides nothing, so there is nothing to log
    else:
        logging = Logging.ON if opt_bool(r, "enableLogging", ctx) else Logging.OFF
    l4 = obj_list(match, "layer4Configs", mctx) or [{"ipProtocol": "all"}]
    origin = SourceRef("api", f"compute.firewallPolicies/{label}", record=str(priority))
    base = f"{label}:{priority}"
    out: list[PolicyRule] = []
    for i, entry in enumerate(l4):
        protocols, ports = proto_ports(entry, "ipProtocol", f"{mctx}: layer4Configs[{i}]")
        rule = Rule(
            key=base if len(l4) == 1 else f"{base}#{i}",
            direction=direc,
            action=action,
            protocols=protocols,
            ports=ports,
            peers=peers,
            local=local,
            order=priority,
            enabled=not opt_bool(r, "disabled", ctx),
            logging=logging,
            targets=targets,
            description=opt_str(r, "description", ctx),
            origin=origin,
            unresolved="; ".join(unresolved),
        )
        out.append(PolicyRule(rule, nets))
    return out


def _tag_names(d: Json, key: str, ctx: str) -> list[str]:
    return [req_str(t, "name", f"{ctx}: {key}") for t in obj_list(d, key, ctx)]


def _secure_tags(match: Json, key: str, ctx: str) -> AddressSet:
    out = AddressSet()
    for name in _tag_names(match, key, ctx):
        out = out | AddressSet.symbol("network-tag", f"securetag:{name}")
    return out


def _unresolved(match: Json, keys: tuple[str, ...], ctx: str, notes: list[str]) -> AddressSet:
    out = AddressSet()
    for key in keys:
        values = str_list(match, key, ctx)
        for v in values:
            out = out | AddressSet.symbol("unresolved", f"{key}={v}")
        if values:
            notes.append(f"match.{key} ({', '.join(values)}) is not resolved to addresses")
    return out

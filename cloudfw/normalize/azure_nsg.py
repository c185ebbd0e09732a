"""Azure network security groups -> `RuleSet` (PRIORITY_FIRST_MATCH, default rules included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudfw.model import (
    ALL_PORTS,
    EMPTY,
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
)
from cloudfw.model.ports import PORTED
from cloudfw.normalize.azure_common import (
    PROVIDER,
    Doc,
    address,
    addresses,
    origin,
    ports,
    protocols,
    resource_group,
    tags_of,
)

NSG_TYPE = "network-security-group"
DEFAULT_PREFIX = "default:"


def _default(
    name: str, prio: int, direction: str, access: str, src: str, dst: str
) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": src,
            "destinationAddressPrefix": dst,
            "access": access,
            "priority": prio,
            "direction": direction,
        },
    }


# The six rules Azure puts in every NSG (ARM lists them as defaultSecurityRules).
STANDARD_DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    _default("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    _default("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
    _default("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
    _default("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    _default("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
    _default("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
)


@dataclass(frozen=True)
class NsgContext:
    """What the rest of the subscription says about NSGs: attachments and flow-log coverage.

    ``attachments`` maps a lower-cased NSG id to the subnets/NICs that use it; ``vnet_of`` maps a
    lower-cased subnet id to its VNet id; ``flow_log_targets`` holds lower-cased ids targeted by an
    enabled flow log, or None when flow logs could not be read (logging is then unknown).
    """

    attachments: Mapping[str, tuple[Attachment, ...]] = field(default_factory=dict)
    vnet_of: Mapping[str, str] = field(default_factory=dict)
    flow_log_targets: frozenset[str] | None = None


def _side(p: Doc, side: str) -> AddressSet:
    """Union of the singular prefix, the plural prefixes and the application security groups."""
    single = p.text(f"{side}AddressPrefix", default="")
    plural = p.strs(f"{side}AddressPrefixes")
    asgs = p.ref_ids(f"{side}ApplicationSecurityGroups")
    if not single and not plural and not asgs:
        what = "missing (no prefix, prefixes or application security groups)"
        raise p.fail(f"{side}AddressPrefix", what)
    out = address(single, p, f"{side}AddressPrefix") if single else EMPTY
    out = out | addresses(plural, p, f"{side}AddressPrefixes")
    for a in asgs:
        out = out | AddressSet.symbol("asg", a)
    return out


def _port_tokens(p: Doc, side: str) -> list[str]:
    toks = p.strs(f"{side}PortRanges")
    single = p.text(f"{side}PortRange", default="")
    return [single, *toks] if single else toks


def security_rule(r: Doc, nsg_id: str, is_default: bool) -> Rule:
    name = r.text("name")
    p = r.req_obj("properties")
    proto_text = p.text("protocol")
    protos = protocols([proto_text], p, "protocol")
    access = p.text("access")
    if access.lower() not in ("allow", "deny"):
        raise p.fail("access", f"expected Allow or Deny, got {access!r}")
    direction_text = p.text("direction")
    if direction_text.lower() not in ("inbound", "outbound"):
        raise p.fail("direction", f"expected Inbound or Outbound, got {direction_text!r}")
    priority = p.num("priority")
    inbound = direction_text.lower() == "inbound"
    src, dst = _side(p, "source"), _side(p, "destination")
    dport_toks = _port_tokens(p, "destination")
    if not dport_toks:
        raise p.fail("destinationPortRange", "missing (no port range or ranges)")
    dports = ports(dport_toks, p, "destinationPortRanges")
    if protos.spans and all(lo == hi and lo not in PORTED for lo, hi in protos.spans):
        dports = ALL_PORTS  # ICMP/ESP/AH: NSG port fields do not apply
    sport_toks = _port_tokens(p, "source")
    sports = ports(sport_toks, p, "sourcePortRanges") if sport_toks else ALL_PORTS
    action = Action.ALLOW if access.lower() == "allow" else Action.DENY
    notes = []
    desc = p.text("description", default="")
    if desc:
        notes.append(desc)
    unresolved = ""
    if sports != ALL_PORTS:
        notes.append(f"source ports {','.join(sport_toks)}")
        if action is Action.DENY:
            unresolved = "deny limited to source ports " + ",".join(sport_toks) + " (not modeled)"
    kind = "defaultSecurityRules" if is_default else "securityRules"
    return Rule(
        key=(DEFAULT_PREFIX + name) if is_default else name,
        direction=Direction.INGRESS if inbound else Direction.EGRESS,
        action=action,
        protocols=protos,
        ports=dports,
        peers=src if inbound else dst,
        local=dst if inbound else src,
        order=priority,
        description="; ".join(notes),
        origin=origin(nsg_id, f"{kind}/{name}"),
        unresolved=unresolved,
        builtin=is_default,
    )


def nsg_asset(sub: str, doc: Doc) -> Asset:
    return Asset(
        provider=PROVIDER,
        account=sub,
        region=doc.text("location", default=""),
        resource_type=NSG_TYPE,
        resource_id=doc.rid,
        name=doc.text("name", default=""),
        parent=resource_group(doc.rid),
        tags=tags_of(doc),
    )


def _logging(nsg_id: str, atts: tuple[Attachment, ...], ctx: NsgContext) -> Logging:
    targets = ctx.flow_log_targets
    if targets is None:
        return Logging.UNKNOWN
    scopes = {nsg_id.lower()}
    for a in atts:
        scopes.add(a.resource_id.lower())
        if a.subnet:
            scopes.add(a.subnet.lower())
            vnet = ctx.vnet_of.get(a.subnet.lower())
            if vnet:
                scopes.add(vnet.lower())
    return Logging.ON if scopes & targets else Logging.OFF


def _own_refs(props: Doc, known: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """Attachments the NSG itself lists (``subnets``/``networkInterfaces``) that were not seen."""
    seen = {a.resource_id.lower() for a in known}
    extra: list[Attachment] = []
    for key, kind in (("subnets", "subnet"), ("networkInterfaces", "network-interface")):
        for rid in props.ref_ids(key):
            if rid.lower() not in seen:
                seen.add(rid.lower())
                sub = rid if kind == "subnet" else ""
                extra.append(Attachment(resource_type=kind, resource_id=rid, subnet=sub))
    return known + tuple(extra)


def nsg_ruleset(sub: str, doc: Doc, ctx: NsgContext) -> RuleSet:
    """One NSG document -> RuleSet. Raises AzureNormalizeError naming the id and field."""
    props = doc.req_obj("properties")
    asset = nsg_asset(sub, doc)
    rules = [security_rule(r, doc.rid, False) for r in props.objs("securityRules")]
    if props.has("defaultSecurityRules"):
        defaults = props.objs("defaultSecurityRules")
    else:
        defaults = [
            Doc(d, doc.rid, f"(standard defaultSecurityRules[{i}])")
            for i, d in enumerate(STANDARD_DEFAULT_RULES)
        ]
    rules.extend(security_rule(r, doc.rid, True) for r in defaults)
    atts = _own_refs(props, ctx.attachments.get(doc.rid.lower(), ()))
    return RuleSet(
        asset=asset,
        semantics=EvalSemantics.PRIORITY_FIRST_MATCH,
        rules=tuple(sorted(rules, key=lambda r: (r.direction.value, r.order, r.key))),
        default_ingress=Action.DENY,
        default_egress=Action.DENY,
        logging=_logging(doc.rid, atts, ctx),
        log_scope=asset,
        attachments=atts,
        is_default=False,
    )


__all__ = ["NSG_TYPE", "STANDARD_DEFAULT_RULES", "NsgContext", "nsg_ruleset", "security_rule"]

"""Azure Firewall (classic rule collections) and Firewall Policy -> `RuleSet`.

Order inside a rule set is (rule collection group priority, DNAT < network < application,
collection priority, rule index), folded into one int. Policy inheritance uses `Rule.layer`: the
root base policy is layer 0 and every child one more, so base rules are evaluated first.

A firewall filters traffic passing through it, so a network rule is kept from both sides: an
INGRESS rule (peers = sources, local = destinations) and an EGRESS rule (peers = destinations,
local = sources). A DNAT rule publishes ``translatedAddress:translatedPort`` to its sources, so it
is an INGRESS allow to the translated address. Application rules are EGRESS allows to FQDNs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cloudfw.model import (
    ANY,
    EMPTY,
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Intervals,
    Logging,
    Rule,
    RuleSet,
)
from cloudfw.model.ports import TCP
from cloudfw.normalize.azure_common import (
    PROVIDER,
    AzureNormalizeError,
    Doc,
    addresses,
    origin,
    ports,
    protocols,
    resource,
    resource_group,
    tags_of,
)

FIREWALL_TYPE = "azure-firewall"
POLICY_TYPE = "azure-firewall-policy"
DNAT, NETWORK, APPLICATION = 0, 1, 2
_APP_PORTS = {"http": 80, "https": 443, "mssql": 1433}
_TCP = Intervals.of((TCP, TCP))


def _order(group_prio: int, kind: int, coll_prio: int, index: int) -> int:
    return ((group_prio * 3 + kind) * 65536 + coll_prio) * 100000 + index


@dataclass(frozen=True)
class FirewallContext:
    """Per-subscription facts: public IPs, firewall documents and diagnostic settings.

    ``diagnostics`` maps a lower-cased firewall id to its diagnostic settings; a firewall missing
    from it has unknown logging (its settings could not be read).
    """

    public_ips: Mapping[str, str] = field(default_factory=dict)
    diagnostics: Mapping[str, Sequence[object]] = field(default_factory=dict)


def _sources(r: Doc) -> AddressSet:
    out = addresses(r.strs("sourceAddresses"), r, "sourceAddresses", allow_ranges=True)
    for g in r.strs("sourceIpGroups"):
        out = out | AddressSet.symbol("prefix-list", g)
    if out.is_empty():
        raise r.fail("sourceAddresses", "missing (no source addresses or IP groups)")
    return out


def _fqdn(name: str) -> AddressSet:
    return ANY if name.strip() == "*" else AddressSet.symbol("unresolved", name.strip())


def _destinations(r: Doc) -> AddressSet:
    out = addresses(r.strs("destinationAddresses"), r, "destinationAddresses", allow_ranges=True)
    for g in r.strs("destinationIpGroups"):
        out = out | AddressSet.symbol("prefix-list", g)
    for f in r.strs("destinationFqdns"):
        out = out | _fqdn(f)
    return out


def _net_protocols(r: Doc) -> Intervals:
    key = "ipProtocols" if r.has("ipProtocols") else "protocols"
    toks = r.strs(key)
    if not toks:
        raise r.fail(key, "missing")
    return protocols(toks, r, key)


def _dports(r: Doc) -> Intervals:
    toks = r.strs("destinationPorts")
    if not toks:
        raise r.fail("destinationPorts", "missing")
    return ports(toks, r, "destinationPorts")


@dataclass(frozen=True)
class _Where:
    key: str
    rid: str
    group_prio: int
    coll_prio: int
    layer: int


def _network_rules(r: Doc, w: _Where, index: int, action: Action) -> list[Rule]:
    protos, dports = _net_protocols(r), _dports(r)
    src, dst = _sources(r), _destinations(r)
    if dst.is_empty():
        raise r.fail("destinationAddresses", "missing (no addresses, IP groups or FQDNs)")
    order = _order(w.group_prio, NETWORK, w.coll_prio, index)
    return [
        Rule(key=w.key, direction=d, action=action, protocols=protos, ports=dports, peers=peers,
             local=local, order=order, layer=w.layer, origin=origin(w.rid, w.key),
             description="network rule")
        for d, peers, local in ((Direction.INGRESS, src, dst), (Direction.EGRESS, dst, src))
    ]  # fmt: skip


def _app_rule(r: Doc, w: _Where, index: int, action: Action) -> Rule:
    port_set = Intervals()
    for i, p in enumerate(r.objs("protocols")):
        ptype = p.text("protocolType").lower()
        default = _APP_PORTS.get(ptype)
        if default is None:
            raise p.fail("protocolType", f"unknown application protocol {ptype!r}")
        port = p.num("port", default=default)
        port_set = port_set | ports([str(port)], r, f"protocols[{i}].port")
    if not port_set:
        port_set = Intervals.of((80, 80), (443, 443))
    dst = addresses(r.strs("destinationAddresses"), r, "destinationAddresses", allow_ranges=True)
    for f in r.strs("targetFqdns"):
        dst = dst | _fqdn(f)
    for t in r.strs("fqdnTags"):
        dst = dst | AddressSet.symbol("service-tag", t)
    for c in r.strs("webCategories"):
        dst = dst | AddressSet.symbol("unresolved", f"web-category:{c}")
    for u in r.strs("targetUrls"):
        dst = dst | AddressSet.symbol("unresolved", f"url:{u}")
    if dst.is_empty():
        raise r.fail("targetFqdns", "missing (no FQDNs, tags, categories, URLs or addresses)")
    return Rule(
        key=w.key, direction=Direction.EGRESS, action=action, protocols=_TCP, ports=port_set,
        peers=dst, local=_sources(r), order=_order(w.group_prio, APPLICATION, w.coll_prio, index),
        layer=w.layer, origin=origin(w.rid, w.key), description="application rule",
    )  # fmt: skip


def _nat_rule(r: Doc, w: _Where, index: int) -> Rule:
    protos = _net_protocols(r)
    _dports(r)  # validated: the public port is kept in the description
    if r.has("translatedAddress"):
        local = addresses([r.text("translatedAddress")], r, "translatedAddress")
        target = r.text("translatedAddress")
    elif r.has("translatedFqdn"):
        target = r.text("translatedFqdn")
        local = AddressSet.symbol("unresolved", target)
    else:
        raise r.fail("translatedAddress", "missing (no translated address or FQDN)")
    tport = r.text("translatedPort", default="") or ",".join(r.strs("destinationPorts"))
    dests = ",".join(r.strs("destinationAddresses")) or "*"
    return Rule(
        key=w.key, direction=Direction.INGRESS, action=Action.ALLOW, protocols=protos,
        ports=ports([tport], r, "translatedPort"), peers=_sources(r), local=local,
        order=_order(w.group_prio, DNAT, w.coll_prio, index), layer=w.layer,
        origin=origin(w.rid, w.key),
        description=f"DNAT {dests}:{','.join(r.strs('destinationPorts'))} -> {target}:{tport}",
    )  # fmt: skip


def _unresolved(w: _Where, kind: int, index: int, what: str) -> Rule:
    return Rule(
        key=w.key, direction=Direction.INGRESS, action=Action.LOG, peers=EMPTY, local=EMPTY,
        order=_order(w.group_prio, kind, w.coll_prio, index), layer=w.layer,
        origin=origin(w.rid, w.key), unresolved=what,
    )  # fmt: skip


def _action(c: Doc) -> Action:
    a = c.req_obj("action").text("type")
    low = a.lower()
    if low in ("allow", "dnat"):
        return Action.ALLOW
    if low == "deny":
        return Action.DENY
    raise c.fail("action.type", f"expected Allow, Deny or DNAT, got {a!r}")


def policy_group_rules(rcg: Doc, prefix: str, layer: int) -> list[Rule]:
    """Rules of one rule collection group (policy rule sets)."""
    props = rcg.req_obj("properties")
    gprio = props.num("priority")
    gname = rcg.text("name")
    out: list[Rule] = []
    for c in props.objs("ruleCollections"):
        ctype = c.text("ruleCollectionType")
        cname, cprio = c.text("name"), c.num("priority")
        action = _action(c)
        for i, r in enumerate(c.objs("rules")):
            w = _Where(f"{prefix}{gname}/{cname}/{r.text('name')}", rcg.rid, gprio, cprio, layer)
            rtype = r.text("ruleType")
            if rtype == "NatRule" and ctype == "FirewallPolicyNatRuleCollection":
                out.append(_nat_rule(r, w, i))
            elif rtype == "NetworkRule":
                out.extend(_network_rules(r, w, i, action))
            elif rtype == "ApplicationRule":
                out.append(_app_rule(r, w, i, action))
            else:
                what = f"unsupported rule type {rtype!r} in collection type {ctype!r}"
                out.append(_unresolved(w, NETWORK, i, what))
    return out


_CLASSIC = (
    ("natRuleCollections", DNAT, "nat"),
    ("networkRuleCollections", NETWORK, "network"),
    ("applicationRuleCollections", APPLICATION, "application"),
)


def classic_rules(fw: Doc) -> list[Rule]:
    """Classic rule collections of an Azure Firewall (no group: group priority 0)."""
    props = fw.req_obj("properties")
    out: list[Rule] = []
    for key, kind, label in _CLASSIC:
        for c in props.objs(key):
            cname = c.text("name")
            cp = c.req_obj("properties")
            cprio, action = cp.num("priority"), _action(cp)
            for i, r in enumerate(cp.objs("rules")):
                w = _Where(f"{label}/{cname}/{r.text('name')}", fw.rid, 0, cprio, 0)
                if kind == DNAT:
                    if cp.req_obj("action").text("type").lower() != "dnat":
                        out.append(_unresolved(w, DNAT, i, "SNAT rule collection (not modeled)"))
                        continue
                    out.append(_nat_rule(r, w, i))
                elif kind == NETWORK:
                    out.extend(_network_rules(r, w, i, action))
                else:
                    out.append(_app_rule(r, w, i, action))
    return out


def has_classic_rules(fw: Doc) -> bool:
    props = fw.req_obj("properties")
    keys = ("natRuleCollections", "networkRuleCollections", "applicationRuleCollections")
    return any(props.objs(k) for k in keys)


def firewall_asset(sub: str, fw: Doc) -> Asset:
    return Asset(PROVIDER, sub, fw.text("location", default=""), FIREWALL_TYPE, fw.rid,
                 fw.text("name", default=""), resource_group(fw.rid), tags_of(fw))  # fmt: skip


def firewall_attachment(fw: Doc, ctx: FirewallContext) -> Attachment:
    privs: list[str] = []
    pubs: list[str] = []
    props = fw.req_obj("properties")
    for ipc in props.objs("ipConfigurations"):
        p = ipc.obj("properties", required=False)
        if p is None:
            continue
        priv = p.text("privateIPAddress", default="")
        if priv:
            privs.append(priv)
        pip = p.ref_id("publicIPAddress")
        if pip:
            pubs.append(ctx.public_ips.get(pip.lower(), pip))
    return Attachment(resource_type=FIREWALL_TYPE, resource_id=fw.rid,
                      private_ips=tuple(privs), public_ips=tuple(pubs))  # fmt: skip


def _logs_enabled(fw_id: str, settings: Sequence[object]) -> bool:
    for i, s in enumerate(settings):
        props = Doc(s, fw_id, f"diagnosticSettings[{i}]").req_obj("properties")
        if any(entry.flag("enabled", False) for entry in props.objs("logs")):
            return True
    return False


def firewall_logging(
    sub: str, fws: Sequence[Doc], ctx: FirewallContext
) -> tuple[Logging, Asset | None]:
    """ON when every firewall has a diagnostic setting with logs enabled; OFF names the first that
    has none; UNKNOWN when there is no firewall or a firewall's settings were not read."""
    if not fws:
        return Logging.UNKNOWN, None
    for fw in fws:
        settings = ctx.diagnostics.get(fw.rid.lower())
        if settings is None:
            return Logging.UNKNOWN, firewall_asset(sub, fw)
        if not _logs_enabled(fw.rid, settings):
            return Logging.OFF, firewall_asset(sub, fw)
    return Logging.ON, firewall_asset(sub, fws[0])


def _sorted(rules: list[Rule]) -> tuple[Rule, ...]:
    return tuple(sorted(rules, key=lambda r: (r.layer, r.order, r.direction.value)))


def classic_ruleset(sub: str, fw: Doc, ctx: FirewallContext) -> RuleSet:
    logging, scope = firewall_logging(sub, [fw], ctx)
    return RuleSet(
        asset=firewall_asset(sub, fw), semantics=EvalSemantics.PRIORITY_FIRST_MATCH,
        rules=_sorted(classic_rules(fw)), default_ingress=Action.DENY, default_egress=Action.DENY,
        logging=logging, log_scope=scope, attachments=(firewall_attachment(fw, ctx),),
    )  # fmt: skip


def policy_chain(policy: Doc, policies: Mapping[str, Doc]) -> list[Doc]:
    """[root base, ..., policy]. Raises on a cycle or a base policy that was not collected."""
    chain = [policy]
    seen = {policy.rid.lower()}
    cur = policy
    while True:
        base = cur.req_obj("properties").ref_id("basePolicy")
        if not base:
            break
        if base.lower() in seen:
            raise cur.fail("properties.basePolicy.id", f"policy inheritance cycle through {base}")
        nxt = policies.get(base.lower())
        if nxt is None:
            raise cur.fail("properties.basePolicy.id", f"base policy {base} was not collected")
        seen.add(base.lower())
        chain.append(nxt)
        cur = nxt
    chain.reverse()
    return chain


def policy_ruleset(
    sub: str,
    policy: Doc,
    policies: Mapping[str, Doc],
    groups: Mapping[str, Sequence[object]],
    firewalls: Sequence[Doc],
    ctx: FirewallContext,
) -> RuleSet:
    """A firewall policy with its base policies' rule collection groups applied first."""
    rules: list[Rule] = []
    chain = policy_chain(policy, policies)
    for layer, p in enumerate(chain):
        rcgs = groups.get(p.rid.lower())
        if rcgs is None:
            raise AzureNormalizeError(p.rid, "ruleCollectionGroups", "were not collected")
        prefix = "" if p is policy else f"base:{p.text('name', default=p.rid)}/"
        for g in rcgs:
            rules.extend(policy_group_rules(resource(g, "rule collection group"), prefix, layer))
    logging, scope = firewall_logging(sub, firewalls, ctx)
    asset = Asset(
        PROVIDER,
        sub,
        policy.text("location", default=""),
        POLICY_TYPE,
        policy.rid,
        policy.text("name", default=""),
        resource_group(policy.rid),
        tags_of(policy),
    )
    return RuleSet(
        asset=asset, semantics=EvalSemantics.PRIORITY_FIRST_MATCH, rules=_sorted(rules),
        default_ingress=Action.DENY, default_egress=Action.DENY, logging=logging, log_scope=scope,
        attachments=tuple(firewall_attachment(fw, ctx) for fw in firewalls),
        layer_names=tuple(p.text("name", default=p.rid) for p in chain),
    )  # fmt: skip

"""Azure ARM JSON (as collected for one subscription) -> rule sets. Pure: no SDK, no I/O.

`normalize_subscription` never raises on bad data: each malformed resource becomes one
`AzureNormalizeError` (naming the resource id and the field) in the result, and every other
resource is still normalized.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from cloudfw.model import Attachment, RuleSet
from cloudfw.normalize.azure_common import AzureNormalizeError, Doc, resource
from cloudfw.normalize.azure_firewall import (
    FIREWALL_TYPE,
    POLICY_TYPE,
    FirewallContext,
    classic_ruleset,
    has_classic_rules,
    policy_ruleset,
)
from cloudfw.normalize.azure_nsg import NSG_TYPE, NsgContext, nsg_ruleset

__all__ = [
    "FIREWALL_TYPE", "NSG_TYPE", "POLICY_TYPE", "AzureNormalizeError", "NormalizeResult",
    "SubscriptionData", "normalize_subscription",
]  # fmt: skip

T = TypeVar("T")


@dataclass(frozen=True)
class SubscriptionData:
    """Raw ARM documents of one subscription, exactly as listed.

    ``rule_collection_groups`` maps a lower-cased firewall policy id to its groups.
    ``flow_logs`` is None when Network Watcher flow logs could not be read. ``diagnostics`` maps a
    lower-cased Azure Firewall id to its diagnostic settings (missing = not read).
    """

    subscription: str
    nsgs: Sequence[object] = ()
    network_interfaces: Sequence[object] = ()
    public_ips: Sequence[object] = ()
    virtual_networks: Sequence[object] = ()
    firewalls: Sequence[object] = ()
    firewall_policies: Sequence[object] = ()
    rule_collection_groups: Mapping[str, Sequence[object]] = field(default_factory=dict)
    flow_logs: Sequence[object] | None = ()
    diagnostics: Mapping[str, Sequence[object]] = field(default_factory=dict)


@dataclass(frozen=True)
class NormalizeResult:
    rulesets: tuple[RuleSet, ...]
    errors: tuple[AzureNormalizeError, ...]

    @property
    def resources(self) -> int:
        return len(self.rulesets)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[AzureNormalizeError] = []

    def each(self, items: Sequence[object], what: str, fn: Callable[[Doc], T]) -> list[T]:
        out: list[T] = []
        for item in items:
            try:
                out.append(fn(resource(item, what)))
            except AzureNormalizeError as exc:
                self.errors.append(exc)
        return out

    def docs(self, items: Sequence[Doc], fn: Callable[[Doc], T]) -> list[T]:
        out: list[T] = []
        for d in items:
            try:
                out.append(fn(d))
            except AzureNormalizeError as exc:
                self.errors.append(exc)
        return out


def _public_ips(c: _Collector, data: SubscriptionData) -> dict[str, str]:
    def one(d: Doc) -> tuple[str, str]:
        props = d.obj("properties", required=False)
        return d.rid.lower(), (props.text("ipAddress", default="") if props else "")

    return {k: v for k, v in c.each(data.public_ips, "public IP address", one) if v}


def _subnets(
    c: _Collector, data: SubscriptionData
) -> tuple[dict[str, str], list[tuple[str, Attachment]]]:
    vnet_of: dict[str, str] = {}
    atts: list[tuple[str, Attachment]] = []

    def one(vnet: Doc) -> None:
        for s in vnet.req_obj("properties").objs("subnets"):
            sid = s.text("id")
            vnet_of[sid.lower()] = vnet.rid
            p = s.obj("properties", required=False)
            nsg = p.ref_id("networkSecurityGroup") if p else ""
            if nsg and p is not None:
                prefixes = p.strs("addressPrefixes") or [p.text("addressPrefix", default="")]
                extra = (
                    ("address_prefixes", ",".join(x for x in prefixes if x)),
                    ("vnet", vnet.rid),
                )
                atts.append((nsg.lower(), Attachment("subnet", sid, subnet=sid, extra=extra)))

    c.each(data.virtual_networks, "virtual network", one)
    return vnet_of, atts


def _nics(
    c: _Collector, data: SubscriptionData, pips: Mapping[str, str]
) -> list[tuple[str, Attachment]]:
    def one(nic: Doc) -> tuple[str, Attachment] | None:
        props = nic.req_obj("properties")
        nsg = props.ref_id("networkSecurityGroup")
        if not nsg:
            return None
        privs: list[str] = []
        pubs: list[str] = []
        subnet = ""
        for ipc in props.objs("ipConfigurations"):
            p = ipc.req_obj("properties")
            ip = p.text("privateIPAddress", default="")
            if ip:
                privs.append(ip)
            subnet = subnet or p.ref_id("subnet")
            pip = p.ref_id("publicIPAddress")
            if pip:
                pubs.append(pips.get(pip.lower(), pip))
        vm = props.ref_id("virtualMachine")
        att = Attachment("network-interface", nic.rid, instance_id=vm, private_ips=tuple(privs),
                         public_ips=tuple(pubs), subnet=subnet)  # fmt: skip
        return nsg.lower(), att

    return [x for x in c.each(data.network_interfaces, "network interface", one) if x]


def _flow_log_targets(c: _Collector, data: SubscriptionData) -> frozenset[str] | None:
    if data.flow_logs is None:
        return None

    def one(fl: Doc) -> str:
        p = fl.req_obj("properties")
        return p.text("targetResourceId").lower() if p.flag("enabled", False) else ""

    return frozenset(t for t in c.each(data.flow_logs, "flow log", one) if t)


def normalize_subscription(data: SubscriptionData) -> NormalizeResult:
    c = _Collector()
    sub = data.subscription
    pips = _public_ips(c, data)
    vnet_of, subnet_atts = _subnets(c, data)
    by_nsg: dict[str, list[Attachment]] = {}
    for nsg_id, att in [*subnet_atts, *_nics(c, data, pips)]:
        by_nsg.setdefault(nsg_id, []).append(att)
    nctx = NsgContext(
        attachments={k: tuple(v) for k, v in by_nsg.items()},
        vnet_of=vnet_of,
        flow_log_targets=_flow_log_targets(c, data),
    )
    rulesets = c.each(data.nsgs, "network security group", lambda d: nsg_ruleset(sub, d, nctx))

    fctx = FirewallContext(public_ips=pips, diagnostics=data.diagnostics)
    firewalls = c.each(data.firewalls, "Azure Firewall", lambda d: d)
    policies = {
        d.rid.lower(): d for d in c.each(data.firewall_policies, "firewall policy", lambda d: d)
    }
    users: dict[str, list[Doc]] = {}

    def classic(fw: Doc) -> RuleSet | None:
        pol = fw.req_obj("properties").ref_id("firewallPolicy")
        if pol:
            users.setdefault(pol.lower(), []).append(fw)
        return classic_ruleset(sub, fw, fctx) if has_classic_rules(fw) or not pol else None

    rulesets.extend(r for r in c.docs(firewalls, classic) if r)
    bases: set[str] = set()
    for p in policies.values():
        try:
            base = p.req_obj("properties").ref_id("basePolicy")
        except AzureNormalizeError as exc:
            c.errors.append(exc)
            continue
        if base:
            bases.add(base.lower())

    def policy(p: Doc) -> RuleSet | None:
        fws = users.get(p.rid.lower(), [])
        if not fws and p.rid.lower() in bases:
            return None  # a pure base policy: its rules are evaluated inside each child
        return policy_ruleset(sub, p, policies, data.rule_collection_groups, fws, fctx)

    rulesets.extend(r for r in c.docs(list(policies.values()), policy) if r)
    return NormalizeResult(tuple(rulesets), tuple(c.errors))

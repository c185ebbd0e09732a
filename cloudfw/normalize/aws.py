"""AWS EC2 describe output -> model. Pure: raw dicts in, rule sets out; no boto3, no I/O.

Conventions that checks rely on:

* Security group -> ``RuleSet`` (``security-group``, ALLOW_UNION, default deny both ways), one
  ``Rule`` per security group rule id (``sgr-...``).
* Network ACL -> ``RuleSet`` (``network-acl``, FIRST_MATCH_BY_NUMBER), one ``Rule`` per entry keyed
  ``<acl>:<ingress|egress>:<number>``, sorted by number, always ending in the ``*`` deny
  (``<acl>:<direction>:*``, order 32767) that real AWS adds and moto leaves out.
* Logging: a VPC is logged if it, or every one of its subnets, has an ACTIVE flow log. Every SG
  and NACL in the VPC carries that state and the VPC as ``log_scope``. Rules keep logging
  UNKNOWN: AWS has no per-rule logging, so the rule set's state is the whole story.

Records that do not fit are never dropped: an unknown protocol or a bad CIDR becomes a rule with
``unresolved`` set plus a warning; a record that cannot be modelled at all becomes an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Intervals,
    Logging,
    ModelError,
    Rule,
    RuleSet,
    SourceRef,
    icmp_space,
    parse_protocol,
    port_range,
)
from cloudfw.model.ports import ICMP_LIKE, PORTED
from cloudfw.normalize.aws_nfw import NfwRaw, firewall_rulesets

Raw = Mapping[str, Any]
PROVIDER = "aws"
IMPLICIT_DENY_NUMBER = 32767
SG_RULES_CALL = "ec2:DescribeSecurityGroupRules"
NACL_CALL = "ec2:DescribeNetworkAcls"


@dataclass(frozen=True)
class AwsRegionRaw:
    """What the collector read in one account x region, as the EC2 API returned it.

    ``flow_logs`` / ``network_interfaces`` are None when they could not be read (logging is then
    UNKNOWN / attachments empty). ``prefix_lists`` maps a managed prefix list id to its CIDRs for
    the lists that could be resolved; the others stay symbolic (``prefix-list:<id>``).
    ``network_firewall`` holds the Network Firewall reads and route tables (`aws_nfw`).
    """

    account: str
    region: str
    security_groups: Sequence[Raw] = ()
    security_group_rules: Sequence[Raw] = ()
    network_acls: Sequence[Raw] = ()
    vpcs: Sequence[Raw] = ()
    subnets: Sequence[Raw] = ()
    flow_logs: Sequence[Raw] | None = ()
    network_interfaces: Sequence[Raw] | None = ()
    prefix_lists: Mapping[str, Sequence[str]] = field(default_factory=dict)
    network_firewall: NfwRaw = field(default_factory=NfwRaw)


@dataclass(frozen=True)
class AwsRegionModel:
    """``warnings``: kept but approximated (unresolved rules, symbolic prefix lists).
    ``errors``: records that could not be modelled; they make the region's coverage incomplete."""

    rulesets: tuple[RuleSet, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass
class _Ctx:
    raw: AwsRegionRaw
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def asset(
        self, rtype: str, rid: str, name: str = "", parent: str = "", tags: Any = ()
    ) -> Asset:
        return Asset(
            PROVIDER, self.raw.account, self.raw.region, rtype, rid, name, parent, _tags(tags)
        )


def normalize_region(raw: AwsRegionRaw) -> AwsRegionModel:
    """Turn one region's describe output into rule sets (SGs first, then NACLs, by id, then
    Network Firewalls by name)."""
    ctx = _Ctx(raw)
    logging = _vpc_logging(raw)
    scopes = _vpc_scopes(ctx)
    enis = _sg_attachments(ctx)
    sgs = _security_groups(ctx, logging, scopes, enis)
    acls = _network_acls(ctx, logging, scopes)
    fws, warnings, errors = firewall_rulesets(
        raw.account, raw.region, raw.network_firewall, raw.vpcs, raw.subnets, raw.prefix_lists
    )
    ctx.warnings += warnings
    ctx.errors += errors
    return AwsRegionModel(tuple(sgs + acls + fws), tuple(ctx.warnings), tuple(ctx.errors))


# -- shared helpers ----------------------------------------------------------------------------
def _tags(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list | tuple):
        return ()
    pairs = {(str(t.get("Key", "")), str(t.get("Value", ""))) for t in raw if isinstance(t, dict)}
    return tuple(sorted(pairs))


def _name_tag(rec: Raw) -> str:
    return dict(_tags(rec.get("Tags"))).get("Name", "")


def _vpc_logging(raw: AwsRegionRaw) -> dict[str, Logging]:
    """VPC id -> ON / OFF (UNKNOWN for every VPC when flow logs could not be read)."""
    vpc_ids = {str(v.get("VpcId")) for v in raw.vpcs if v.get("VpcId")}
    vpc_ids |= {
        str(r.get("VpcId")) for r in (*raw.security_groups, *raw.network_acls) if r.get("VpcId")
    }
    if raw.flow_logs is None:
        return dict.fromkeys(vpc_ids, Logging.UNKNOWN)
    active = {str(f.get("ResourceId")) for f in raw.flow_logs if f.get("FlowLogStatus") == "ACTIVE"}
    subnets: dict[str, set[str]] = {}
    for s in raw.subnets:
        if s.get("VpcId") and s.get("SubnetId"):
            subnets.setdefault(str(s["VpcId"]), set()).add(str(s["SubnetId"]))
    out: dict[str, Logging] = {}
    for vpc in vpc_ids:
        subs = subnets.get(vpc, set())
        on = vpc in active or (bool(subs) and subs <= active)
        out[vpc] = Logging.ON if on else Logging.OFF
    return out


def _vpc_scopes(ctx: _Ctx) -> dict[str, Asset]:
    names = {str(v["VpcId"]): _name_tag(v) for v in ctx.raw.vpcs if v.get("VpcId")}
    ids = set(names) | {
        str(r["VpcId"]) for r in (*ctx.raw.security_groups, *ctx.raw.network_acls) if r.get("VpcId")
    }
    return {v: ctx.asset("vpc", v, names.get(v, "")) for v in ids}


def _sg_attachments(ctx: _Ctx) -> dict[str, list[Attachment]]:
    """Security group id -> the network interfaces that use it."""
    out: dict[str, list[Attachment]] = {}
    for eni in ctx.raw.network_interfaces or ():
        eni_id = eni.get("NetworkInterfaceId")
        if not eni_id:
            ctx.errors.append("network interface without NetworkInterfaceId")
            continue
        att = _eni_attachment(eni)
        for g in eni.get("Groups") or ():
            if isinstance(g, dict) and g.get("GroupId"):
                out.setdefault(str(g["GroupId"]), []).append(att)
    return {k: sorted(v, key=lambda a: a.resource_id) for k, v in out.items()}


def _eni_attachment(eni: Raw) -> Attachment:
    private: list[str] = []
    public: list[str] = []
    if eni.get("PrivateIpAddress"):
        private.append(str(eni["PrivateIpAddress"]))
    if (eni.get("Association") or {}).get("PublicIp"):
        public.append(str(eni["Association"]["PublicIp"]))
    for p in eni.get("PrivateIpAddresses") or ():
        if p.get("PrivateIpAddress") and p["PrivateIpAddress"] not in private:
            private.append(str(p["PrivateIpAddress"]))
        pub = (p.get("Association") or {}).get("PublicIp")
        if pub and pub not in public:
            public.append(str(pub))
    extra = [("interface_type", str(eni.get("InterfaceType", "")))]
    extra += [
        ("ipv6", str(a["Ipv6Address"]))
        for a in eni.get("Ipv6Addresses") or ()
        if a.get("Ipv6Address")
    ]
    return Attachment(
        resource_type="network-interface",
        resource_id=str(eni["NetworkInterfaceId"]),
        instance_id=str((eni.get("Attachment") or {}).get("InstanceId", "")),
        private_ips=tuple(private),
        public_ips=tuple(public),
        subnet=str(eni.get("SubnetId", "")),
        extra=tuple(extra),
    )


def _ports(proto: Intervals, lo: Any, hi: Any) -> Intervals:
    """Ports for one protocol: tcp/udp port range, ICMP type/code, otherwise every port."""
    single = len(proto.spans) == 1 and proto.spans[0][0] == proto.spans[0][1]
    if not single:
        return ALL_PORTS
    num = proto.spans[0][0]
    if num in ICMP_LIKE:
        return icmp_space(_int_or_none(lo), _int_or_none(hi))
    if num in PORTED:
        if lo is None or hi is None or int(lo) < 0:
            return ALL_PORTS
        return port_range(int(lo), int(hi))
    return ALL_PORTS


def _int_or_none(v: Any) -> int | None:
    return None if v is None else int(v)


# -- security groups ---------------------------------------------------------------------------
def _security_groups(
    ctx: _Ctx,
    logging: dict[str, Logging],
    scopes: dict[str, Asset],
    enis: dict[str, list[Attachment]],
) -> list[RuleSet]:
    by_group: dict[str, list[Raw]] = {}
    for r in ctx.raw.security_group_rules:
        by_group.setdefault(str(r.get("GroupId", "")), []).append(r)
    out: list[RuleSet] = []
    seen: set[str] = set()
    for sg in sorted(ctx.raw.security_groups, key=lambda g: str(g.get("GroupId", ""))):
        gid = sg.get("GroupId")
        if not gid:
            ctx.errors.append(f"security group without GroupId (name {sg.get('GroupName')!r})")
            continue
        gid = str(gid)
        seen.add(gid)
        vpc = str(sg.get("VpcId") or "")
        state = logging.get(vpc, Logging.UNKNOWN)
        rules = [_sg_rule(ctx, gid, r) for r in by_group.get(gid, [])]
        rules.sort(key=lambda r: (r.direction != Direction.INGRESS, r.key))
        asset = ctx.asset("security-group", gid, str(sg.get("GroupName", "")), vpc, sg.get("Tags"))
        out.append(
            RuleSet(
                asset=asset,
                semantics=EvalSemantics.ALLOW_UNION,
                rules=tuple(rules),
                default_ingress=Action.DENY,
                default_egress=Action.DENY,
                logging=state,
                log_scope=scopes.get(vpc),
                attachments=tuple(enis.get(gid, ())),
                is_default=sg.get("GroupName") == "default",
            )
        )
    for gid in sorted(set(by_group) - seen):
        keys = ", ".join(str(r.get("SecurityGroupRuleId")) for r in by_group[gid])
        ctx.errors.append(f"security group rules {keys} belong to unknown group {gid or '?'}")
    return out


def _sg_rule(ctx: _Ctx, gid: str, r: Raw) -> Rule:
    key = str(r.get("SecurityGroupRuleId") or "")
    if not key:
        key = f"{gid}:unkeyed:{len(ctx.warnings)}"
        ctx.warnings.append(f"{gid}: security group rule without SecurityGroupRuleId ({key})")
    direction = Direction.EGRESS if r.get("IsEgress") else Direction.INGRESS
    problems: list[str] = []
    protocols, ports = ALL_PROTOCOLS, ALL_PORTS
    try:
        protocols = parse_protocol(str(r.get("IpProtocol", "-1")))
        ports = _ports(protocols, r.get("FromPort"), r.get("ToPort"))
    except (ModelError, ValueError, TypeError) as exc:
        problems.append(
            f"protocol/ports {r.get('IpProtocol')!r} {r.get('FromPort')}..{r.get('ToPort')}: {exc}"
        )
    peers = _sg_peers(ctx, r, problems)
    if problems:
        ctx.warnings.append(f"{gid} {key}: unresolved: {'; '.join(problems)}")
    return Rule(
        key=key,
        direction=direction,
        action=Action.ALLOW,
        protocols=protocols,
        ports=ports,
        peers=peers,
        description=str(r.get("Description") or ""),
        origin=SourceRef("api", SG_RULES_CALL, record=key),
        unresolved="; ".join(problems),
    )


def _sg_peers(ctx: _Ctx, r: Raw, problems: list[str]) -> AddressSet:
    parts: list[AddressSet] = []
    for fld in ("CidrIpv4", "CidrIpv6"):
        if r.get(fld):
            try:
                parts.append(AddressSet.parse(str(r[fld])))
            except ModelError as exc:
                problems.append(f"{fld}: {exc}")
                parts.append(AddressSet.symbol("unresolved", str(r[fld])))
    ref = r.get("ReferencedGroupInfo") or {}
    if ref.get("GroupId"):
        parts.append(AddressSet.symbol("sg", str(ref["GroupId"])))
    pl = r.get("PrefixListId")
    if pl:
        cidrs = ctx.raw.prefix_lists.get(str(pl))
        if cidrs is None:
            parts.append(AddressSet.symbol("prefix-list", str(pl)))
        else:
            try:
                parts.append(AddressSet.parse_many(tuple(str(c) for c in cidrs)))
            except ModelError as exc:
                problems.append(f"prefix list {pl}: {exc}")
                parts.append(AddressSet.symbol("prefix-list", str(pl)))
    if not parts:
        problems.append("rule names no peer (no CIDR, group or prefix list)")
        return AddressSet.symbol("unresolved", "no-peer")
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return out


# -- network ACLs ------------------------------------------------------------------------------
def _network_acls(
    ctx: _Ctx, logging: dict[str, Logging], scopes: dict[str, Asset]
) -> list[RuleSet]:
    out: list[RuleSet] = []
    for acl in sorted(ctx.raw.network_acls, key=lambda a: str(a.get("NetworkAclId", ""))):
        acl_id = acl.get("NetworkAclId")
        if not acl_id:
            ctx.errors.append("network ACL without NetworkAclId")
            continue
        acl_id = str(acl_id)
        vpc = str(acl.get("VpcId") or "")
        state = logging.get(vpc, Logging.UNKNOWN)
        rules = _acl_rules(ctx, acl_id, acl.get("Entries") or ())
        subnets = sorted(
            {str(a["SubnetId"]) for a in acl.get("Associations") or () if a.get("SubnetId")}
        )
        out.append(
            RuleSet(
                asset=ctx.asset("network-acl", acl_id, _name_tag(acl), vpc, acl.get("Tags")),
                semantics=EvalSemantics.FIRST_MATCH_BY_NUMBER,
                rules=tuple(rules),
                default_ingress=Action.DENY,
                default_egress=Action.DENY,
                logging=state,
                log_scope=scopes.get(vpc),
                attachments=tuple(Attachment("subnet", s, subnet=s) for s in subnets),
                is_default=False,  # a default NACL allowing all is AWS's design, not a finding
            )
        )
    return out


def _acl_rules(ctx: _Ctx, acl_id: str, entries: Sequence[Raw]) -> list[Rule]:
    rules: list[Rule] = []
    keys: set[str] = set()
    for e in entries:
        try:
            rules.append(_acl_rule(ctx, acl_id, e, keys))
        except (KeyError, TypeError, ValueError) as exc:
            ctx.errors.append(f"{acl_id}: entry {dict(e)!r} cannot be read: {exc}")
    for direction in (Direction.INGRESS, Direction.EGRESS):
        if not any(r.direction is direction and r.order == IMPLICIT_DENY_NUMBER for r in rules):
            key = f"{acl_id}:{direction}:*"
            rules.append(
                Rule(
                    key=key,
                    direction=direction,
                    action=Action.DENY,
                    order=IMPLICIT_DENY_NUMBER,
                    description="implicit deny (*) that AWS adds to every network ACL",
                    origin=SourceRef("api", NACL_CALL, record=key),
                    builtin=True,
                )
            )
    rules.sort(key=lambda r: (r.direction != Direction.INGRESS, r.order, r.key))
    return rules


def _acl_rule(ctx: _Ctx, acl_id: str, e: Raw, keys: set[str]) -> Rule:
    number = int(e["RuleNumber"])
    direction = Direction.EGRESS if e.get("Egress") else Direction.INGRESS
    label = "*" if number == IMPLICIT_DENY_NUMBER else str(number)
    key = f"{acl_id}:{direction}:{label}"
    if key in keys:  # the two `*` entries (IPv4 and IPv6) share a number
        key = f"{key}:v6" if e.get("Ipv6CidrBlock") else f"{key}:{len(keys)}"
    keys.add(key)
    action_text = str(e.get("RuleAction", "")).lower()
    problems: list[str] = []
    if action_text not in ("allow", "deny"):
        problems.append(f"unknown RuleAction {e.get('RuleAction')!r}")
    action = Action.ALLOW if action_text == "allow" else Action.DENY
    protocols, ports = ALL_PROTOCOLS, ALL_PORTS
    try:
        protocols = parse_protocol(str(e.get("Protocol", "-1")))
        rng = e.get("PortRange") or {}
        icmp = e.get("IcmpTypeCode") or {}
        if icmp or rng:
            lo, hi = (
                (icmp.get("Type"), icmp.get("Code")) if icmp else (rng.get("From"), rng.get("To"))
            )
            ports = _ports(protocols, lo, hi)
    except ModelError as exc:
        problems.append(f"protocol/ports: {exc}")
    cidr = e.get("CidrBlock") or e.get("Ipv6CidrBlock")
    peers = ANY
    if cidr:
        try:
            peers = AddressSet.parse(str(cidr))
        except ModelError as exc:
            problems.append(f"CIDR: {exc}")
            peers = AddressSet.symbol("unresolved", str(cidr))
    else:
        problems.append("entry names no CIDR block")
    if problems:
        ctx.warnings.append(f"{acl_id} {key}: unresolved: {'; '.join(problems)}")
    return Rule(
        key=key,
        direction=direction,
        action=action,
        protocols=protocols,
        ports=ports,
        peers=peers,
        order=number,
        origin=SourceRef("api", NACL_CALL, record=key),
        unresolved="; ".join(problems),
        builtin=number == IMPLICIT_DENY_NUMBER,
    )

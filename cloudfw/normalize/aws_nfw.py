"""AWS Network Firewall -> model. Pure: describe output in, rule sets out; no boto3, no I/O.

One `RuleSet` per firewall (``network-firewall``, resource id = the firewall's name), under
`EvalSemantics.STATELESS_THEN_STATEFUL`:

* layer 0, the stateless engine: the policy's stateless rule groups by reference priority, each
  group's rules by their priority (``aws:pass`` allow, ``aws:drop`` deny, ``aws:forward_to_sfe``
  goto-next), then the policy's stateless default for full packets as a catch-all rule
  ``stateless-default``. The fragment default has no dimension in the model: when it passes
  while the full-packet default does not, a warning says so.
* layer 1, the stateful engine: under ``STRICT_ORDER`` the groups by reference priority and each
  group's rules in its own order, then the stateful default actions (``aws:drop_strict`` /
  ``aws:drop_established`` deny; ``aws:alert_*`` only log); under ``DEFAULT_ACTION_ORDER`` every
  pass rule first, then drop, reject and alert. Either way ``stateful-default`` is the catch-all
  that decides what no stateful rule did (pass unless a drop default is set).
* ``HOME_NET`` is the rule group's own variable, else the policy's, else the CIDRs of the
  firewall's VPC (AWS's default); ``EXTERNAL_NET`` is the group's, else ``!$HOME_NET``.
* AWS managed rule groups (ARN account ``aws-managed``) cannot be read: each is a placeholder
  that decides nothing (action ``log``, ``unresolved`` saying why), so checks name it in their
  evidence. A TLS inspection configuration is one more such placeholder.
* Logging: ``on`` with an ALERT or FLOW log destination, ``off`` with neither, ``unknown`` when
  the logging configuration could not be read.
* Placement: a subnet whose route table sends ``0.0.0.0/0`` (or ``::/0``) to one of the
  firewall's endpoints, or whose CIDR an internet gateway's edge route table sends there, is
  attached as ``subnet-route``: the firewall is on that subnet's internet path, before its NACL.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    Action,
    AddressSet,
    Asset,
    Attachment,
    EvalSemantics,
    Logging,
    ModelError,
    Rule,
    RuleSet,
    SourceRef,
)
from cloudfw.normalize.aws_nfw_rules import (
    STATELESS_ACTIONS,
    GroupCtx,
    Match,
    pair,
    stateless_rules,
)
from cloudfw.normalize.aws_nfw_suricata import stateful_rules, stateful_texts

Raw = Mapping[str, Any]
POLICY_CALL = "network-firewall:DescribeFirewallPolicy"
TLS_CALL = "network-firewall:DescribeTLSInspectionConfiguration"
STEP = 100_000  # orders: reference priority * STEP + position (priorities are at most 65535)
LAST = 10**12  # the catch-all defaults come after every rule of their layer
LOGGED_TYPES = frozenset({"ALERT", "FLOW"})
DEFAULT_ROUTES = frozenset({"0.0.0.0/0", "::/0"})
ACTION_CLASS = {Action.ALLOW: 0, Action.DENY: 1, Action.LOG: 3}


@dataclass(frozen=True)
class NfwRaw:
    """One region's Network Firewall reads. ``firewalls``: DescribeFirewall responses, each with
    the firewall's ``LoggingConfiguration`` (None when it could not be read); the policies, rule
    groups and TLS inspection configurations by ARN; ``route_tables`` None when unread."""

    firewalls: Sequence[Raw] = ()
    policies: Mapping[str, Raw] = field(default_factory=dict)
    rule_groups: Mapping[str, Raw] = field(default_factory=dict)
    tls: Mapping[str, Raw] = field(default_factory=dict)
    route_tables: Sequence[Raw] | None = ()


@dataclass
class _Out:
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def is_managed(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) > 4 and parts[4] == "aws-managed"


def arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def firewall_rulesets(
    account: str,
    region: str,
    nfw: NfwRaw,
    vpcs: Sequence[Raw],
    subnets: Sequence[Raw],
    prefix_lists: Mapping[str, Sequence[str]],
) -> tuple[list[RuleSet], list[str], list[str]]:
    """(rule sets, warnings, errors) for every firewall of the region, by name."""
    out = _Out()
    sets: list[RuleSet] = []
    fws = sorted(nfw.firewalls, key=lambda f: str((f.get("Firewall") or {}).get("FirewallName")))
    for resp in fws:
        fw = resp.get("Firewall") or {}
        name = str(fw.get("FirewallName") or "")
        if not name:
            out.errors.append("network firewall without FirewallName")
            continue
        policy = nfw.policies.get(str(fw.get("FirewallPolicyArn") or ""))
        if policy is None:
            out.errors.append(
                f"network firewall {name}: policy {fw.get('FirewallPolicyArn')} was not read"
            )
            continue
        vpc = str(fw.get("VpcId") or "")
        home = _home_net(policy, vpc, vpcs)
        rules = _rules(_Fw(name, nfw, home, prefix_lists, out), policy)
        asset = Asset(
            "aws", account, region, "network-firewall", name, "", vpc, _tags(fw.get("Tags"))
        )
        sets.append(
            RuleSet(
                asset=asset,
                semantics=EvalSemantics.STATELESS_THEN_STATEFUL,
                rules=tuple(rules),
                default_ingress=Action.ALLOW,
                default_egress=Action.ALLOW,
                logging=_logging(resp),
                attachments=_placement(resp, vpc, nfw.route_tables, subnets),
                layer_names=("stateless", "stateful"),
            )
        )
    return sets, out.warnings, out.errors


def _tags(raw: Any) -> tuple[tuple[str, str], ...]:
    pairs = {(str(t.get("Key", "")), str(t.get("Value", ""))) for t in raw or () if t}
    return tuple(sorted(pairs))


def _home_net(policy: Raw, vpc: str, vpcs: Sequence[Raw]) -> list[str]:
    pv = ((policy.get("FirewallPolicy") or {}).get("PolicyVariables") or {}).get("RuleVariables")
    defined = ((pv or {}).get("HOME_NET") or {}).get("Definition")
    if defined:
        return [str(c) for c in defined]
    cidrs: list[str] = []
    for v in vpcs:
        if str(v.get("VpcId")) != vpc:
            continue
        cidrs += [
            str(a["CidrBlock"])
            for a in v.get("CidrBlockAssociationSet") or ()
            if a.get("CidrBlock")
        ]
        cidrs += [
            str(a["Ipv6CidrBlock"])
            for a in v.get("Ipv6CidrBlockAssociationSet") or ()
            if a.get("Ipv6CidrBlock")
        ]
        if not cidrs and v.get("CidrBlock"):
            cidrs.append(str(v["CidrBlock"]))
    return list(dict.fromkeys(cidrs)) or ["$HOME_NET"]


def _logging(resp: Raw) -> Logging:
    cfg = resp.get("LoggingConfiguration")
    if cfg is None:
        return Logging.UNKNOWN
    types = {str(c.get("LogType", "")).upper() for c in cfg.get("LogDestinationConfigs") or ()}
    return Logging.ON if types & LOGGED_TYPES else Logging.OFF


def _whole(
    key: str, action: Action, layer: int, order: int, desc: str, why: str, call: str
) -> list[Rule]:
    """Rules over every protocol, port and address, both ways: a layer's default, or a
    placeholder for content that is not read (``why`` says what)."""
    origin = SourceRef("api", call, record=key)
    m = Match(key, action, ALL_PROTOCOLS, ALL_PORTS, ANY, ANY, order, layer, desc, origin)
    return [replace(r, unresolved=why) if why else r for r in pair(m)]


def _placeholder(key: str, layer: int, order: int, desc: str, why: str, call: str) -> list[Rule]:
    return _whole(key, Action.LOG, layer, order, desc, why, call)


def _catch_all(key: str, action: Action, layer: int, desc: str, why: str = "") -> list[Rule]:
    return _whole(key, action, layer, LAST, desc, why, POLICY_CALL)


def _group_ctx(
    arn: str, group: Raw, home: list[str], prefix_lists: Mapping[str, Sequence[str]]
) -> GroupCtx:
    rg = group.get("RuleGroup") or {}
    rv = rg.get("RuleVariables") or {}
    ips = {
        str(k): [str(x) for x in (v or {}).get("Definition") or ()]
        for k, v in (rv.get("IPSets") or {}).items()
    }
    ips.setdefault("HOME_NET", home)
    ports = {
        str(k): [str(x) for x in (v or {}).get("Definition") or ()]
        for k, v in (rv.get("PortSets") or {}).items()
    }
    refs: dict[str, AddressSet] = {}
    for k, v in ((rg.get("ReferenceSets") or {}).get("IPSetReferences") or {}).items():
        ref = str((v or {}).get("ReferenceArn") or "")
        pl = arn_name(ref) if ":prefix-list/" in ref else ""
        if pl and pl in prefix_lists:
            try:
                refs[str(k)] = AddressSet.parse_many(tuple(str(c) for c in prefix_lists[pl]))
                continue
            except ModelError:
                pass
        refs[str(k)] = AddressSet.symbol("prefix-list" if pl else "unresolved", pl or ref)
    name = str((group.get("RuleGroupResponse") or {}).get("RuleGroupName") or arn_name(arn))
    return GroupCtx(name, arn, ips, ports, refs)


@dataclass
class _Fw:
    """One firewall being read: its name, the region's reads, its HOME_NET, problems."""

    name: str
    nfw: NfwRaw
    home: list[str]
    prefix_lists: Mapping[str, Sequence[str]]
    out: _Out

    def group(self, arn: str, layer: int, order: int, rules: list[Rule]) -> tuple[GroupCtx, Raw]:
        """A referenced group's context and ``RuleGroup``; a group that was not read (or
        cannot be: AWS managed) becomes a placeholder in ``rules`` and an empty group."""
        resp = self.nfw.rule_groups.get(arn)
        g = _group_ctx(arn, resp or {}, self.home, self.prefix_lists)
        if resp is None:
            rules += _unread(self.name, arn, layer, order, self.out)
            return g, {}
        return g, resp.get("RuleGroup") or {}

    def done(self, g: GroupCtx) -> None:
        self.out.warnings.extend(f"network firewall {self.name}: {w}" for w in g.warnings)
        self.out.errors.extend(f"network firewall {self.name}: {e}" for e in g.errors)


def _rules(fw: _Fw, policy: Raw) -> list[Rule]:
    pol = policy.get("FirewallPolicy") or {}
    rules = _stateless_layer(fw, pol) + _stateful_layer(fw, pol)
    tls_arn = str(pol.get("TLSInspectionConfigurationArn") or "")
    if tls_arn:
        rules += _tls(tls_arn, fw.nfw.tls.get(tls_arn))
    return rules


def _stateless_layer(fw: _Fw, pol: Raw) -> list[Rule]:
    """Layer 0: the stateless groups by reference priority, then the full-packet default."""
    rules: list[Rule] = []
    refs = sorted(pol.get("StatelessRuleGroupReferences") or (), key=lambda r: int(r["Priority"]))
    for ref in refs:
        prio = int(ref["Priority"])
        g, group = fw.group(str(ref.get("ResourceArn")), 0, prio * STEP, rules)
        rules += stateless_rules(g, group, prio, order_step=STEP)
        fw.done(g)
    full = [str(a) for a in pol.get("StatelessDefaultActions") or ()]
    frag = [str(a) for a in pol.get("StatelessFragmentDefaultActions") or ()]
    action = next((STATELESS_ACTIONS[a] for a in full if a in STATELESS_ACTIONS), None)
    if action is None:
        fw.out.errors.append(f"network firewall {fw.name}: no stateless default action in {full!r}")
        action = Action.GOTO_NEXT
    rules += _catch_all("stateless-default", action, 0, f"stateless default {', '.join(full)}")
    if "aws:pass" in frag and "aws:pass" not in full:
        fw.out.warnings.append(
            f"network firewall {fw.name}: fragmented packets pass the stateless "
            "engine without stateful inspection (aws:pass; not evaluated)"
        )
    return rules


def _stateful_layer(fw: _Fw, pol: Raw) -> list[Rule]:
    """Layer 1: the stateful groups in the engine's rule order, then the stateful default."""
    rules: list[Rule] = []
    opts = pol.get("StatefulEngineOptions") or {}
    strict = str(opts.get("RuleOrder", "DEFAULT_ACTION_ORDER")).upper() == "STRICT_ORDER"
    srefs = list(pol.get("StatefulRuleGroupReferences") or ())
    if strict:
        srefs.sort(key=lambda r: int(r.get("Priority", 0)))
    for gi, ref in enumerate(srefs):
        base = int(ref.get("Priority", 0)) * STEP if strict else gi * STEP

        def order(a: Action, i: int, base: int = base) -> int:
            return base + i if strict else ACTION_CLASS.get(a, 2) * LAST // 10 + base + i

        override = str((ref.get("Override") or {}).get("Action") or "")
        g, group = fw.group(str(ref.get("ResourceArn")), 1, base, rules)
        rules += stateful_rules(g, stateful_texts(group), order, override)
        fw.done(g)
    sdefaults = [str(a) for a in pol.get("StatefulDefaultActions") or ()]
    drops = [a for a in sdefaults if a.startswith("aws:drop")]
    if strict and drops:
        why = (
            "drops only packets of established connections: the TCP handshake passes"
            if drops == ["aws:drop_established"]
            else ""
        )
        rules += _catch_all(
            "stateful-default", Action.DENY, 1, f"stateful default {', '.join(sdefaults)}", why
        )
    else:
        said = f" ({', '.join(sdefaults)})" if sdefaults else ""
        rules += _catch_all(
            "stateful-default",
            Action.ALLOW,
            1,
            f"no stateful default drop{said}: what no stateful rule decides passes",
        )
    return rules


def _unread(fw: str, arn: str, layer: int, order: int, out: _Out) -> list[Rule]:
    name = arn_name(arn)
    if is_managed(arn):
        why = "AWS managed rule group: its rules are not readable; evaluated as matching nothing"
        return _placeholder(
            f"managed:{name}", layer, order, f"AWS managed rule group {arn}", why, POLICY_CALL
        )
    out.warnings.append(
        f"network firewall {fw}: rule group {arn} was not read; its rules are "
        "evaluated as matching nothing"
    )
    return _placeholder(
        f"unread:{name}",
        layer,
        order,
        f"rule group {arn}",
        "rule group could not be read",
        POLICY_CALL,
    )


def _tls(arn: str, resp: Raw | None) -> list[Rule]:
    cfg = (resp or {}).get("TLSInspectionConfiguration") or {}
    scopes = sum(
        len(c.get("Scopes") or ()) for c in cfg.get("ServerCertificateConfigurations") or ()
    )
    said = f": {scopes} scope(s) decrypted" if resp is not None else " (not read)"
    why = "TLS inspection: decrypted traffic is matched on its plaintext; not modeled"
    return _placeholder(
        "tls-inspection", 1, -1, f"TLS inspection {arn_name(arn)}{said}", why, TLS_CALL
    )


# -- placement ---------------------------------------------------------------------------------
def _placement(
    resp: Raw, vpc: str, tables: Sequence[Raw] | None, subnets: Sequence[Raw]
) -> tuple[Attachment, ...]:
    """The subnets whose internet traffic a route sends through one of the firewall's endpoints."""
    status = resp.get("FirewallStatus") or {}
    endpoints: set[str] = set()
    for st in (status.get("SyncStates") or {}).values():
        ep = ((st or {}).get("Attachment") or {}).get("EndpointId")
        if ep:
            endpoints.add(str(ep))
    own = {str(m.get("SubnetId")) for m in (resp.get("Firewall") or {}).get("SubnetMappings") or ()}
    in_vpc = {
        str(s["SubnetId"]): str(s.get("CidrBlock") or "")
        for s in subnets
        if str(s.get("VpcId")) == vpc and s.get("SubnetId")
    }
    mine = [t for t in tables or () if str(t.get("VpcId")) == vpc]
    explicit = {
        str(a["SubnetId"]) for t in mine for a in t.get("Associations") or () if a.get("SubnetId")
    }
    found: dict[str, tuple[str, str]] = {}
    for t in mine:
        rtb = str(t.get("RouteTableId") or "")
        assoc = t.get("Associations") or ()
        members = {str(a["SubnetId"]) for a in assoc if a.get("SubnetId")}
        if any(a.get("Main") for a in assoc):
            members |= set(in_vpc) - explicit
        edge = any(a.get("GatewayId") for a in assoc)
        for r in t.get("Routes") or ():
            target = str(r.get("VpcEndpointId") or r.get("GatewayId") or "")
            if target not in endpoints:
                continue
            dest = str(r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or "")
            if dest in DEFAULT_ROUTES:
                for s in members:
                    found.setdefault(s, (rtb, target))
            if edge and dest:
                for s, cidr in in_vpc.items():
                    if cidr and _covers(dest, cidr):
                        found.setdefault(s, (rtb, target))
    return tuple(
        Attachment("subnet-route", s, subnet=s, extra=(("endpoint", ep), ("route_table", rtb)))
        for s, (rtb, ep) in sorted(found.items())
        if s not in own
    )


def _covers(outer: str, inner: str) -> bool:
    try:
        a, b = ipaddress.ip_network(outer, strict=False), ipaddress.ip_network(inner, strict=False)
    except ValueError:
        return False
    return a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]

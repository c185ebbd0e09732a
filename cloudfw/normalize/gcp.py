"""GCP: Compute API JSON for one project -> one `RuleSet` per VPC network (pure, no I/O).

Each network's rule set uses `EvalSemantics.POLICY_THEN_VPC`, with one layer per stage of Cloud
NGFW's evaluation order:

1. hierarchical firewall policies, organization first, then each folder down to the project;
2. with ``networkFirewallPolicyEnforcementOrder`` AFTER_CLASSIC_FIREWALL (the default): the VPC
   firewall rules, then the global network firewall policy, then the regional one;
   with BEFORE_CLASSIC_FIREWALL: global policy, regional policy, then the VPC firewall rules;
3. the implied rules (deny all ingress, allow all egress, priority 65535), explicit, last.

Regional network firewall policies only apply to instances in their region, so a network with a
regional policy gets one extra rule set per such region (``Asset.region`` = that region) that
adds the regional layer; the ``global`` rule set describes the network without it.

Subnet flow-log state is kept in the rule set's attachments (``extra`` ``flow_logs`` on/off).
Rule-set logging stays UNKNOWN: on GCP the log switch is per rule (``logConfig.enable``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from cloudfw.model import (
    ANY,
    Action,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
    SourceRef,
)
from cloudfw.normalize.gcp_fields import (
    GcpNormalizeError,
    Json,
    last_segment,
    opt_bool,
    opt_obj,
    opt_str,
    req_str,
    resource_path,
)
from cloudfw.normalize.gcp_instances import instance_attachments
from cloudfw.normalize.gcp_rules import PolicyRule, firewall_rules, policy_label, policy_rules

IMPLIED_DENY_INGRESS = "implied-deny-ingress"
IMPLIED_ALLOW_EGRESS = "implied-allow-egress"
BEFORE_CLASSIC = "BEFORE_CLASSIC_FIREWALL"

__all__ = [
    "IMPLIED_ALLOW_EGRESS",
    "IMPLIED_DENY_INGRESS",
    "GcpNormalizeError",
    "NormalizeResult",
    "ProjectInput",
    "implied_rules",
    "normalize_project",
]


@dataclass(frozen=True)
class ProjectInput:
    """What the collector read for one project, as Compute API JSON objects (camelCase).

    ``ancestry`` lists the project's ancestors top-down (``organizations/N``, ``folders/N``...);
    ``hierarchical_policies`` holds every policy listed under any of them (a policy applies to the
    ancestor its ``associations`` name).
    """

    project: str
    networks: Sequence[Json] = ()
    firewalls: Sequence[Json] = ()
    subnetworks: Sequence[Json] = ()
    network_policies: Sequence[Json] = ()
    regional_policies: Sequence[Json] = ()
    ancestry: Sequence[str] = ()
    hierarchical_policies: Sequence[Json] = ()
    instances: Sequence[Json] = ()  # optional: VMs, for effective exposure
    # VPC firewall rules already normalized (`firewall_rules`), with each resource's network
    # URL: what a streaming reader keeps instead of the raw objects
    vpc_rules: Sequence[tuple[str, Sequence[Rule]]] = ()


@dataclass(frozen=True)
class NormalizeResult:
    rulesets: tuple[RuleSet, ...]
    errors: tuple[str, ...]  # one line per malformed resource (never silently dropped)
    resources: int  # API objects read


def implied_rules(layer: int) -> tuple[Rule, Rule]:
    origin = SourceRef("api", "gcp:implied-rules")
    return (
        Rule(IMPLIED_DENY_INGRESS, Direction.INGRESS, Action.DENY, peers=ANY, order=65535,
             layer=layer, description="implied rule: deny all ingress", origin=origin,
             builtin=True),
        Rule(IMPLIED_ALLOW_EGRESS, Direction.EGRESS, Action.ALLOW, peers=ANY, order=65535,
             layer=layer, description="implied rule: allow all egress", origin=origin,
             builtin=True),
    )  # fmt: skip


@dataclass
class _Net:
    path: str
    name: str
    before_classic: bool = False
    vpc: list[Rule] = field(default_factory=list)
    global_policies: list[tuple[str, list[PolicyRule]]] = field(default_factory=list)
    regional: dict[str, list[tuple[str, list[PolicyRule]]]] = field(default_factory=dict)
    subnets: list[tuple[str, Attachment]] = field(default_factory=list)
    instances: list[tuple[str, Attachment]] = field(default_factory=list)


def normalize_project(data: ProjectInput) -> NormalizeResult:
    errors: list[str] = []
    nets: dict[str, _Net] = {}

    def net(url: str) -> _Net:
        path = resource_path(url)
        if path not in nets:
            nets[path] = _Net(path, last_segment(path))
        return nets[path]

    for n in data.networks:
        try:
            name = req_str(n, "name", "network")
            ctx = f"network {name!r}"
            link = opt_str(n, "selfLink", ctx) or f"projects/{data.project}/global/networks/{name}"
            order = opt_str(n, "networkFirewallPolicyEnforcementOrder", ctx)
        except GcpNormalizeError as exc:
            errors.append(str(exc))
            continue
        net(link).before_classic = order == BEFORE_CLASSIC
    for fw in data.firewalls:
        try:
            rules = firewall_rules(fw)
            target = net(req_str(fw, "network", f"firewall {fw.get('name')!r}"))
        except GcpNormalizeError as exc:
            errors.append(str(exc))
            continue
        target.vpc.extend(rules)
    for url, pre in data.vpc_rules:
        net(url).vpc.extend(pre)
    for pol in data.network_policies:
        for path, label, prules in _associated(pol, errors):
            gn = net(path)
            gn.global_policies.append((label, prules))
    for pol in data.regional_policies:
        region = last_segment(str(pol.get("region", ""))) or "unknown-region"
        for path, label, prules in _associated(pol, errors):
            rn = net(path)
            rn.regional.setdefault(region, []).append((label, prules))
    for sn in data.subnetworks:
        try:
            region, att, link = _subnet(sn)
        except GcpNormalizeError as exc:
            errors.append(str(exc))
            continue
        sn_net = net(link)
        sn_net.subnets.append((region, att))

    for path, region, att in instance_attachments(data.instances, errors):
        vm_net = net(path)
        vm_net.instances.append((region, att))

    hier = _hierarchy_layers(data, errors)
    rulesets: list[RuleSet] = []
    for path in sorted(nets):
        rulesets.extend(_rulesets(data.project, nets[path], hier))
    count = (
        len(data.networks) + len(data.firewalls) + len(data.subnetworks)
        + len(data.network_policies) + len(data.regional_policies)
        + len(data.hierarchical_policies) + len(data.instances) + len(data.vpc_rules)
    )  # fmt: skip
    return NormalizeResult(tuple(rulesets), tuple(errors), count)


def _associated(pol: Json, errors: list[str]) -> list[tuple[str, str, list[PolicyRule]]]:
    """A network firewall policy -> (network path, label, rules) per associated network."""
    try:
        label = policy_label(pol)
        assocs = pol.get("associations", [])
        if not isinstance(assocs, list):
            raise GcpNormalizeError(f"firewall policy {label!r}: 'associations' is not a list")
        targets = [
            req_str(a, "attachmentTarget", f"firewall policy {label!r}: associations")
            for a in assocs
            if isinstance(a, Mapping)
        ]
    except GcpNormalizeError as exc:
        errors.append(str(exc))
        return []
    if not targets:
        return []  # not attached to any network: it enforces nothing
    prules = policy_rules(pol, errors)
    return [(resource_path(t), label, prules) for t in targets]


def _subnet(sn: Json) -> tuple[str, Attachment, str]:
    name = req_str(sn, "name", "subnetwork")
    ctx = f"subnetwork {name!r}"
    region = last_segment(req_str(sn, "region", ctx))
    link = req_str(sn, "network", ctx)
    on = opt_bool(opt_obj(sn, "logConfig", ctx), "enable", f"{ctx}: logConfig") or opt_bool(
        sn, "enableFlowLogs", ctx
    )
    att = Attachment(
        resource_type="subnetwork",
        resource_id=f"{region}/{name}",
        subnet=opt_str(sn, "ipCidrRange", ctx),
        extra=(
            ("flow_logs", "on" if on else "off"),
            ("purpose", opt_str(sn, "purpose", ctx) or "PRIVATE"),  # proxy-only: no flow logs
            ("region", region),
        ),
    )
    return region, att, link


def _hierarchy_layers(data: ProjectInput, errors: list[str]) -> list[tuple[str, list[PolicyRule]]]:
    """One (layer name, rules) per ancestor, top-down, from the policies associated with it."""
    parsed: list[tuple[set[str], str, list[PolicyRule]]] = []
    seen: set[str] = set()
    for pol in data.hierarchical_policies:
        ident = str(pol.get("id") or pol.get("name") or id(pol))
        if ident in seen:
            continue
        seen.add(ident)
        try:
            label = policy_label(pol)
            nodes = {
                str(a.get("attachmentTarget", ""))
                for a in pol.get("associations", [])
                if isinstance(a, Mapping)
            }
        except (GcpNormalizeError, TypeError) as exc:
            errors.append(f"hierarchical firewall policy: {exc}")
            continue
        if nodes & set(data.ancestry):
            parsed.append((nodes, label, policy_rules(pol, errors)))
    layers: list[tuple[str, list[PolicyRule]]] = []
    for node in data.ancestry:
        rules: list[PolicyRule] = []
        labels: list[str] = []
        for nodes, label, prules in parsed:
            if node in nodes:
                rules.extend(prules)
                labels.append(label)
        name = f"hierarchical:{node}" + (f" ({', '.join(labels)})" if labels else "")
        layers.append((name, rules))
    return layers


def _policy_layer(name: str, policies: list[tuple[str, list[PolicyRule]]], path: str,
                  ) -> tuple[str, list[Rule]]:  # fmt: skip
    labels = ", ".join(label for label, _ in policies)
    rules = [p.rule for _, prules in policies for p in prules if p.applies_to_network(path)]
    return (f"{name} ({labels})" if labels else name), rules


def _rulesets(project: str, n: _Net, hier: list[tuple[str, list[PolicyRule]]]) -> list[RuleSet]:
    layers: list[tuple[str, list[Rule]]] = [
        (name, [p.rule for p in prules if p.applies_to_network(n.path)]) for name, prules in hier
    ]
    vpc = ("vpc-firewall-rules", list(n.vpc))
    glob = _policy_layer("network-policy:global", n.global_policies, n.path)
    subnets = n.subnets
    out: list[RuleSet] = []
    regions: list[str | None] = [None, *sorted(n.regional)]
    regional = set(n.regional)
    for region in regions:
        stack: list[tuple[str, list[Rule]]] = [glob]
        if region is not None:
            stack.append(_policy_layer(f"network-policy:{region}", n.regional[region], n.path))
        stack = [*stack, vpc] if n.before_classic else [vpc, *stack]
        full = layers + stack
        rules: list[Rule] = []
        for i, (_, lrules) in enumerate(full):
            rules.extend(r if r.layer == i else replace(r, layer=i) for r in lrules)
        rules.extend(implied_rules(len(full)))
        asset = Asset(
            provider="gcp",
            account=project,
            region=region or "global",
            resource_type="vpc-network",
            resource_id=n.name,
            name=n.name,
        )
        atts = tuple(a for r, a in subnets if region is None or r == region)
        # a VM is governed by its region's rule set when there is one, else by the global one
        atts += tuple(
            a for r, a in n.instances if r == region or (region is None and r not in regional)
        )
        # in identity order: aggregated listings come back in no fixed region order
        atts = tuple(sorted(atts, key=lambda a: (a.resource_type, a.resource_id)))
        out.append(
            RuleSet(
                asset=asset,
                semantics=EvalSemantics.POLICY_THEN_VPC,
                rules=tuple(rules),
                default_ingress=Action.DENY,
                default_egress=Action.DENY,
                logging=Logging.UNKNOWN,
                attachments=atts,
                is_default=n.name == "default",
                layer_names=(*(name for name, _ in full), "implied"),
            )
        )
    return out

"""The rule content of AWS Network Firewall and RDS DB security group changes in CloudTrail.
Pure: no I/O.

Network Firewall requests (JSON protocol, camelCase keys) carry rule groups as stateless 5-tuple
rules, stateful rules (structured, or Suricata rule strings), domain lists, and firewall
policies as default actions. A rule group with several rules is reported by what it allows
(`events.normal.effect`). Suricata addresses and ports are read by `events.suricata` (negation,
lists, ranges, the rule group's ``ipSets`` / ``portSets`` variables). The changed traffic's
direction is known only relative to ``$HOME_NET`` (to it: ingress; from it: egress); the peer is
the side that is not the home network. A body CloudTrail hides
(``HIDDEN_DUE_TO_SECURITY_REASONS``) is content the log does not carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudfw.events import suricata
from cloudfw.events.errors import RecordError
from cloudfw.events.normal import ALL, Written, effect, obj, port_int, range_specs, seq, strs, text
from cloudfw.model import PortSpec

#: what a change's content comes to: (direction, rule_action, peers, ports, any_peer); any_peer
#: None means "measure the peers"
Content = tuple[str, str, list[str], list[PortSpec], bool | None]
NONE: Content = ("", "", [], [], None)
STATELESS = {"aws:pass": "allow", "aws:drop": "deny"}  # aws:forward_to_sfe decides nothing
STATEFUL = {"pass": "allow", "drop": "deny", "reject": "deny"}  # alert decides nothing
LIST_TYPES = {"ALLOWLIST": "allow", "DENYLIST": "deny", "REJECTLIST": "deny"}
LIST_PORTS = {"TLS_SNI": PortSpec("tcp", 443, 443), "HTTP_HOST": PortSpec("tcp", 80, 80)}
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
#: NFW calls that turn a protection on change nothing to weaken: not emitted
PROTECTIONS = {
    "UpdateFirewallDeleteProtection": "deleteProtection",
    "UpdateFirewallPolicyChangeProtection": "firewallPolicyChangeProtection",
    "UpdateSubnetChangeProtection": "subnetChangeProtection",
}

Rule = tuple[str, Written]  # (direction, written rule)


def hardens(name: str, req: Mapping[str, Any]) -> bool:
    flag = PROTECTIONS.get(name)
    return flag is not None and req.get(flag) is True


def _summary(rules: list[Rule]) -> Content:
    action, peers, ports, wide = effect(w for _, w in rules)
    shown = [d for d, w in rules if w[0] == action]
    direction = shown[0] if shown and len(set(shown)) == 1 else ""
    return direction, action, peers, ports, wide


def _stateless(rule: Mapping[str, Any], f: str) -> Rule:
    d = obj(rule.get("ruleDefinition"), f"{f}.ruleDefinition")
    m = obj(d.get("matchAttributes"), f"{f}.ruleDefinition.matchAttributes")
    actions = strs(d.get("actions"), f"{f}.ruleDefinition.actions")
    action = next((STATELESS[a] for a in actions if a in STATELESS), "")
    peers = [
        text(obj(s, f"{f}.matchAttributes.sources[]").get("addressDefinition"))
        for s in seq(m.get("sources"), f"{f}.matchAttributes.sources")
    ]
    ranges = []
    for i, p in enumerate(seq(m.get("destinationPorts"), f"{f}.matchAttributes.destinationPorts")):
        p = obj(p, f"{f}.matchAttributes.destinationPorts[{i}]")
        lo, hi = port_int(p.get("fromPort"), f"{f}.fromPort"), port_int(p.get("toPort"), f)
        ranges.append(f"{lo}-{hi if hi is not None else lo}")
    protos = seq(m.get("protocols"), f"{f}.matchAttributes.protocols") or ["all"]
    ports = [s for proto in protos for s in range_specs(proto, ranges, f"{f}.destinationPorts")]
    return "", (action, peers, ports)


Variables = tuple[suricata.Variables, suricata.Variables]  # (ipSets, portSets)


def _suricata(
    action: str, proto: str, src: str, dst: str, dport: str, f: str, variables: Variables
) -> Rule:
    home_src, home_dst = suricata.is_home(src), suricata.is_home(dst)
    egress = home_src and not home_dst
    direction = "egress" if egress else ("ingress" if home_dst else "")
    ips, port_vars = variables
    peers = suricata.peers(
        dst if egress else src, ips, f"{f}.{'destination' if egress else 'source'}"
    )
    ports = suricata.port_specs(proto, dport, port_vars, f"{f}.destinationPort")
    return direction, (STATEFUL.get(action.lower(), ""), peers, ports)


def _rules_string(rules: str, f: str, variables: Variables) -> list[Rule]:
    out: list[Rule] = []
    for n, line in enumerate(rules.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == HIDDEN:
            continue
        read = suricata.parse_rule(stripped)
        if read is None:
            raise RecordError(f"line {n} is not a Suricata rule: {stripped[:60]!r}", f)
        action, proto, src, _, _, dst, dport = read[0]  # idstools drops a nested list's last "]"
        out.append(_suricata(action, proto, src, dst, dport, f"{f} line {n}", variables))
    return out


def _variables(group: Mapping[str, Any]) -> Variables:
    rv = obj(group.get("ruleVariables"), "ruleVariables")
    ip_sets, port_sets = (obj(rv.get(k), f"ruleVariables.{k}") for k in ("ipSets", "portSets"))
    return (
        {k: strs(obj(v, f"ipSets.{k}").get("definition"), f"ipSets.{k}.definition")
         for k, v in ip_sets.items()},
        {k: strs(obj(v, f"portSets.{k}").get("definition"), f"portSets.{k}.definition")
         for k, v in port_sets.items()},
    )  # fmt: skip


def _rule_group(req: Mapping[str, Any]) -> list[Rule]:
    f = "requestParameters.ruleGroup"
    group = obj(None if req.get("ruleGroup") == HIDDEN else req.get("ruleGroup"), f)
    source = obj(group.get("rulesSource"), f"{f}.rulesSource")
    variables = _variables(group)
    rules: list[Rule] = []
    if isinstance(req.get("rules"), str):
        rules += _rules_string(req["rules"], "requestParameters.rules", variables)
    if isinstance(source.get("rulesString"), str):
        rules += _rules_string(source["rulesString"], f"{f}.rulesSource.rulesString", variables)
    sl = obj(source.get("statelessRulesAndCustomActions"), f"{f}.statelessRulesAndCustomActions")
    numbered = [
        (text(obj(r, f"{f}.statelessRules[{i}]").get("priority")).zfill(6), i, r)
        for i, r in enumerate(seq(sl.get("statelessRules"), f"{f}.statelessRules"))
    ]
    stateless = [_stateless(r, f"{f}.statelessRules[{i}]") for _, i, r in sorted(numbered)]
    for i, r in enumerate(seq(source.get("statefulRules"), f"{f}.statefulRules")):
        g = f"{f}.statefulRules[{i}]"
        h = obj(obj(r, g).get("header"), f"{g}.header")
        rules.append(
            _suricata(text(r.get("action")), text(h.get("protocol")), text(h.get("source")),
                      text(h.get("destination")), text(h.get("destinationPort")), g, variables)
        )  # fmt: skip
    options = obj(group.get("statefulRuleOptions"), f"{f}.statefulRuleOptions")
    if text(options.get("ruleOrder")).upper() != "STRICT_ORDER":  # action order: pass first
        rules.sort(key=lambda r: r[1][0] != "allow")
    rules = stateless + rules  # stateless rules are evaluated by priority, before stateful ones
    lst = obj(source.get("rulesSourceList"), f"{f}.rulesSourceList")
    if lst:
        kinds = strs(lst.get("targetTypes"), "rulesSourceList.targetTypes")
        action = LIST_TYPES.get(text(lst.get("generatedRulesType")).upper(), "")
        ports = [LIST_PORTS[k] for k in kinds if k in LIST_PORTS]
        rules.append(("egress", (action, strs(lst.get("targets"), "targets"), ports)))
    return rules


def _policy(req: Mapping[str, Any]) -> Content:
    """A firewall policy: what traffic that no rule matched meets (its default actions)."""
    f = "requestParameters.firewallPolicy"
    pol = obj(None if req.get("firewallPolicy") == HIDDEN else req.get("firewallPolicy"), f)
    if not pol:
        return NONE
    stateless = strs(pol.get("statelessDefaultActions"), f"{f}.statelessDefaultActions")
    stateful = strs(pol.get("statefulDefaultActions"), f"{f}.statefulDefaultActions")
    action = next((STATELESS[a] for a in stateless if a in STATELESS), "")
    if not action and "aws:forward_to_sfe" in stateless:
        action = "deny" if any(a.startswith("aws:drop") for a in stateful) else ""
    return ("", action, ["*"], [ALL], None) if action else NONE


def network_firewall(name: str, req: Mapping[str, Any]) -> Content:
    if name in ("CreateRuleGroup", "UpdateRuleGroup"):
        return _summary(_rule_group(req))
    if name in ("CreateFirewallPolicy", "UpdateFirewallPolicy"):
        return _policy(req)
    return NONE


def _lower_keys(req: Mapping[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in req.items()}


def rds_security_group(req: Mapping[str, Any]) -> tuple[str, Content]:
    """(resource, content) of an RDS DB security group change: CIDRIP or an EC2 group."""
    low = _lower_keys(req)  # CloudTrail writes dBSecurityGroupName, cIDRIP, eC2SecurityGroupId
    keys = ("cidrip", "ec2securitygroupid", "ec2securitygroupname")
    peer = next((text(low[k]) for k in keys if low.get(k)), "")
    content: Content = ("ingress", "allow", [peer], [], None) if peer else NONE
    return text(low.get("dbsecuritygroupname")), content

"""AWS Network Firewall rule groups -> model rules: the shared shape of a 5-tuple and the
stateless engine's rules. Pure: API dicts in, `Rule`s out (the stateful engine's Suricata rules
are read by `aws_nfw_suricata`).

A Network Firewall judges packets by their addresses, not by a side, so the model's direction
is relative to ``$HOME_NET`` (as for the change events): a 5-tuple is an ``ingress`` rule (peer =
the source, local = the destination) when its destination can be in the home network, and an
``egress`` rule (peer = the destination, local = the source) when its source can be; ``any ->
any`` is both. Both are on the destination ports. A Suricata ``<>`` rule (a 5-tuple with
``Direction: ANY``) also matches the reverse pair. A stateless rule that also matches source
ports or TCP flags matches less than its addresses say: a pass is assumed to match, a drop is
not applied, and ``unresolved`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudfw.events import suricata
from cloudfw.events.errors import RecordError
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    Action,
    AddressSet,
    Direction,
    Intervals,
    ModelError,
    Rule,
    SourceRef,
    parse_protocol,
    port_range,
)

Raw = Mapping[str, Any]
RULE_GROUP_CALL = "network-firewall:DescribeRuleGroup"
STATELESS_ACTIONS = {
    "aws:pass": Action.ALLOW,
    "aws:drop": Action.DENY,
    "aws:forward_to_sfe": Action.GOTO_NEXT,
}


@dataclass
class GroupCtx:
    """What one rule group's rules are read with: its name and ARN, its variables (HOME_NET
    already settled), its IP set references resolved to address sets, and where problems go."""

    name: str
    arn: str
    ip_vars: Mapping[str, list[str]]
    port_vars: Mapping[str, list[str]]
    refs: Mapping[str, AddressSet]
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def home(self) -> AddressSet | None:
        """``$HOME_NET`` as addresses; None when it is not known as addresses."""
        try:
            home = suricata.address_space("$HOME_NET", self.ip_vars, "HOME_NET", _plain)
        except (RecordError, ModelError):
            return None
        return home if (home.v4 or home.v6) and not home.universal else None

    def origin(self, record: str) -> SourceRef:
        return SourceRef("api", RULE_GROUP_CALL, record=f"{self.arn}#{record}")


@dataclass(frozen=True)
class Match:
    """One direction-free 5-tuple: what a rule matches and what it does."""

    key: str
    action: Action
    protocols: Intervals
    ports: Intervals
    source: AddressSet
    destination: AddressSet
    order: int
    layer: int
    description: str
    origin: SourceRef
    narrowed: str = ""  # why the rule matches less than this (kept, never guessed)
    both_ways: bool = False
    home: AddressSet | None = None  # None: the home network is not known, both directions


def _sides(
    m: Match, src: AddressSet, dst: AddressSet
) -> list[tuple[Direction, AddressSet, AddressSet]]:
    out = []
    if m.home is None or dst.intersects(m.home):
        out.append((Direction.INGRESS, src, dst))
    if m.home is None or src.intersects(m.home):
        out.append((Direction.EGRESS, dst, src))
    return out


def pair(m: Match) -> list[Rule]:
    """The ingress and egress model rules of one 5-tuple (and of its reverse, ``<>``)."""
    unresolved, enabled = "", True
    if m.narrowed and m.action.permits:
        unresolved = f"assumed to match (matches only {m.narrowed})"
    elif m.narrowed and m.action is Action.DENY:
        unresolved, enabled = f"drop not applied (matches only {m.narrowed})", False
    elif m.narrowed:
        unresolved = f"matches only {m.narrowed}"
    ends = [("", m.source, m.destination)]
    if m.both_ways and m.source != m.destination:  # a symmetric `<>` matches itself reversed
        ends.append((":rev", m.destination, m.source))
    out: list[Rule] = []
    for suffix, src, dst in ends:
        for direction, peers, local in _sides(m, src, dst):
            out.append(
                Rule(
                    key=f"{m.key}:{direction}{suffix}",
                    direction=direction,
                    action=m.action,
                    protocols=m.protocols,
                    ports=m.ports,
                    peers=peers,
                    local=local,
                    order=m.order,
                    layer=m.layer,
                    enabled=enabled,
                    description=m.description,
                    origin=m.origin,
                    unresolved=unresolved,
                )
            )
    return out


# -- stateless ---------------------------------------------------------------------------------
def stateless_rules(g: GroupCtx, group: Raw, base_order: int, *, order_step: int) -> list[Rule]:
    """A stateless rule group's rules, by priority, in layer 0."""
    source = (group.get("RulesSource") or {}).get("StatelessRulesAndCustomActions") or {}
    out: list[Rule] = []
    home = g.home
    rules = sorted(source.get("StatelessRules") or (), key=lambda r: int(r.get("Priority", 0)))
    for r in rules:
        prio = int(r.get("Priority", 0))
        where = f"{g.name} priority {prio}"
        d = r.get("RuleDefinition") or {}
        actions = [str(a) for a in d.get("Actions") or ()]
        action = next((STATELESS_ACTIONS[a] for a in actions if a in STATELESS_ACTIONS), None)
        if action is None:
            g.errors.append(f"rule group {where}: no standard action in {actions!r}")
            continue
        m = d.get("MatchAttributes") or {}
        try:
            protocols = _stateless_protocols(m.get("Protocols"))
            src = _stateless_addresses(m.get("Sources"))
            dst = _stateless_addresses(m.get("Destinations"))
            ports = _port_ranges(m.get("DestinationPorts"))
            sports = _port_ranges(m.get("SourcePorts"))
        except (ModelError, ValueError, TypeError) as exc:
            g.errors.append(f"rule group {where}: {exc}")
            continue
        narrowed = []
        if sports != ALL_PORTS:
            narrowed.append("some source ports")
        if m.get("TCPFlags"):
            narrowed.append("some TCP flags")
        custom = [a for a in actions if a not in STATELESS_ACTIONS]
        desc = f"stateless {actions[0] if not custom else ', '.join(actions)}"
        out += pair(
            Match(
                f"{g.name}:{prio}",
                action,
                protocols,
                ports,
                src,
                dst,
                base_order * order_step + prio,
                0,
                desc,
                g.origin(f"priority {prio}"),
                " and ".join(narrowed),
                home=home,
            )
        )
    return out


def _stateless_protocols(raw: Any) -> Intervals:
    if not raw:
        return ALL_PROTOCOLS
    out = Intervals()
    for p in raw:
        out = out | parse_protocol(int(p))
    return out


def _stateless_addresses(raw: Any) -> AddressSet:
    if not raw:
        return ANY
    return AddressSet.parse_many(tuple(str(a["AddressDefinition"]) for a in raw))


def _port_ranges(raw: Any) -> Intervals:
    if not raw:
        return ALL_PORTS
    out = Intervals()
    for p in raw:
        out = out | port_range(int(p["FromPort"]), int(p.get("ToPort", p["FromPort"])))
    return out


def _plain(tok: str) -> AddressSet:
    t = tok.strip()
    return ANY if t.lower() == "any" else AddressSet.parse(t)

"""Rules and the enums that describe them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cloudfw.model.addr import ANY, AddressSet
from cloudfw.model.asset import SourceRef
from cloudfw.model.iface import IfaceMatch
from cloudfw.model.intervals import Intervals
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS, ports_label, protocol_label


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class Action(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    ALLOW_BYPASS = "allow-bypass"  # Windows authenticated bypass: beats block rules
    LOG = "log"  # non-terminal: records, never decides
    GOTO_NEXT = "goto_next"  # GCP firewall policies: defer to the next layer

    @property
    def terminal(self) -> bool:
        return self in (Action.ALLOW, Action.DENY, Action.ALLOW_BYPASS)

    @property
    def permits(self) -> bool:
        return self in (Action.ALLOW, Action.ALLOW_BYPASS)


class Logging(StrEnum):
    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"


class EvalSemantics(StrEnum):
    """How an enforcement point turns its rules into a decision. See `ruleset.evaluate`."""

    ALLOW_UNION = "allow_union"  # AWS security group: union of allows, default deny
    FIRST_MATCH_BY_NUMBER = "first_match_by_number"  # AWS NACL: lowest rule number wins
    PRIORITY_FIRST_MATCH = "priority_first_match"  # Azure NSG / Azure Firewall collections
    PRIORITY_DENY_WINS_TIES = "priority_deny_wins_ties"  # GCP VPC firewall rules
    POLICY_THEN_VPC = "policy_then_vpc"  # GCP hierarchical -> network policy -> VPC (layers)
    CHAIN_FIRST_MATCH = "chain_first_match"  # iptables / nftables (chains flattened in order)
    LAST_MATCH_UNLESS_QUICK = "last_match_unless_quick"  # pf
    BLOCK_OVERRIDES_ALLOW = "block_overrides_allow"  # Windows Defender Firewall
    APP_LEVEL = "app_level"  # macOS Application Firewall: per-application allow/block
    STATELESS_THEN_STATEFUL = "stateless_then_stateful"  # AWS Network Firewall (two engines)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of one enforcement point, provider-neutral.

    ``peers`` is the remote side (source for ingress, destination for egress); ``local`` is our
    side. ``order`` is the rule number or priority (lower is evaluated first), ``layer`` orders
    stacked policies (hierarchical policy 0, network policy 1, VPC rules 2, ...). ``targets`` limits
    the rule to instances carrying one of these selectors (GCP tags or service accounts, Azure
    ASGs); empty means every instance. ``unresolved`` explains a vendor construct cloudfw could not
    model exactly; such a rule is kept and reported, never dropped. ``builtin`` marks rules the
    provider adds and users cannot change (the AWS NACL ``*`` deny, Azure default security rules,
    GCP implied rules): they take part in evaluation, but hygiene checks do not report them.
    ``in_iface`` / ``out_iface`` bind the rule to the interfaces traffic arrives on / leaves by
    (host firewalls); None means every interface.
    """

    key: str
    direction: Direction
    action: Action
    protocols: Intervals = ALL_PROTOCOLS
    ports: Intervals = ALL_PORTS
    peers: AddressSet = ANY
    local: AddressSet = ANY
    order: int = 0
    layer: int = 0
    enabled: bool = True
    logging: Logging = Logging.UNKNOWN
    targets: frozenset[str] = frozenset()
    quick: bool = False
    description: str = ""
    origin: SourceRef | None = None
    unresolved: str = ""
    builtin: bool = False
    in_iface: IfaceMatch | None = None
    out_iface: IfaceMatch | None = None

    @property
    def protocol_label(self) -> str:
        return protocol_label(self.protocols)

    @property
    def ports_label(self) -> str:
        return ports_label(self.protocols, self.ports)

    def applies_to(self, targets: frozenset[str]) -> bool:
        return not self.targets or bool(self.targets & targets)

    @property
    def bound(self) -> bool:
        """Bound to some interfaces (in or out)."""
        return self.in_iface is not None or self.out_iface is not None

    def iface_label(self) -> str:
        """`` on eth1``, `` in on wg0 out on eth0``; empty for a rule of every interface."""
        if self.in_iface is not None and self.out_iface is not None:
            return f" in on {self.in_iface} out on {self.out_iface}"
        m = self.in_iface or self.out_iface
        return f" on {m}" if m is not None else ""

    def summary(self) -> str:
        side = "from" if self.direction is Direction.INGRESS else "to"
        return (
            f"{self.action} {self.direction} {self.protocol_label}/{self.ports_label} "
            f"{side} {self.peers}{self.iface_label()}"
        )


# The dataclass __init__ of a frozen class sets each of Rule's 19 fields through
# object.__setattr__; decoding a large snapshot builds millions of rules, so `plain_rule` sets the
# slots directly (about twice as fast). tests/model/test_serde.py checks that it builds exactly
# what Rule(...) builds, and that this list is Rule's fields in order.
PLAIN_RULE_FIELDS = (
    "key", "direction", "action", "protocols", "ports", "peers", "local", "order", "layer",
    "enabled", "logging", "targets", "quick", "description", "origin", "unresolved", "builtin",
    "in_iface", "out_iface",
)  # fmt: skip
(
    _set_key, _set_direction, _set_action, _set_protocols, _set_ports, _set_peers, _set_local,
    _set_order, _set_layer, _set_enabled, _set_logging, _set_targets, _set_quick,
    _set_description, _set_origin, _set_unresolved, _set_builtin, _set_in_iface, _set_out_iface,
) = (Rule.__dict__[name].__set__ for name in PLAIN_RULE_FIELDS)  # fmt: skip
_NO_TARGETS: frozenset[str] = frozenset()


def plain_rule(
    key: str,
    direction: Direction,
    action: Action,
    protocols: Intervals,
    ports: Intervals,
    peers: AddressSet,
    order: int,
    layer: int,
    logging: Logging,
    description: str,
    origin: SourceRef | None = None,
    builtin: bool = False,
) -> Rule:
    """``Rule(key, direction, action, protocols, ports, peers, order=…, layer=…, logging=…,
    description=…, origin=…, builtin=…)``, every other field at its default."""
    r: Rule = object.__new__(Rule)
    _set_key(r, key)
    _set_direction(r, direction)
    _set_action(r, action)
    _set_protocols(r, protocols)
    _set_ports(r, ports)
    _set_peers(r, peers)
    _set_local(r, ANY)
    _set_order(r, order)
    _set_layer(r, layer)
    _set_enabled(r, True)
    _set_logging(r, logging)
    _set_targets(r, _NO_TARGETS)
    _set_quick(r, False)
    _set_description(r, description)
    _set_origin(r, origin)
    _set_unresolved(r, "")
    _set_builtin(r, builtin)
    _set_in_iface(r, None)
    _set_out_iface(r, None)
    return r

"""The provider-neutral rule model: pure, frozen, stdlib only, no I/O."""

from cloudfw.model.addr import (
    ANY,
    ANY_V4,
    ANY_V6,
    EMPTY,
    INTERNET,
    PRIVATE,
    AddressError,
    AddressSet,
    Peer,
)
from cloudfw.model.asset import Asset, Attachment, SourceRef, plain_source
from cloudfw.model.change import (
    ChangeAction,
    ChangeEvent,
    EnumerationEvent,
    PortSpec,
    epoch_micros,
    from_epoch_micros,
)
from cloudfw.model.errors import CloudfwError, ModelError
from cloudfw.model.finding import Finding, Severity
from cloudfw.model.iface import (
    EVERY_IFACE,
    IfaceClause,
    IfaceMatch,
    IfaceTable,
    Interface,
    conjoin,
)
from cloudfw.model.intervals import Intervals
from cloudfw.model.ports import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    PortError,
    icmp_space,
    parse_ports,
    parse_protocol,
    port_range,
)
from cloudfw.model.profiles import ProfileSpaces
from cloudfw.model.rule import Action, Direction, EvalSemantics, Logging, Rule
from cloudfw.model.ruleset import DEFAULT_KEY, Boxes, RuleSet, rule_box
from cloudfw.model.snapshot import Coverage, CoverageStatus, Snapshot
from cloudfw.model.space import Box, Space

__all__ = [
    "ALL_PORTS",
    "ALL_PROTOCOLS",
    "ANY",
    "ANY_V4",
    "ANY_V6",
    "DEFAULT_KEY",
    "EMPTY",
    "EVERY_IFACE",
    "INTERNET",
    "PRIVATE",
    "Action",
    "AddressError",
    "AddressSet",
    "Asset",
    "Attachment",
    "Box",
    "Boxes",
    "ChangeAction",
    "ChangeEvent",
    "CloudfwError",
    "Coverage",
    "CoverageStatus",
    "Direction",
    "EnumerationEvent",
    "EvalSemantics",
    "Finding",
    "IfaceClause",
    "IfaceMatch",
    "IfaceTable",
    "Interface",
    "Intervals",
    "Logging",
    "ModelError",
    "Peer",
    "PortError",
    "PortSpec",
    "ProfileSpaces",
    "Rule",
    "RuleSet",
    "Severity",
    "Snapshot",
    "SourceRef",
    "Space",
    "conjoin",
    "epoch_micros",
    "from_epoch_micros",
    "icmp_space",
    "parse_ports",
    "parse_protocol",
    "plain_source",
    "port_range",
    "rule_box",
]  # fmt: skip

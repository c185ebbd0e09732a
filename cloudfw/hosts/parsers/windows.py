"""Windows Defender Firewall: ``Get-NetFirewallProfile`` / ``Get-NetFirewallRule`` JSON (with the
port, address, application, service and interface filters, flattened or nested); the ``netsh``
layouts are read by `windows_netsh` into the same records.

CIM enums are normalized to names: rule ``Enabled`` 1 True / 2 False; ``Direction`` 1 Inbound /
2 Outbound; ``Action`` 2 Allow / 4 Block (0 NotConfigured); ``Profile`` bitmask 0 Any, 1 Domain,
2 Private, 4 Public; profile ``Enabled`` (GpoBoolean) 0 False / 1 True / 2 NotConfigured. Rule
sets are built per profile by `windows_rulesets` with BLOCK_OVERRIDES_ALLOW semantics.

Interfaces: ``InterfaceAlias`` (interface filter, ``Get-NetFirewallInterfaceFilter``) binds a rule
to those interfaces by name; ``InterfaceType`` / netsh ``InterfaceTypes`` other than Any binds it
to the interface groups ``lan`` (Wired, LAN), ``wireless`` and ``ras`` (RemoteAccess, RAS). A rule
record that carries none of the port, address or protocol filters (raw ``Get-NetFirewallRule``
output) is kept with its filters unresolved: never read as "all ports from anywhere".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, WinRule, host_asset, load_json
from cloudfw.hosts.parsers.netifs import CONNECTION_PROFILES, profile_group
from cloudfw.hosts.parsers.netmatch import icmp_from
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    INTERNET,
    PRIVATE,
    Action,
    AddressError,
    AddressSet,
    Direction,
    EvalSemantics,
    IfaceMatch,
    Intervals,
    Logging,
    PortError,
    Rule,
    RuleSet,
    SourceRef,
    conjoin,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.fold import PROFILE_OF

NAME = "windows"
PROFILES = ("Domain", "Private", "Public")
_BITS = {"Domain": 1, "Private": 2, "Public": 4}
_ACTION = {"2": "allow", "4": "block", "0": "notconfigured", "allow": "allow", "block": "block",
           "notconfigured": "notconfigured", "3": "allow", "bypass": "bypass"}  # fmt: skip
_GPO = {"0": "off", "1": "on", "2": "notconfigured", "true": "on", "false": "off",
        "notconfigured": "notconfigured"}  # fmt: skip
_ADDR_WORDS = {"internet": INTERNET, "intranet": PRIVATE, "any": ANY, "*": ANY}
# interface types (CIM InterfaceType enum and bit mask, netsh words) -> interface groups
IFACE_TYPES = {"wired": "lan", "lan": "lan", "1": "lan", "wireless": "wireless", "2": "wireless",
               "remoteaccess": "ras", "ras": "ras", "4": "ras"}  # fmt: skip
# the keys that hold a rule's filters, flattened (collector, CIM), nested, or osquery's columns
_FILTER_KEYS = ("Protocol", "LocalPort", "RemotePort", "LocalAddress", "RemoteAddress",
                "IcmpType", "PortFilter", "AddressFilter", "protocol", "local_ports",
                "remote_addresses")  # fmt: skip
UNCOLLECTED = AddressSet.symbol("unresolved", "windows:filters-not-collected")


def _s(v: object) -> str:
    return str(v).strip().lower() if v is not None else ""


def _items(doc: Any) -> list[Mapping[str, Any]]:
    """PowerShell quirks: one object instead of a list, ``{"value": [...]}``, ``""`` for none."""
    if doc == "" or doc is None:
        return []
    if isinstance(doc, Mapping) and "value" in doc and isinstance(doc["value"], list):
        doc = doc["value"]
    if isinstance(doc, Mapping):
        return [doc]
    if isinstance(doc, list):
        return [x for x in doc if isinstance(x, Mapping)]
    return []


def sniff(data: bytes) -> bool:
    head = data[:8192].decode("utf-8", "replace")
    return ('"DefaultInboundAction"' in head or '"Direction"' in head) and head.lstrip(
        "\ufeff \r\n\t"
    ).startswith(("[", "{"))


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    doc = load_json(data, location)
    part = HostPart(host=host, sources=[location])
    if isinstance(doc, Mapping) and ("profiles" in doc or "rules" in doc):
        profiles, rules = _items(doc.get("profiles")), _items(doc.get("rules"))
    else:
        items = _items(doc)
        profiles = [x for x in items if "DefaultInboundAction" in x]
        rules = [x for x in items if "DefaultInboundAction" not in x]
    for i, p in enumerate(profiles):
        part.facts.update(_profile_facts(p, location, i))
    for i, r in enumerate(rules):
        part.win_rules.append(rule_from_record(r, location, f"[{i}]"))
    bare = sum(w.rule.peers == UNCOLLECTED for w in part.win_rules)
    if bare:
        part.warnings.append(
            f"{location}: {bare} of {len(rules)} Windows firewall rules carry no port, address or "
            "protocol filters (Get-NetFirewallRule without Get-NetFirewall*Filter): what they "
            "allow is unresolved and not judged as exposure; collect them with cloudfw host "
            "collector --platform windows"
        )
    if not profiles and not rules:
        raise HostParseError(location, "no firewall profiles or rules in the JSON document")
    return [part]


def _profile_facts(p: Mapping[str, Any], location: str, i: int) -> dict[str, str]:
    name = str(p.get("Name") or p.get("Profile") or "")
    name = name[:1].upper() + name[1:].lower()
    if name not in _BITS:
        raise HostParseError(location, f"profile [{i}].Name: unknown profile {name!r}")
    pre = f"windows.{name}"
    out = {f"{pre}.enabled": _GPO.get(_s(p.get("Enabled")), "unknown")}
    for key, fact in (
        ("DefaultInboundAction", "default_inbound"),
        ("DefaultOutboundAction", "default_outbound"),
    ):
        out[f"{pre}.{fact}"] = _ACTION.get(_s(p.get(key)), "notconfigured")
    logs = {_GPO.get(_s(p.get(k)), "unknown") for k in ("LogAllowed", "LogBlocked")}
    out[f"{pre}.logging"] = "on" if "on" in logs else "off" if logs <= {"off"} else "unknown"
    return out


def _field(r: Mapping[str, Any], name: str, nested: str) -> Any:
    if name in r:
        return r[name]
    sub = r.get(nested)
    if isinstance(sub, list) and sub:
        sub = sub[0]
    if isinstance(sub, Mapping):
        return sub.get(name)
    return None


def _list(v: Any) -> list[str]:
    if v is None or v == "":
        return []
    if isinstance(v, list):
        return [str(x).strip() for x in v if str(x).strip()]
    return [t.strip() for t in str(v).split(",") if t.strip()]


def _addresses(v: Any) -> tuple[AddressSet, list[str]]:
    toks = _list(v)
    if not toks or any(t.lower() in ("any", "*") for t in toks):
        return ANY, []
    out, notes = AddressSet(), []
    for t in toks:
        word = _ADDR_WORDS.get(t.lower())
        if word is not None:
            out = out | word
        elif re.match(r"^[A-Za-z][A-Za-z0-9]*$", t):
            out = out | AddressSet.symbol("unresolved", f"windows:{t}")
            notes.append(f"address keyword {t}")
        else:
            out = out | AddressSet.parse(t)
    return out, notes


def _ports(v: Any, notes: list[str]) -> Intervals:
    toks = _list(v)
    if not toks or any(t.lower() in ("any", "*") for t in toks):
        return ALL_PORTS
    out = Intervals()
    for t in toks:
        t = "rpcepmap" if t.lower() == "rpc-epmap" else t  # netsh spells it RPC-EPMap
        if t.lower() == "rpc":
            out = out | parse_ports("49152-65535")
            notes.append("RPC dynamic ports")
        elif t.lower() == "rpcepmap":
            out = out | parse_ports("135")
        elif t[:1].isdigit():
            out = out | parse_ports(t)
        else:
            notes.append(f"port keyword {t} not modeled")
            return ALL_PORTS
    return out


def _profiles_mask(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, int):
        return v
    s = str(v)
    if s.isdigit():
        return int(s)
    mask = 0
    for t in re.split(r"[,\s]+", s):
        mask |= _BITS.get(t.capitalize(), 0)
    return mask


def _ifaces(r: Mapping[str, Any]) -> IfaceMatch | None:
    """The interface filter (aliases) and interface type filter of a rule, conjoined."""
    out: IfaceMatch | None = None
    aliases = [a for a in _list(_field(r, "InterfaceAlias", "InterfaceFilter")) if a != "Any"]
    if aliases:
        out = IfaceMatch.of(aliases)
    types = _list(_field(r, "InterfaceType", "InterfaceTypeFilter"))
    if types and not any(t.lower() in ("any", "0") for t in types):
        groups: set[str] = set()
        for t in types:
            word = t.lower().replace(" ", "")
            if word.isdigit():  # the CIM bit mask: 1 Wired, 2 Wireless, 4 RemoteAccess
                groups |= {IFACE_TYPES[b] for b in ("1", "2", "4") if int(word) & int(b)}
            elif word in IFACE_TYPES:
                groups.add(IFACE_TYPES[word])
            else:
                raise PortError(f"unknown interface type {t!r}")
        typed = IfaceMatch.of(f"group:{g}" for g in sorted(groups))
        out = conjoin(out, typed)
    return out


def rule_from_record(
    r: Mapping[str, Any], location: str, rec: str, line: int | None = None
) -> WinRule:
    """One rule record (CIM JSON, flattened or nested filters, osquery row, or a netsh block
    starting at ``line``) -> WinRule."""
    name = str(r.get("Name") or r.get("name") or r.get("DisplayName") or rec)
    ref = (
        SourceRef("file", location, line)
        if line is not None
        else SourceRef("record", location, record=f"{rec} {name}")
    )
    direction = {
        "1": Direction.INGRESS,
        "inbound": Direction.INGRESS,
        "in": Direction.INGRESS,
        "2": Direction.EGRESS,
        "outbound": Direction.EGRESS,
        "out": Direction.EGRESS,
    }.get(_s(r.get("Direction", r.get("direction"))))
    if direction is None:
        raise HostParseError(
            location, f"rule {rec}.Direction: unknown value {r.get('Direction')!r}"
        )
    act = _ACTION.get(_s(r.get("Action", r.get("action"))))
    if act not in ("allow", "block", "bypass"):
        raise HostParseError(location, f"rule {rec}.Action: unknown value {r.get('Action')!r}")
    action = Action.DENY if act == "block" else Action.ALLOW
    if act == "bypass" or (
        action is Action.ALLOW
        and _s(_field(r, "OverrideBlockRules", "SecurityFilter")) in ("true", "1")
    ):
        action = Action.ALLOW_BYPASS
    enabled = _s(r.get("Enabled", r.get("enabled", "1"))) in ("1", "true", "yes")
    notes: list[str] = []
    try:
        proto_raw = _s(_field(r, "Protocol", "PortFilter") or r.get("protocol") or "any")
        proto_raw = {"icmpv4": "icmp", "icmpv6": "icmpv6"}.get(proto_raw, proto_raw)
        protocols = ALL_PROTOCOLS if proto_raw in ("any", "") else parse_protocol(proto_raw)
        local_ports = _ports(_field(r, "LocalPort", "PortFilter") or r.get("local_ports"), notes)
        icmp = _list(_field(r, "IcmpType", "PortFilter") or r.get("icmp_types_codes"))
        if icmp and icmp[0].lower() != "any":
            iv = Intervals()
            for t in icmp:
                got = icmp_from(t.replace(":", "/"))
                if got is None:
                    raise PortError(f"bad ICMP type {t!r}")
                iv = iv | got
            local_ports = iv
        remote, n1 = _addresses(
            _field(r, "RemoteAddress", "AddressFilter") or r.get("remote_addresses")
        )
        local, n2 = _addresses(
            _field(r, "LocalAddress", "AddressFilter") or r.get("local_addresses")
        )
        iface = _ifaces(r)
    except (AddressError, PortError) as exc:
        raise HostParseError(location, f"rule {rec} ({name}): {exc}", line) from None
    notes += n1 + n2
    for key in ("Security", "RemoteMachine", "RemoteUser"):
        if _s(r.get(key)) not in ("", "any", "notrequired"):
            notes.append(f"{key} {r[key]} (not modelled)")
    unresolved = ""
    if not any(k in r for k in _FILTER_KEYS):
        remote, unresolved = UNCOLLECTED, "port, address and protocol filters not in the snapshot"
    targets = set()
    program = str(_field(r, "Program", "ApplicationFilter") or r.get("app_name") or "")
    if program and program.lower() != "any":
        targets.add(f"app:{program}")
    service = str(_field(r, "Service", "ServiceFilter") or r.get("service_name") or "")
    if service and service.lower() not in ("any", "*"):
        targets.add(f"service:{service}")
    if "profile_domain" in r:
        mask = sum(b for p, b in _BITS.items() if _s(r.get(f"profile_{p.lower()}")) == "1")
        mask = 0 if mask == 7 else mask
    else:
        mask = _profiles_mask(r.get("Profile"))
    rule = Rule(
        key=name,
        direction=direction,
        action=action,
        protocols=protocols,
        ports=local_ports
        if direction is Direction.INGRESS
        else _ports(_field(r, "RemotePort", "PortFilter") or r.get("remote_ports"), notes),
        peers=remote,
        local=local,
        enabled=enabled,
        targets=frozenset(targets),
        description="; ".join([str(r.get("DisplayName") or ""), *notes]).strip("; "),
        origin=ref,
        unresolved=unresolved,
        in_iface=iface if direction is Direction.INGRESS else None,
        out_iface=iface if direction is Direction.EGRESS else None,
    )
    return WinRule(mask, rule)


# -- rule sets -------------------------------------------------------------------------------


def _profiles(facts: dict[str, str], rules: list[WinRule]) -> list[str]:
    """The profiles to build: those the snapshot describes, plus any a rule names alone; all
    three when no profile was collected (a rule dump, or a rule for every profile)."""
    seen = {p for p in PROFILES if any(k.startswith(f"windows.{p}.") for k in facts)}
    seen |= {p for p in PROFILES for w in rules if seen and w.profiles & _BITS[p]}
    return [p for p in PROFILES if p in seen] or list(PROFILES)


def windows_rulesets(host: str, facts: dict[str, str], rules: list[WinRule]) -> list[RuleSet]:
    out: list[RuleSet] = []
    for p in _profiles(facts, rules):
        pre = f"windows.{p}"
        tags = {k.removeprefix(pre + "."): v for k, v in facts.items() if k.startswith(pre + ".")}
        if not tags:
            tags = {"settings": "not collected"}
        tags[PROFILE_OF] = f"{host}:windows-firewall"  # the profiles are one firewall
        inbound = tags.get("default_inbound", "notconfigured")
        outbound = tags.get("default_outbound", "notconfigured")
        log = tags.get("logging", "unknown")
        mine = [w.rule for w in rules if w.profiles == 0 or w.profiles & _BITS[p]]
        # with each interface's profile known (Get-NetConnectionProfile), a profile's rules
        # apply only on the interfaces in that profile
        known = CONNECTION_PROFILES in facts
        on = IfaceMatch.of([f"group:{profile_group(p)}"]) if known else None
        ordered = tuple(
            replace(
                r, order=n, in_iface=conjoin(r.in_iface, on), out_iface=conjoin(r.out_iface, on)
            )
            for n, r in enumerate(mine, 1)
        )
        out.append(
            RuleSet(
                asset=host_asset(host, f"windows-firewall:{p}", f"windows-firewall:{p}", tags),
                semantics=EvalSemantics.BLOCK_OVERRIDES_ALLOW,
                rules=ordered,
                default_ingress=Action.ALLOW if inbound == "allow" else Action.DENY,
                default_egress=Action.DENY if outbound == "block" else Action.ALLOW,
                logging=Logging.ON
                if log == "on"
                else Logging.OFF
                if log == "off"
                else Logging.UNKNOWN,
                enabled=tags.get("enabled") != "off",
            )
        )
    return out

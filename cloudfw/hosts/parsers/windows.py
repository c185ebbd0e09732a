"""Windows Defender Firewall: ``Get-NetFirewallProfile`` / ``Get-NetFirewallRule`` JSON (with the
port, address, application and service filters, flattened or nested) and
``netsh advfirewall show allprofiles``.

CIM enums are normalized to names: rule ``Enabled`` 1 True / 2 False; ``Direction`` 1 Inbound /
2 Outbound; ``Action`` 2 Allow / 4 Block (0 NotConfigured); ``Profile`` bitmask 0 Any, 1 Domain,
2 Private, 4 Public; profile ``Enabled`` (GpoBoolean) 0 False / 1 True / 2 NotConfigured. Rule
sets are built per profile by `windows_rulesets` with BLOCK_OVERRIDES_ALLOW semantics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import (
    HostPart,
    WinRule,
    check_lines,
    decode_text,
    host_asset,
    load_json,
)
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
    Intervals,
    Logging,
    PortError,
    Rule,
    RuleSet,
    SourceRef,
    parse_ports,
    parse_protocol,
)

NAME = "windows"
PROFILES = ("Domain", "Private", "Public")
_BITS = {"Domain": 1, "Private": 2, "Public": 4}
_ACTION = {"2": "allow", "4": "block", "0": "notconfigured", "allow": "allow", "block": "block",
           "notconfigured": "notconfigured", "3": "allow"}  # fmt: skip
_GPO = {"0": "off", "1": "on", "2": "notconfigured", "true": "on", "false": "off",
        "notconfigured": "notconfigured"}  # fmt: skip
_ADDR_WORDS = {"internet": INTERNET, "intranet": PRIVATE, "any": ANY, "*": ANY}


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


def rule_from_record(r: Mapping[str, Any], location: str, rec: str) -> WinRule:
    """One rule record (CIM JSON, flattened or nested filters, or osquery row) -> WinRule."""
    name = str(r.get("Name") or r.get("name") or r.get("DisplayName") or rec)
    ref = SourceRef("record", location, record=f"{rec} {name}")
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
    if act not in ("allow", "block"):
        raise HostParseError(location, f"rule {rec}.Action: unknown value {r.get('Action')!r}")
    action = Action.ALLOW if act == "allow" else Action.DENY
    if action is Action.ALLOW and _s(_field(r, "OverrideBlockRules", "SecurityFilter")) in (
        "true",
        "1",
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
    except (AddressError, PortError) as exc:
        raise HostParseError(location, f"rule {rec} ({name}): {exc}") from None
    notes += n1 + n2
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
    )
    return WinRule(mask, rule)


# -- netsh -----------------------------------------------------------------------------------


def sniff_netsh(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace")
    return bool(re.search(r"^(Domain|Private|Public) Profile Settings:", head, re.M))


def parse_netsh(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    facts: dict[str, str] = {}
    profile = ""
    log_on: dict[str, bool] = {}
    for i, line in enumerate(lines, 1):
        s = line.strip()
        m = re.match(r"^(Domain|Private|Public) Profile Settings:", s)
        if m:
            profile = m.group(1)
            continue
        if not s or set(s) == {"-"} or s in ("Ok.", "Logging:"):
            continue
        if not profile:
            raise HostParseError(location, f"netsh output before a profile header: {s[:60]!r}", i)
        parts = s.split(None, 1)
        key, val = parts[0], parts[1].strip() if len(parts) > 1 else ""
        pre = f"windows.{profile}"
        if key == "State":
            facts[f"{pre}.enabled"] = {"on": "on", "off": "off"}.get(val.lower(), "unknown")
        elif key == "Firewall" and val.startswith("Policy"):
            pol = val.split(None, 1)[1] if len(val.split(None, 1)) > 1 else ""
            inbound, _, outbound = pol.partition(",")
            facts[f"{pre}.default_inbound"] = (
                "allow"
                if "allowinbound" in inbound.lower()
                else ("block" if "block" in inbound.lower() else "notconfigured")
            )
            facts[f"{pre}.default_outbound"] = (
                "allow"
                if "allow" in outbound.lower()
                else ("block" if "block" in outbound.lower() else "notconfigured")
            )
        elif key in ("LogAllowedConnections", "LogDroppedConnections"):
            log_on[profile] = log_on.get(profile, False) or val.lower() == "enable"
            facts[f"{pre}.logging"] = "on" if log_on[profile] else "off"
    if not facts:
        raise HostParseError(location, "no profile settings in netsh output")
    return [HostPart(host=host, facts=facts, sources=[location])]


# -- rule sets -------------------------------------------------------------------------------


def windows_rulesets(host: str, facts: dict[str, str], rules: list[WinRule]) -> list[RuleSet]:
    out: list[RuleSet] = []
    for p in PROFILES:
        pre = f"windows.{p}"
        tags = {k.removeprefix(pre + "."): v for k, v in facts.items() if k.startswith(pre + ".")}
        if not tags:
            tags = {"enabled": "unknown"}
        inbound = tags.get("default_inbound", "notconfigured")
        outbound = tags.get("default_outbound", "notconfigured")
        log = tags.get("logging", "unknown")
        mine = [w.rule for w in rules if w.profiles == 0 or w.profiles & _BITS[p]]
        ordered = tuple(replace(r, order=n) for n, r in enumerate(mine, 1))
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

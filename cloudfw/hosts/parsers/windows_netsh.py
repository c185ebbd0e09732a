"""``netsh advfirewall`` text output (English): ``show allprofiles`` (or one profile's
``show domainprofile``) and ``firewall show rule name=all [verbose]``.

Profile blocks (``Domain Profile Settings:``, a row of dashes, 38-wide ``Key  Value`` rows,
``Logging:``, ``Ok.``) become the same facts as ``Get-NetFirewallProfile``; a block without a
``State`` row leaves the profile's state unknown (``firewall-state-unknown``), never "on".

Rule blocks (``Rule Name:`` + dashes + ``Field:  value`` rows, ICMP rules with a ``Type  Code``
table under ``Protocol``, a blank line between rules, ``Ok.`` at the end) become the records
`windows.rule_from_record` reads for ``Get-NetFirewallRule``: one rule model for both. netsh
prints display names, which repeat; the second rule of a name is keyed ``NAME (2)``.
"""

from __future__ import annotations

import re
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, check_lines, decode_text
from cloudfw.hosts.parsers.windows import rule_from_record

_PROFILE = re.compile(r"^(Domain|Private|Public) Profile Settings:")
_RULE = re.compile(r"^Rule Name:\s")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z ]*?):(?:\s+(.*))?$")
# netsh field -> the Get-NetFirewallRule record key it fills
FIELDS = {
    "Rule Name": "DisplayName", "Description": "Description", "Enabled": "Enabled",
    "Direction": "Direction", "Profiles": "Profile", "Grouping": "DisplayGroup",
    "LocalIP": "LocalAddress", "RemoteIP": "RemoteAddress", "Protocol": "Protocol",
    "LocalPort": "LocalPort", "RemotePort": "RemotePort", "Edge traversal": "EdgeTraversal",
    "Program": "Program", "Service": "Service", "InterfaceTypes": "InterfaceType",
    "Security": "Security", "Rule source": "PolicyStoreSource", "Action": "Action",
    "RemoteComputerGroup": "RemoteMachine", "RemoteUserGroup": "RemoteUser",
    "LocalUserGroup": "LocalUser",
}  # fmt: skip
NO_RULES = "No rules match the specified criteria."


def sniff_netsh(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace")
    return bool(re.search(r"^((Domain|Private|Public) Profile Settings:|Rule Name:\s)", head, re.M))


def parse_netsh(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    first = next((s.strip() for s in lines if s.strip()), "")
    if _RULE.match(first) or first == NO_RULES:
        return [_rules(lines, location, host)]
    facts = _profiles(lines, location)
    unknown = [k.split(".")[1] for k, v in sorted(facts.items()) if k.endswith(".enabled")
               and v == "unknown"]  # fmt: skip
    gaps = [f"no State of the {', '.join(unknown)} profile{'s' if len(unknown) > 1 else ''}"]
    return [HostPart(host=host, facts=facts, sources=[location], gaps=gaps if unknown else [])]


def _policy(word: str) -> str:
    w = word.lower()
    return next((a for a in ("allow", "block") if w.startswith(a)), "notconfigured")


def _profiles(lines: list[str], location: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    profile = ""
    for i, line in enumerate(lines, 1):
        s = line.strip()
        m = _PROFILE.match(s)
        if m:
            profile = m.group(1)
            facts.setdefault(f"windows.{profile}.enabled", "unknown")  # until a State row
            continue
        if not s or set(s) == {"-"} or s in ("Ok.", "Logging:"):
            continue
        if not profile:
            raise HostParseError(location, f"netsh output before a profile header: {s[:60]!r}", i)
        key, _, val = re.sub(r"^Firewall Policy\b", "FirewallPolicy", s).partition(" ")
        val, pre = val.strip(), f"windows.{profile}"
        if key == "State":
            facts[f"{pre}.enabled"] = {"on": "on", "off": "off"}.get(val.lower(), "unknown")
        elif key == "FirewallPolicy":
            inbound, _, outbound = val.partition(",")
            facts[f"{pre}.default_inbound"] = _policy(inbound)
            facts[f"{pre}.default_outbound"] = _policy(outbound)
        elif key in ("LogAllowedConnections", "LogDroppedConnections"):
            on = facts.get(f"{pre}.logging") == "on" or val.lower() == "enable"
            facts[f"{pre}.logging"] = "on" if on else "off"
    if not facts:
        raise HostParseError(location, "no profile settings in netsh output")
    return facts


def _rules(lines: list[str], location: str, host: str) -> HostPart:
    part = HostPart(host=host, facts={"windows.rules": "collected"}, sources=[location])
    blocks: list[tuple[int, dict[str, Any]]] = []
    rec: dict[str, Any] | None = None
    last = ""
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s or set(s) == {"-"} or s in ("Ok.", NO_RULES):
            continue
        if line[:1].isspace() and rec is not None and last == "Protocol":
            if not re.match(r"^Type\s+Code$", s):  # ICMP table: "8       Any"
                typ, _, code = s.partition(" ")
                rec.setdefault("IcmpType", []).append(f"{typ}:{code.strip()}")
            continue
        m = _FIELD.match(s)
        if m is None or m.group(1) not in FIELDS:
            raise HostParseError(location, f"not a netsh rule field: {s[:60]!r}", i)
        field, value = m.group(1), (m.group(2) or "").strip()
        if field == "Rule Name":
            rec = {}
            blocks.append((i, rec))
        elif rec is None:
            raise HostParseError(location, f"netsh rule field before 'Rule Name:': {field}", i)
        rec[FIELDS[field]] = value
        last = field
    seen: dict[str, int] = {}
    for line_no, r in blocks:
        _normalize(r, location, line_no)
        name = r["DisplayName"]
        seen[name] = seen.get(name, 0) + 1
        r["Name"] = name if seen[name] == 1 else f"{name} ({seen[name]})"
        part.win_rules.append(rule_from_record(r, location, f"line {line_no}", line_no))
    return part


def _normalize(r: dict[str, Any], location: str, line: int) -> None:
    """netsh words -> the values the CIM records carry."""
    for need in ("Enabled", "Direction", "Action"):
        if need not in r:
            raise HostParseError(location, f"netsh rule without '{need}:'", line)
    r["Enabled"] = {"yes": "True", "no": "False"}.get(r["Enabled"].lower(), r["Enabled"])
    r["Direction"] = {"in": "Inbound", "out": "Outbound"}.get(
        r["Direction"].lower(), r["Direction"]
    )
    r.setdefault("Protocol", "Any")
    icmp = [t.replace(":Any", "") for t in r.get("IcmpType", []) if not t.startswith("Any")]
    if icmp:
        r["IcmpType"] = icmp
    else:
        r.pop("IcmpType", None)

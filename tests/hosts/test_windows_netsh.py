"""Windows Firewall as administrators dump it (issue 13): ``netsh advfirewall firewall show rule
name=all [verbose]`` read into the same rules as ``Get-NetFirewallRule``, profile blocks without
a State row, one-profile output, interface filters and raw rule dumps without their filters."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cloudfw.hosts.assemble import HostState, assemble
from cloudfw.hosts.audit import HostAuditRequest, audit_hosts
from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import detect, parse_file
from cloudfw.model import (
    Action,
    AddressSet,
    Direction,
    IfaceMatch,
    Rule,
    RuleSet,
    Severity,
    icmp_space,
)
from cloudfw.model.ports import parse_ports
from cloudfw.policy.catalog import load_catalog
from cloudfw.policy.config import PolicyConfig
from tests.hosts.test_interfaces import NOW, audit, checks

W = " " * 38  # netsh's value column


def block(**fields: str) -> str:
    """One ``show rule`` block in netsh's layout (38-wide keys, dashes after the name)."""
    out = [f"{'Rule Name:':<38}{fields.pop('name')}", "-" * 70]
    for key, value in fields.items():
        label = {"edge": "Edge traversal", "source": "Rule source"}.get(key, key) + ":"
        out.append(f"{label:<38}{value}".rstrip())
    return "\r\n".join(out) + "\r\n\r\n"


RDP = {
    "name": "Remote Desktop - User Mode (TCP-In)", "Enabled": "Yes", "Direction": "In",
    "Profiles": "Domain,Private,Public", "Grouping": "Remote Desktop", "LocalIP": "Any",
    "RemoteIP": "Any", "Protocol": "TCP", "LocalPort": "3389", "RemotePort": "Any", "edge": "No",
    "Action": "Allow",
}  # fmt: skip


def rules(text: str) -> list[tuple[int, Rule]]:
    (part,) = parse_file(text.encode(), "rules.txt", "w", "netsh")
    return [(w.profiles, w.rule) for w in part.win_rules]


def rulesets(*texts: str) -> list[RuleSet]:
    st = HostState("w")
    for i, t in enumerate(texts):
        for p in parse_file(t.encode(), f"f{i}", "w"):
            st.add(p)
    return assemble(st)


def test_show_rule_is_the_same_rule_as_get_netfirewallrule() -> None:
    text = "\r\n" + block(**RDP) + "Ok.\r\n\r\n"
    fmt = detect(text)
    assert fmt is not None and fmt.name == "netsh"
    ((mask, got),) = rules(text)
    cim = json.dumps([{
        "Name": RDP["name"], "DisplayName": RDP["name"], "Enabled": "True",
        "Direction": "Inbound", "Action": "Allow", "Profile": "Domain, Private, Public",
        "Protocol": "TCP", "LocalPort": ["3389"], "RemotePort": ["Any"], "LocalAddress": ["Any"],
        "RemoteAddress": ["Any"],
    }])  # fmt: skip
    ((want_mask, want),) = [
        (w.profiles, w.rule) for w in parse_file(cim, "r.json", "w")[0].win_rules
    ]
    assert mask == want_mask == 7
    assert replace(got, origin=None) == replace(want, origin=None)
    assert got.origin is not None and got.origin.line == 2


def test_show_rule_fields_icmp_addresses_and_verbose() -> None:
    text = (
        block(
            name="Ping",
            Enabled="Yes",
            Direction="In",
            Profiles="Domain",
            Grouping="",
            LocalIP="Any",
            RemoteIP="LocalSubnet,10.0.0.0/255.0.0.0,192.0.2.1-192.0.2.9",
            Protocol="ICMPv4",
            edge="No",
            Action="Allow",
        ).replace(
            "Protocol:                             ICMPv4\r\n",
            f"Protocol:                             ICMPv4\r\n{W}Type    Code\r\n"
            f"{W}8       Any\r\n{W}3       4\r\n",
        )
        + block(
            name="RPC",
            Description="Inbound rule: endpoint mapper",
            Enabled="No",
            Direction="In",
            Profiles="Private,Public",
            Grouping="",
            LocalIP="Any",
            RemoteIP="Any",
            Protocol="TCP",
            LocalPort="RPC-EPMap",
            RemotePort="Any",
            edge="Defer to user",
            Program="%SystemRoot%\\system32\\svchost.exe",
            Service="RpcEptMapper",
            InterfaceTypes="Wireless,RAS",
            Security="NotRequired",
            source="Local Setting",
            Action="Allow",
        )
        + block(**{**RDP, "Action": "Bypass", "InterfaceTypes": "LAN"})
        + block(**{**RDP, "Direction": "Out", "Action": "Block"})
        + "Ok.\r\n"
    )
    (_, ping), (rpc_mask, rpc), (_, bypass), (_, out) = rules(text)
    assert ping.ports == icmp_space(8, None) | icmp_space(3, 4)
    assert ping.peers == AddressSet.symbol("unresolved", "windows:LocalSubnet") | AddressSet.parse(
        "10.0.0.0/8"
    ) | AddressSet.parse("192.0.2.1-192.0.2.9")
    assert rpc_mask == 6 and not rpc.enabled
    assert rpc.ports == parse_ports("135")
    assert rpc.targets == {"app:%SystemRoot%\\system32\\svchost.exe", "service:RpcEptMapper"}
    assert rpc.in_iface == IfaceMatch.of(["group:ras", "group:wireless"])
    assert bypass.action is Action.ALLOW_BYPASS
    assert bypass.in_iface == IfaceMatch.of(["group:lan"])
    assert out.key == f"{RDP['name']} (2)"  # netsh display names repeat
    assert out.direction is Direction.EGRESS and out.action is Action.DENY


def test_show_rule_rejects_what_it_does_not_know_with_the_line() -> None:
    with pytest.raises(HostParseError, match=r"rules.txt:3: not a netsh rule field: 'Enabeld"):
        rules(block(name="x", Enabeld="Yes", Direction="In", Action="Allow"))
    with pytest.raises(HostParseError, match=r"rules.txt:1: netsh rule without 'Enabled:'"):
        rules(block(name="x", Direction="In", Action="Allow"))
    (part,) = parse_file(b"\r\nNo rules match the specified criteria.\r\n", "r", "w", "netsh")
    assert part.win_rules == [] and part.facts == {"windows.rules": "collected"}


PROFILE = """{p} Profile Settings: \r
----------------------------------------------------------------------\r
{state}Firewall Policy                       BlockInbound,AllowOutbound\r
LocalFirewallRules                    N/A (GPO-store only)\r
\r
Logging:\r
LogAllowedConnections                 Disable\r
LogDroppedConnections                 Enable\r
\r
"""


def test_one_profile_is_one_rule_set() -> None:
    (rs,) = rulesets(
        PROFILE.format(p="Domain", state="State                                 ON\r\n")
    )
    assert rs.asset.resource_type == "windows-firewall:Domain" and rs.enabled


def test_a_profile_without_state_is_unknown_and_incomplete(tmp_path: Path) -> None:
    text = "".join(PROFILE.format(p=p, state="") for p in ("Domain", "Private", "Public"))
    (part,) = parse_file(text.encode(), "n.txt", "w")
    assert part.facts["windows.Public.enabled"] == "unknown"
    assert part.gaps == ["no State of the Domain, Private, Public profiles"]
    host = tmp_path / "w"
    host.mkdir()
    (host / "netsh.txt").write_text(text, encoding="utf-8")
    req = HostAuditRequest((host / "netsh.txt",), PolicyConfig(), load_catalog(), NOW)
    report = audit_hosts(req)
    assert not report.complete  # exit 3: never "clean"
    got = [f for f in report.findings if f.check == "firewall-state-unknown"]
    assert len(got) == 3 and {f.severity for f in got} == {Severity.MEDIUM}


RAW = [{"Name": "RemoteDesktop-UserMode-In-TCP", "DisplayName": "Remote Desktop", "Enabled": 1,
        "Direction": 1, "Action": 2, "Profile": 0, "Group": "@FirewallAPI.dll,-28752"}]  # fmt: skip


def test_raw_rules_without_filters_are_unresolved_not_all_ports(tmp_path: Path) -> None:
    (part,) = parse_file(json.dumps(RAW).encode(), "raw.json", "w")
    (w,) = part.win_rules
    assert w.rule.unresolved == "port, address and protocol filters not in the snapshot"
    assert part.warnings and part.warnings[0].startswith("raw.json: 1 of 1 Windows firewall")
    got = audit(tmp_path, {"rules.json": json.dumps(RAW)})
    assert not [f for f in got if f.check in ("allow-all", "internet-ingress[rdp]")]


def test_interface_alias_and_type_filters_bind_rules(tmp_path: Path) -> None:
    rules_json = [
        {"Name": "sql", "Enabled": "True", "Direction": "Inbound", "Action": "Allow",
         "Profile": "Any", "Protocol": "TCP", "LocalPort": ["1433"], "RemoteAddress": ["Any"],
         "InterfaceAlias": ["Ethernet"], "InterfaceType": "Any"},
        {"Name": "smb", "Enabled": "True", "Direction": "Inbound", "Action": "Allow",
         "Profile": "Any", "Protocol": "TCP", "LocalPort": ["445"], "RemoteAddress": ["Any"],
         "InterfaceAlias": ["Any"], "InterfaceType": "Wired"},
        {"Name": "vnc", "Enabled": "True", "Direction": "Inbound", "Action": "Allow",
         "Profile": "Any", "Protocol": "TCP", "LocalPort": ["5900"], "RemoteAddress": ["Any"],
         "InterfaceAlias": ["Any"], "InterfaceType": "Wireless"},
    ]  # fmt: skip
    ips = [{"InterfaceAlias": "Ethernet", "IPAddress": "10.0.0.5", "PrefixLength": 24},
           {"InterfaceAlias": "Ethernet 2", "IPAddress": "8.8.4.4", "PrefixLength": 24,
            "InterfaceType": 6}]  # fmt: skip
    got = checks(audit(tmp_path, {"rules.json": json.dumps(rules_json),
                                  "ip.json": json.dumps(ips)}))  # fmt: skip
    assert "internet-ingress[mssql]" not in got  # bound to Ethernet, not the public Ethernet 2
    assert "internet-ingress[smb]" in got  # Wired: Ethernet 2 is an Ethernet adapter (ifType 6)
    assert "internet-ingress[vnc]" not in got  # Wireless only
    # an address whose adapter type was not collected may be of any type
    (part,) = parse_file(json.dumps(ips[:1]).encode(), "ip.json", "w")
    assert part.interfaces[0].groups == ("lan", "ras", "wireless")

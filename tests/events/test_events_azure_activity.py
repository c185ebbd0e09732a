"""Azure Activity Log: only operations that change something are changes; an operation's
records fold into one event whose content comes from whichever record carries a body and whose
time is the terminal record's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from events_helpers import events_cli, write_json

SUB = "8f2d1c3b-5a6e-4f70-9b81-2c3d4e5f6a7b"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-web"
NSG = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-web"
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"


def rest(op: str, rid: str, corr: str, status: str, time: str, **props: str) -> dict[str, Any]:
    """A record in the REST / portal JSON shape (LocalizableString values, status.value)."""
    event = {"Started": "BeginRequest"}.get(status, "EndRequest")
    return {
        "authorization": {"action": op, "scope": rid},
        "caller": "ops@contoso.com", "claims": {UPN: "ops@contoso.com"},
        "correlationId": corr, "eventDataId": f"{corr}-{status}",
        "eventName": {"value": event, "localizedValue": event},
        "category": {"value": "Administrative", "localizedValue": "Administrative"},
        "eventTimestamp": time, "httpRequest": {"clientIpAddress": "203.0.113.50"},
        "level": "Informational",
        "operationName": {"value": op, "localizedValue": "Create or Update Security Rule"},
        "properties": props, "resourceId": rid,
        "status": {"value": status, "localizedValue": status},
        "subStatus": {"value": props.get("statusCode", ""), "localizedValue": ""},
        "subscriptionId": SUB,
    }  # fmt: skip


RULE_OP = "Microsoft.Network/networkSecurityGroups/securityRules/write"


def test_reads_and_actions_that_change_nothing_are_not_changes(tmp_path: Path) -> None:
    noise = [
        rest("Microsoft.Network/networkSecurityGroups/read", NSG, "r-1", "Succeeded",
             "2026-11-04T09:00:00Z"),
        rest("Microsoft.Network/networkSecurityGroups/securityRules/read", NSG + "/securityRules/a",
             "r-2", "Succeeded", "2026-11-04T09:00:01Z"),
        rest("Microsoft.Network/networkWatchers/flowLogs/read", "/subscriptions/" + SUB +
             "/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/nw/"
             "flowLogs/fl", "r-3", "Succeeded", "2026-11-04T09:00:02Z"),
        rest("Microsoft.Network/azureFirewalls/learnedIPPrefixes/action", "/subscriptions/" + SUB +
             "/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw", "r-4",
             "Succeeded", "2026-11-04T09:00:03Z"),
        rest("Microsoft.Insights/diagnosticSettings/read", NSG +
             "/providers/microsoft.insights/diagnosticSettings/ds", "r-5", "Succeeded",
             "2026-11-04T09:00:04Z"),
        rest("Microsoft.Network/firewallPolicies/listKeys/action", "/subscriptions/" + SUB +
             "/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/pol", "r-6",
             "Succeeded", "2026-11-04T09:00:05Z"),
    ]  # fmt: skip
    write = rest(
        "Microsoft.Network/networkSecurityGroups/securityRules/delete",
        NSG + "/securityRules/old",
        "w-1",
        "Succeeded",
        "2026-11-04T09:01:00Z",
    )
    docs = events_cli(write_json(tmp_path / "api.json", [*noise, write]))
    assert [d["event_name"] for d in docs] == [RULE_OP.replace("write", "delete").lower()]


def test_body_from_any_record_and_time_from_the_terminal_one(tmp_path: Path) -> None:
    rule = NSG + "/securityRules/ssh-any"
    response = {"name": "ssh-any", "id": rule, "properties": {
        "provisioningState": "Succeeded", "protocol": "TCP", "sourcePortRange": "*",
        "destinationPortRanges": ["22", "2222-2223"], "sourceAddressPrefixes": ["0.0.0.0/1",
        "128.0.0.0/1"], "destinationAddressPrefix": "*", "access": "Allow", "priority": 110,
        "direction": "Inbound"}}  # fmt: skip
    deny = {
        "properties": {
            "protocol": "*",
            "sourceAddressPrefix": "*",
            "access": "Deny",
            "destinationPortRange": "*",
            "direction": "Outbound",
            "destinationAddressPrefix": "Internet",
            "priority": 4000,
        }
    }
    records = [
        # an ARM deployment: no body on Started, the rule in the Succeeded record's responseBody
        rest(RULE_OP, rule, "d-1", "Started", "2026-11-04T10:00:00.1234567Z"),
        rest(RULE_OP, rule, "d-1", "Accepted", "2026-11-04T10:00:01Z", statusCode="Accepted"),
        rest(RULE_OP, rule, "d-1", "Succeeded", "2026-11-04T10:00:09.5Z", statusCode="Created",
             responseBody=json.dumps(response)),
        # the portal: the body on the Accept record, spelt requestBody
        rest(RULE_OP, NSG + "/securityRules/deny-out", "p-1", "Started", "2026-11-04T11:00:00Z"),
        rest(RULE_OP, NSG + "/securityRules/deny-out", "p-1", "Accepted", "2026-11-04T11:00:01Z",
             requestBody=json.dumps(deny)),
        rest(RULE_OP, NSG + "/securityRules/deny-out", "p-1", "Succeeded", "2026-11-04T11:00:04Z",
             statusCode="OK"),
    ]  # fmt: skip
    ssh, out = events_cli(write_json(tmp_path / "api.json", records))
    assert ssh["time"] == "2026-11-04T10:00:09.500000Z" and ssh["action"] == "create"
    assert ssh["direction"] == "ingress" and ssh["rule_action"] == "allow"
    assert ssh["peers"] == ["0.0.0.0/1", "128.0.0.0/1"] and ssh["any_peer"]
    assert [(p["from"], p["to"]) for p in ssh["ports"]] == [(22, 22), (2222, 2223)]
    assert out["time"] == "2026-11-04T11:00:04Z" and out["action"] == "modify"
    assert (out["direction"], out["rule_action"], out["peers"]) == ("egress", "deny", ["Internet"])

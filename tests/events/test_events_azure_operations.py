"""Azure Activity Log operations: one deployment (one correlationId) holds many operations, an
NSG-level write carries its rules, Firewall Policy rule collections are judged by what they do,
and a bad body is reported at the record that carries it. Real files through `cloudfw events`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from events_helpers import events_cli, run_cli, write_json

SUB = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Network"
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"


def export(rid: str, op: str, status: str, t: str, corr: str, props: dict[str, Any],
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    """One record in the storage / Event Hub export shape (upper-cased, as exports write)."""
    return {
        "time": t, "resourceId": rid.upper(), "operationName": op.upper(),
        "category": "Administrative", "resultType": status, "correlationId": corr,
        "callerIpAddress": "198.51.100.40", "identity": {"claims": {UPN: "ops@example.com"}},
        "level": "Information", "location": "global", "properties": props, **extra,
    }  # fmt: skip


def rule_body(port: str, src: str, access: str = "Allow", prio: int = 100,
              direction: str = "Inbound") -> dict[str, Any]:  # fmt: skip
    """An NSG rule; ``src`` is the peer (the destination of an outbound rule)."""
    peer, local = ("sourceAddressPrefix", "destinationAddressPrefix")[
        :: 1 if direction == "Inbound" else -1
    ]
    return {"properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port,
                           peer: src, local: "*", "access": access, "priority": prio,
                           "direction": direction}}  # fmt: skip


def rest(rid: str, op: str, status: str, t: str, corr: str, op_id: str, event_id: str,
         props: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """One record in the REST / `az monitor activity-log list` shape."""
    return {
        "caller": "tf-runner@example.com", "correlationId": corr, "eventDataId": event_id,
        "eventTimestamp": t, "operationId": op_id, "resourceId": rid,
        "operationName": {"value": op, "localizedValue": "Create or Update"},
        "status": {"value": status, "localizedValue": status},
        "subStatus": {"value": props.get("statusCode", ""), "localizedValue": ""},
        "httpRequest": {"clientIpAddress": "203.0.113.61", "method": "PUT"},
        "claims": {UPN: "tf-runner@example.com"}, "properties": props,
    }  # fmt: skip


RULE_WRITE = "Microsoft.Network/networkSecurityGroups/securityRules/write"


def test_operations_sharing_a_correlation_id_are_each_emitted(tmp_path: Path) -> None:
    # a Terraform azurerm apply: one correlationId, one operationId per resource it writes
    corr = "7d1e0000-aaaa-4bbb-8ccc-000000000001"
    recs = []
    for i, (name, port, src) in enumerate((("ssh", "22", "*"), ("rdp", "3389", "Internet"),
                                            ("https", "443", "203.0.113.0/24"))):  # fmt: skip
        rid = f"{RG}/networkSecurityGroups/nsg-app/securityRules/{name}"
        op_id = f"0p{i}00000-1111-4222-8333-44445555666{i}"
        recs.append(rest(rid, RULE_WRITE, "Started", f"2026-11-07T10:00:0{i}Z", corr, op_id,
                         f"e{i}a", {"requestbody": json.dumps(rule_body(port, src))}))  # fmt: skip
        recs.append(rest(rid, RULE_WRITE, "Succeeded", f"2026-11-07T10:00:1{i}Z", corr, op_id,
                         f"e{i}b", {"statusCode": "Created"}))  # fmt: skip
    docs = events_cli(write_json(tmp_path / "tf.json", recs))
    assert [(d["resource_id"].rsplit("/", 1)[-1], d["ports"][0]["from"]) for d in docs] == [
        ("ssh", 22), ("rdp", 3389), ("https", 443)]  # fmt: skip
    assert len({d["event_id"] for d in docs}) == 3
    assert all(d["action"] == "create" and d["time"].startswith("2026-11-07T10:00:1") for d in docs)


def test_export_records_without_an_operation_id_fold_by_resource_and_operation(
    tmp_path: Path,
) -> None:
    corr = "dep-0000-1111"
    recs = []
    for name, port in (("a", "22"), ("b", "3389")):
        rid = f"{RG}/networkSecurityGroups/nsg1/securityRules/{name}"
        body = {"requestbody": json.dumps(rule_body(port, "*"))}
        recs += [export(rid, RULE_WRITE, "Start", "2026-11-07T11:00:00Z", corr, body),
                 export(rid, RULE_WRITE, "Success", "2026-11-07T11:00:05Z", corr,
                        {"statusCode": "Created"})]  # fmt: skip
    # ...and the deployment's other records under the same correlationId are not firewall changes
    recs.append(export(f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft."
                       "Resources/deployments/app", "Microsoft.Resources/deployments/write",
                       "Success", "2026-11-07T11:00:09Z", corr, {"statusCode": "OK"}))  # fmt: skip
    code, out, err = run_cli("events", str(write_json(tmp_path / "x.json", {"records": recs})),
                             "--no-store")  # fmt: skip
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["resource_id"].rsplit("/", 1)[-1] for d in docs] == ["a", "b"]
    assert "5 record(s); emitted 2 change event(s); 0 duplicate(s)" in err


def nsg_rule(name: str, port: str, src: str, access: str, prio: int,
             direction: str = "Inbound") -> dict[str, Any]:  # fmt: skip
    return {"name": name, **rule_body(port, src, access, prio, direction)}


def test_nsg_level_write_reports_each_rule_it_carries(tmp_path: Path) -> None:
    # what an ARM template or Terraform's inline `security_rule` blocks send: the whole NSG
    nsg = f"{RG}/networkSecurityGroups/nsg-web"
    body = {"location": "westeurope", "properties": {"securityRules": [
        nsg_rule("ssh", "22", "*", "Allow", 100),
        nsg_rule("no-rdp", "3389", "*", "Deny", 150),
        nsg_rule("rdp", "3389", "Internet", "Allow", 300),
        nsg_rule("https-out", "443", "Internet", "Allow", 200, "Outbound"),
        nsg_rule("deny-in", "*", "*", "Deny", 4000),
    ]}}  # fmt: skip
    op = "Microsoft.Network/networkSecurityGroups/write"
    recs = [
        export(
            nsg, op, "Start", "2026-11-07T12:00:00Z", "c-nsg", {"requestbody": json.dumps(body)}
        ),
        export(nsg, op, "Success", "2026-11-07T12:00:04Z", "c-nsg", {"statusCode": "OK"}),
    ]
    docs = events_cli(write_json(tmp_path / "nsg.json", {"records": recs}))
    got = {d["resource_id"].rsplit("/", 1)[-1]: d for d in docs}
    assert list(got) == ["ssh", "no-rdp", "rdp", "https-out", "deny-in"]
    assert all(d["resource_id"].startswith(nsg.lower() + "/securityrules/") for d in docs)
    assert all(d["event_name"] == op.lower() for d in docs)
    assert len({d["event_id"] for d in docs}) == 5
    ssh, rdp, out = got["ssh"], got["rdp"], got["https-out"]
    assert (ssh["direction"], ssh["rule_action"], ssh["peers"], ssh["any_peer"]) == (
        "ingress",
        "allow",
        ["*"],
        True,
    )  # a deny of 3389 does not narrow ssh
    assert ssh["ports"] == [{"protocol": "tcp", "from": 22, "to": 22}]
    # rdp from Internet comes after a deny of 3389 from anywhere: it opens nothing
    assert (rdp["rule_action"], rdp["any_peer"]) == ("allow", False)
    assert (out["direction"], out["peers"]) == ("egress", ["Internet"])
    assert (got["deny-in"]["rule_action"], got["deny-in"]["ports"]) == (
        "deny",
        [{"protocol": "tcp", "from": 0, "to": 65535}],
    )


def test_nsg_write_without_rules_is_one_event_for_the_nsg(tmp_path: Path) -> None:
    nsg = f"{RG}/networkSecurityGroups/nsg-tags"
    op = "Microsoft.Network/networkSecurityGroups/write"
    body = {"location": "westeurope", "tags": {"env": "prod"}}
    recs = [
        export(
            nsg, op, "Start", "2026-11-07T12:10:00Z", "c-tags", {"requestbody": json.dumps(body)}
        ),
        export(nsg, op, "Success", "2026-11-07T12:10:04Z", "c-tags", {"statusCode": "OK"}),
    ]
    (doc,) = events_cli(write_json(tmp_path / "tags.json", {"records": recs}))
    assert (doc["resource_id"], doc["peers"], doc["ports"]) == (nsg.lower(), [], [])


RCG_WRITE = "Microsoft.Network/firewallPolicies/ruleCollectionGroups/write"


def rcg(corr: str, t: str, collections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rid = f"{RG}/firewallPolicies/fp-hub/ruleCollectionGroups/{corr}"
    body = {"properties": {"priority": 300, "ruleCollections": collections}}
    return [export(rid, RCG_WRITE, "Start", f"2026-11-07T13:{t}:00Z", corr,
                   {"requestbody": json.dumps(body)}),
            export(rid, RCG_WRITE, "Success", f"2026-11-07T13:{t}:09Z", corr,
                   {"statusCode": "OK"})]  # fmt: skip


def collection(kind: str, name: str, prio: int, action: str,
               rules: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    return {"ruleCollectionType": f"FirewallPolicy{kind}RuleCollection", "name": name,
            "priority": prio, "action": {"type": action}, "rules": rules}  # fmt: skip


def test_firewall_policy_collections_report_what_they_do(tmp_path: Path) -> None:
    dnat = collection("Nat", "publish", 100, "DNAT", [
        {"ruleType": "NatRule", "name": "rdp", "ipProtocols": ["TCP"], "sourceAddresses": ["*"],
         "destinationAddresses": ["20.61.0.10"], "destinationPorts": ["53389"],
         "translatedAddress": "10.40.2.4", "translatedPort": "3389"}])  # fmt: skip
    apps = collection("Filter", "web-out", 400, "Allow", [
        {"ruleType": "ApplicationRule", "name": "updates", "sourceAddresses": ["10.40.0.0/16"],
         "protocols": [{"protocolType": "Https", "port": 443}, {"protocolType": "Http"}],
         "targetFqdns": ["*.ubuntu.com"]}])  # fmt: skip
    mixed = [
        collection("Filter", "deny-all", 100, "Deny", [
            {"ruleType": "NetworkRule", "name": "d", "ipProtocols": ["Any"],
             "sourceAddresses": ["*"], "destinationAddresses": ["*"], "destinationPorts": ["*"]}]),
        collection("Filter", "ssh", 200, "Allow", [
            {"ruleType": "NetworkRule", "name": "a", "ipProtocols": ["TCP"],
             "sourceAddresses": ["0.0.0.0/0"], "destinationAddresses": ["*"],
             "destinationPorts": ["22"]}]),
    ]  # fmt: skip
    recs = rcg("g-dnat", "00", [dnat]) + rcg("g-apps", "01", [apps]) + rcg("g-mixed", "02", mixed)
    got = {d["resource_id"].rsplit("/", 1)[-1]: d
           for d in events_cli(write_json(tmp_path / "fp.json", {"records": recs}))}  # fmt: skip
    d = got["g-dnat"]  # DNAT publishes the translated port to its sources: an opening
    assert (d["rule_action"], d["direction"], d["peers"], d["any_peer"]) == (
        "allow",
        "ingress",
        ["*"],
        True,
    )
    assert d["ports"] == [{"protocol": "tcp", "from": 3389, "to": 3389}]
    a = got["g-apps"]  # application rules: outbound to FQDNs on their protocols' ports
    assert (a["rule_action"], a["direction"], a["peers"]) == ("allow", "egress", ["*.ubuntu.com"])
    assert a["ports"] == [{"protocol": "tcp", "from": 443, "to": 443},
                          {"protocol": "tcp", "from": 80, "to": 80}]  # fmt: skip
    m = got["g-mixed"]  # the deny collection (priority 100) is evaluated before the allow
    assert (m["rule_action"], m["peers"], m["any_peer"]) == ("allow", ["0.0.0.0/0"], False)


def test_a_bad_body_is_reported_at_the_record_that_carries_it(tmp_path: Path) -> None:
    rid = f"{RG}/networkSecurityGroups/nsg1/securityRules/cut"
    whole = json.dumps(rule_body("22", "*"))
    recs = [export(rid, RULE_WRITE, "Start", "2026-11-07T14:00:00Z", "c-cut",
                   {"requestbody": whole[:40]}),
            export(rid, RULE_WRITE, "Success", "2026-11-07T14:00:05Z", "c-cut",
                   {"statusCode": "OK"})]  # fmt: skip
    path = write_json(tmp_path / "cut.json", {"records": recs})
    code, _, err = run_cli("events", str(path), "--no-store")
    assert code == 3
    assert f"{path}#0: properties.requestbody: invalid embedded JSON" in err
    assert f"{path}#1" not in err


def test_a_body_encoded_twice_is_read(tmp_path: Path) -> None:
    rid = f"{RG}/networkSecurityGroups/nsg1/securityRules/twice"
    recs = [export(rid, RULE_WRITE, "Start", "2026-11-07T14:10:00Z", "c-2",
                   {"requestbody": json.dumps(json.dumps(rule_body("22", "*")))}),
            export(rid, RULE_WRITE, "Success", "2026-11-07T14:10:05Z", "c-2",
                   {"statusCode": "OK"})]  # fmt: skip
    (doc,) = events_cli(write_json(tmp_path / "twice.json", {"records": recs}))
    assert (doc["peers"], doc["any_peer"]) == (["*"], True)

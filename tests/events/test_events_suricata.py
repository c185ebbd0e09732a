"""Suricata rule strings in AWS Network Firewall changes: negated addresses mean "any except",
and every valid port form parses. Real CloudTrail files through `cloudfw events` / `audit`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events_helpers import audit_findings, events_cli, run_cli, write_json
from test_events_aws_services import NFW, nfw

HTTPS_ONLY = """\
version: 1
approved:
  - id: https
    match: {provider: aws}
    rules: [{direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0"]}]
"""


def group(name: str, rules: str, **variables: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"rulesSource": {"rulesString": rules}}
    if variables:
        body["ruleVariables"] = variables
    return nfw("UpdateRuleGroup", {"ruleGroupArn": f"{NFW}:stateful-rulegroup/{name}",
                                   "type": "STATEFUL", "ruleGroup": body})  # fmt: skip


HOME = {"ipSets": {"HOME_NET": {"definition": ["10.0.0.0/16"]}}}


def test_a_negated_source_means_any_except(tmp_path: Path) -> None:
    recs = [
        group("neg-home", "pass tcp !$HOME_NET any -> $HOME_NET 22 (sid:1;)"),
        group("neg-list", "pass tcp [!10.0.0.0/8] any -> $HOME_NET 22 (sid:2;)"),
        group("external", "pass tcp $EXTERNAL_NET any -> $HOME_NET 22 (sid:3;)"),
        group("defined", "pass tcp !$HOME_NET any -> $HOME_NET 22 (sid:4;)", **HOME),
        group("office", "pass tcp [20.50.0.0/24, !20.50.0.128/25] any -> $HOME_NET 22 (sid:5;)"),
    ]
    path = write_json(tmp_path / "trail.json", {"Records": recs})
    got = {d["resource_id"].rsplit("/", 1)[-1]: d for d in events_cli(path)}
    assert got["neg-home"]["peers"] == ["0.0.0.0/0", "::/0"]  # $HOME_NET: not in the log
    assert got["external"]["peers"] == got["neg-home"]["peers"]  # Suricata's default
    assert got["neg-list"]["peers"][:3] == ["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8"]
    assert "10.1.0.0/16" in got["defined"]["peers"] and "10.0.0.0/16" not in got["defined"]["peers"]
    for name in ("neg-home", "neg-list", "external", "defined"):
        assert got[name]["any_peer"] is True, name
        assert not any(p.startswith("!") for p in got[name]["peers"]), name
    assert (got["office"]["peers"], got["office"]["any_peer"]) == (["20.50.0.0/25"], False)
    found = audit_findings(tmp_path, path, HTTPS_ONLY, "aws:111122223333",
                           "unexpectedly-authorized")  # fmt: skip
    assert sorted(str(f["resource_id"]).rsplit("/", 1)[-1] for f in found) == [
        "defined", "external", "neg-home", "neg-list", "office"]  # fmt: skip
    assert {str(f["resource_id"]).rsplit("/", 1)[-1]: f["severity"] for f in found}["office"] == (
        "medium"
    )


def test_every_suricata_port_form_parses(tmp_path: Path) -> None:
    ports = {"portSets": {"SSH_PORTS": {"definition": ["22", "2222"]}}}
    recs = [
        group("not-22", "pass tcp any any -> $HOME_NET !22 (sid:1;)"),
        group("list", "pass tcp any any -> $HOME_NET [80,443] (sid:2;)"),
        group("open-range", "pass tcp any any -> $HOME_NET [1024:] (sid:3;)"),
        group("below", "pass udp any any -> $HOME_NET :1023 (sid:4;)"),
        group("any", "pass tcp any any -> $HOME_NET any (sid:5;)"),
        group("var", "pass tcp any any -> $HOME_NET $SSH_PORTS (sid:6;)", **ports),
        group("nested", "pass tcp any any -> $HOME_NET [1:100,![22,80]] (sid:7;)"),
        group("undefined", "pass tcp any any -> $HOME_NET $WEB_PORTS (sid:8;)"),
    ]
    path = write_json(tmp_path / "trail.json", {"Records": recs})
    code, _, err = run_cli("events", str(path), "--no-store")
    assert code == 0, err
    got = {d["resource_id"].rsplit("/", 1)[-1]: [(p["protocol"], p["from"], p["to"])
                                                  for p in d["ports"]]
           for d in events_cli(path)}  # fmt: skip
    assert got["not-22"] == [("tcp", 0, 21), ("tcp", 23, 65535)]
    assert got["list"] == [("tcp", 80, 80), ("tcp", 443, 443)]
    assert got["open-range"] == [("tcp", 1024, 65535)]
    assert got["below"] == [("udp", 0, 1023)]
    assert got["any"] == [("tcp", 0, 65535)]
    assert got["var"] == [("tcp", 22, 22), ("tcp", 2222, 2222)]
    assert got["nested"] == [("tcp", 1, 21), ("tcp", 23, 79), ("tcp", 81, 100)]
    assert got["undefined"] == [("tcp", None, None)]  # a variable the log does not define


def test_a_body_cloudtrail_hides_is_not_an_error(tmp_path: Path) -> None:
    hidden = nfw("UpdateRuleGroup", {"ruleGroupArn": f"{NFW}:stateful-rulegroup/h",
                                     "type": "STATEFUL",
                                     "ruleGroup": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                     "rules": "HIDDEN_DUE_TO_SECURITY_REASONS"})  # fmt: skip
    (doc,) = events_cli(write_json(tmp_path / "trail.json", {"Records": [hidden]}))
    assert (doc["action"], doc["peers"], doc["ports"]) == ("modify", [], [])

"""Rule order, event time and peer spelling: App Engine evaluates ingress rules by priority
(whatever the list order), an operation's time is when it completed (GCP `last` entry, Azure
terminal record), and peers come out as the tokens they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events_helpers import events_cli, write_json
from test_events_bad_input import ct_record
from test_events_gcp_shapes import APP, PROJECT, entry, fw


def batch(n: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return entry("google.appengine.v1.Firewall.BatchUpdateIngressRules", APP,
                 {"name": APP, "ingressRules": rules}, n)  # fmt: skip


def test_app_engine_rules_are_evaluated_by_priority(tmp_path: Path) -> None:
    deny_half = {"priority": 1, "action": "DENY", "sourceRange": "0.0.0.0/1"}
    allow_all = {"priority": 1000, "action": "ALLOW", "sourceRange": "0.0.0.0/0"}
    default = {"priority": 2147483647, "action": "DENY", "sourceRange": "*"}
    docs = events_cli(write_json(tmp_path / "gae.json", [
        batch(1, [allow_all, deny_half, default]),
        batch(2, [default, deny_half, allow_all]),
        batch(3, [{**deny_half, "priority": 5}, {**allow_all, "priority": "1"}]),
    ]))  # fmt: skip
    # 0.0.0.0/0 less 0.0.0.0/1 (evaluated first) is under half of the public IPv4 space
    assert [d["any_peer"] for d in docs] == [False, False, True]
    assert all(d["rule_action"] == "allow" for d in docs)


def test_a_gcp_operation_takes_its_completed_entrys_time(tmp_path: Path) -> None:
    body = {"name": "web", "alloweds": [{"IPProtocol": "tcp", "ports": ["443"]}],
            "sourceRanges": ["0.0.0.0/0"]}  # fmt: skip
    first = {**entry("v1.compute.firewalls.insert", fw("web"), body, 1),
             "operation": {"id": "operation-1", "first": True}}  # fmt: skip
    last = {**entry("v1.compute.firewalls.insert", fw("web"), {}, 4),
            "operation": {"id": "operation-1", "last": True}}  # fmt: skip
    (doc,) = events_cli(write_json(tmp_path / "op.json", [last, first]))
    assert doc["time"] == "2026-11-06T08:04:00.123456Z" and doc["peers"] == ["0.0.0.0/0"]
    assert doc["account"] == PROJECT


def test_peers_are_printed_stripped(tmp_path: Path) -> None:
    rec = ct_record(1)
    rec["requestParameters"]["ipPermissions"]["items"][0]["ipRanges"]["items"] = [
        {"cidrIp": " 0.0.0.0/0 "}, {"cidrIp": "10.0.0.0/8"}, {"cidrIp": "0.0.0.0/0"}]  # fmt: skip
    (doc,) = events_cli(write_json(tmp_path / "trail.json", {"Records": [rec]}))
    assert doc["peers"] == ["0.0.0.0/0", "10.0.0.0/8"]

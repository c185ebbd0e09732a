"""The changed rule's effect (`rule_action`) appears in every events output, and event findings
label their traffic as every other finding does."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from events_helpers import FIXTURES, empty_snapshot, events_cli, run_cli, write_json

from cloudfw.events.serialize import FIELDS

DENY_ALL = {
    "insertId": "ins-9", "timestamp": "2026-11-06T09:00:00Z",
    "resource": {"type": "gce_firewall_rule", "labels": {"project_id": "p"}},
    "protoPayload": {"methodName": "v1.compute.firewalls.insert",
                     "resourceName": "projects/p/global/firewalls/deny-all",
                     "authenticationInfo": {"principalEmail": "sec@example.com"},
                     "request": {"name": "deny-all", "priority": "100",
                                 "denieds": [{"IPProtocol": "all"}],
                                 "sourceRanges": ["0.0.0.0/0"]}},
}  # fmt: skip


def test_rule_action_in_jsonl_csv_table_and_ocsf(tmp_path: Path) -> None:
    path = write_json(tmp_path / "deny.json", [DENY_ALL])
    (doc,) = events_cli(path)
    assert FIELDS[-1] == "rule_action" and tuple(doc) == FIELDS
    assert doc["rule_action"] == "deny" and doc["any_peer"]
    code, out, _ = run_cli("events", str(path), "--no-store", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows[0]["rule_action"] == "deny"
    code, out, _ = run_cli("events", str(path), "--no-store", "--format", "table")
    head, _, row = out.splitlines()[:3]
    assert code == 0 and "rule" in head.split() and " deny " in f" {row} "
    code, out, _ = run_cli("events", str(path), "--no-store", "--format", "ocsf")
    assert code == 0 and json.loads(out)["unmapped"]["cloudfw"]["rule_action"] == "deny"


def test_audit_table_labels_event_traffic_like_any_finding(tmp_path: Path) -> None:
    baseline = tmp_path / "prod.yaml"
    baseline.write_text("version: 1\napproved: []\n")
    code, out, err = run_cli("audit", "--snapshot",
                             str(empty_snapshot(tmp_path, "aws:111122223333:us-east-1")),
                             "--events",
                             str(FIXTURES / "aws" / "trail"), "--baseline", str(baseline),
                             "--no-store", "--format", "table")  # fmt: skip
    assert code in (0, 1), err
    lines = [ln for ln in out.splitlines() if "unexpectedly-authorized" in ln]
    assert lines and all("tcp/tcp:" not in ln for ln in lines)
    assert any(" tcp/22 " in f" {ln} " for ln in lines)

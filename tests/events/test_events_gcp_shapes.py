"""GCP Audit Log shapes: the API's default source on an insert with no source, App Engine
firewall rules (content, effect, delete), and what `audit --events` makes of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from events_helpers import empty_snapshot, events_cli, run_cli, write_json

PROJECT = "acme-prod-4821"


def entry(method: str, resource: str, request: dict[str, Any], n: int = 1) -> dict[str, Any]:
    service = "appengine" if "appengine" in method else "compute"
    return {
        "insertId": f"ins-{n}", "timestamp": f"2026-11-06T08:0{n}:00.123456Z",
        "logName": f"projects/{PROJECT}/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "gce_firewall_rule" if service == "compute" else "gae_app",
                     "labels": {"project_id": PROJECT}},
        "severity": "NOTICE",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": f"{service}.googleapis.com", "methodName": method,
            "resourceName": resource,
            "authenticationInfo": {"principalEmail": "dev@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.30",
                                "callerSuppliedUserAgent": "google-cloud-sdk gcloud/480.0.0"},
            "request": request,
        },
    }  # fmt: skip


def fw(name: str) -> str:
    return f"projects/{PROJECT}/global/firewalls/{name}"


INSERT_NO_SOURCE = entry("v1.compute.firewalls.insert", fw("allow-http"), {
    "@type": "type.googleapis.com/compute.firewalls.insert", "name": "allow-http",
    "network": f"projects/{PROJECT}/global/networks/default", "direction": "INGRESS",
    "priority": "1000", "alloweds": [{"IPProtocol": "tcp", "ports": ["80"]}]})  # fmt: skip


def test_insert_without_source_is_the_apis_default_any_ipv4(tmp_path: Path) -> None:
    tagged = entry("v1.compute.firewalls.insert", fw("from-web"), {
        "name": "from-web", "alloweds": [{"IPProtocol": "tcp", "ports": ["5432"]}],
        "sourceTags": ["web"]}, 2)  # fmt: skip
    patch = entry(
        "v1.compute.firewalls.patch",
        fw("allow-http"),
        {"name": "allow-http", "alloweds": [{"IPProtocol": "tcp", "ports": ["80", "443"]}]},
        3,
    )
    egress = entry(
        "v1.compute.firewalls.insert",
        fw("out"),
        {"name": "out", "direction": "EGRESS", "denieds": [{"IPProtocol": "all"}]},
        4,
    )
    path = write_json(tmp_path / "audit.json", [INSERT_NO_SOURCE, tagged, patch, egress])
    docs = events_cli(path)
    by_name = {d["resource_id"].rsplit("/", 1)[-1]: d for d in docs if d["action"] == "create"}
    assert by_name["allow-http"]["peers"] == ["0.0.0.0/0"] and by_name["allow-http"]["any_peer"]
    assert by_name["from-web"]["peers"] == ["tag:web"] and not by_name["from-web"]["any_peer"]
    # a patch changes only the fields it names: no source in it says nothing about the source
    (patched,) = [d for d in docs if d["event_name"].endswith("patch")]
    assert patched["peers"] == [] and not patched["any_peer"]
    assert by_name["out"]["peers"] == ["0.0.0.0/0"] and by_name["out"]["direction"] == "egress"
    assert by_name["out"]["rule_action"] == "deny"


def test_audit_events_raises_unexpectedly_authorized_for_the_default_source(
    tmp_path: Path,
) -> None:
    audit = write_json(tmp_path / "audit.json", [INSERT_NO_SOURCE])
    baseline = tmp_path / "prod.yaml"
    baseline.write_text(
        "version: 1\napproved:\n  - id: https\n    match: {provider: gcp}\n"
        '    rules: [{direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0"]}]\n'
    )
    snap = empty_snapshot(tmp_path, f"gcp:{PROJECT}")
    args = ["--snapshot", str(snap), "--events", str(audit), "--baseline", str(baseline)]
    code, out, err = run_cli("audit", *args, "--no-store", "--format", "json")
    assert code in (0, 1), err
    found = [f for f in json.loads(out)["findings"] if f["check"] == "unexpectedly-authorized"]
    assert [f["resource_id"] for f in found] == [fw("allow-http")]
    assert found[0]["severity"] == "high" and found[0]["peers"] == ["0.0.0.0/0"]


APP = f"apps/{PROJECT}/firewall/ingressRules"


def test_app_engine_firewall_rules_content_effect_and_delete(tmp_path: Path) -> None:
    create = entry(
        "google.appengine.v1.Firewall.CreateIngressRule",
        f"{APP}/100",
        {
            "@type": "type.googleapis.com/google.appengine.v1.CreateIngressRuleRequest",
            "parent": f"apps/{PROJECT}",
            "rule": {"priority": 100, "action": "ALLOW", "sourceRange": "0.0.0.0/0"},
        },
        1,
    )
    deny_all = entry(
        "google.appengine.v1.Firewall.UpdateIngressRule",
        f"{APP}/default",
        {
            "@type": "type.googleapis.com/google.appengine.v1.UpdateIngressRuleRequest",
            "name": f"{APP}/default",
            "updateMask": "action",
            "rule": {"priority": 2147483647, "action": "DENY", "sourceRange": "*"},
        },
        2,
    )
    delete = entry("google.appengine.v1.Firewall.DeleteIngressRule", f"{APP}/100", {
        "@type": "type.googleapis.com/google.appengine.v1.DeleteIngressRuleRequest",
        "name": f"{APP}/100"}, 3)  # fmt: skip
    docs = events_cli(write_json(tmp_path / "gae.json", [create, deny_all, delete]))
    assert [(d["action"], d["rule_action"]) for d in docs] == [
        ("create", "allow"),
        ("modify", "deny"),
        ("delete", ""),
    ]
    assert docs[0]["peers"] == ["0.0.0.0/0"] and docs[0]["any_peer"]
    assert docs[0]["direction"] == "ingress" and docs[1]["peers"] == ["*"]
    assert {(p["protocol"], p["from"]) for p in docs[0]["ports"]} == {("tcp", 80), ("tcp", 443)}

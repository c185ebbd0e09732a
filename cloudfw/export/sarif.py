"""SARIF 2.1.0 for GitHub code scanning: rules = checks, results = findings.

Findings are about cloud resources, not source files, so each result carries *logical* locations
(provider > account > region > resource > rule) and no physical location. Suppressed findings are
kept, with a SARIF ``suppressions`` entry naming the baseline exception. The message text has its
CIDR lists written by the peer renderer (cut after ``PEER_LIMIT`` with "+N more"); the result's
``properties.peers`` keeps the exact list.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudfw.export.cells import message_text
from cloudfw.model import Finding, Severity
from cloudfw.model.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFO_URI = "https://github.com/cloudfw/cloudfw"
#: CIDRs listed in a message's peer list before "+N more"
PEER_LIMIT = 8

#: SARIF result level and GitHub's numeric security-severity (0-10) per cloudfw severity.
LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}
SECURITY_SEVERITY = {
    Severity.INFO: "0.0",
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.0",
    Severity.HIGH: "8.0",
    Severity.CRITICAL: "9.5",
}


def _rule(f: Finding) -> dict[str, Any]:
    text = f.risk or message_text(f, PEER_LIMIT)
    rule: dict[str, Any] = {
        "id": f.check,
        "name": f.check,
        "shortDescription": {"text": f.check},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {
            "severity": f.severity.label,
            "security-severity": SECURITY_SEVERITY[f.severity],
            "techniques": list(f.techniques),
            "compliance": list(f.compliance),
            "tags": ["security", "firewall", *f.techniques],
        },
    }
    if f.remediation:
        rule["help"] = {"text": f.remediation}
    return rule


def _locations(f: Finding) -> list[dict[str, Any]]:
    a = f.asset
    parts = [
        ("provider", "namespace", a.provider),
        ("account", "namespace", a.account),
        ("region", "namespace", a.region),
        ("resource", "resource", a.resource_id),
    ]
    logical: list[dict[str, Any]] = []
    path: list[str] = []
    for _, kind, value in parts:
        if not value:
            continue
        path.append(value)
        logical.append({"name": value, "fullyQualifiedName": "/".join(path), "kind": kind})
    logical.extend(
        {"name": key, "fullyQualifiedName": "/".join([*path, key]), "kind": "member"}
        for key in f.rule_keys
    )
    return [{"logicalLocations": logical, "message": {"text": a.label()}}]


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    a = f.asset
    res: dict[str, Any] = {
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": message_text(f, PEER_LIMIT)},
        "locations": _locations(f),
        "partialFingerprints": {"cloudfwFindingKey/v1": f.key},
        "properties": {
            "severity": f.severity.label,
            "provider": a.provider,
            "account": a.account,
            "region": a.region,
            "resource_type": a.resource_type,
            "resource_id": a.resource_id,
            "rule_ids": list(f.rule_keys),
            "direction": f.direction,
            "protocol": f.protocol,
            "ports": f.ports,
            "peers": list(f.peers),
        },
    }
    if f.suppressed_by:
        res["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.suppressed_by}
        ]
    return res


def sarif_log(report: Report) -> dict[str, Any]:
    findings = (*report.findings, *report.suppressed)
    rules: dict[str, dict[str, Any]] = {}
    for f in sorted(findings, key=lambda f: f.check):
        rules.setdefault(f.check, _rule(f))
    index = {check: i for i, check in enumerate(rules)}
    failed = [c for c in report.coverage if not c.ok]
    invocation: dict[str, Any] = {
        "executionSuccessful": report.complete,
        "endTimeUtc": report.generated_at.isoformat().replace("+00:00", "Z"),
    }
    if failed:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"incomplete: {c.scope}: {c.reason}"}}
            for c in failed
        ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cloudfw",
                        "version": report.tool_version,
                        "informationUri": INFO_URI,
                        "rules": list(rules.values()),
                    }
                },
                "invocations": [invocation],
                "results": [_result(f, index[f.check]) for f in findings],
                "properties": {"snapshot_digest": report.snapshot_digest},
            }
        ],
    }


def render_sarif(report: Report) -> str:
    return orjson.dumps(sarif_log(report), option=orjson.OPT_INDENT_2).decode() + "\n"

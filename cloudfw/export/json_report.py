"""The JSON report: the contract pipelines consume (schema ``cloudfw.report/1``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from cloudfw.model import Finding
from cloudfw.model.report import Report
from cloudfw.model.serde import coverage_to_dict

REPORT_SCHEMA = "cloudfw.report/1"


def finding_to_dict(f: Finding) -> dict[str, Any]:
    a = f.asset
    d: dict[str, Any] = {
        "check": f.check,
        "severity": f.severity.label,
        "provider": a.provider,
        "account": a.account,
        "region": a.region,
        "resource_type": a.resource_type,
        "resource_id": a.resource_id,
        "resource_name": a.name,
        "rule_id": f.rule_keys[0] if f.rule_keys else "",
        "rule_ids": list(f.rule_keys),
        "direction": f.direction,
        "protocol": f.protocol,
        "ports": f.ports,
        "peers": list(f.peers),
        "message": f.message,
        "techniques": list(f.techniques),
        "compliance": list(f.compliance),
        "risk": f.risk,
        "remediation": f.remediation,
        "evidence": dict(f.evidence),
        "key": f.key,
    }
    if f.suppressed_by:
        d["suppressed_by"] = f.suppressed_by
    return d


def report_to_dict(report: Report) -> dict[str, Any]:
    by_check = Counter(f.base_check for f in report.findings)
    by_provider = Counter(f.asset.provider for f in report.findings)
    doc: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "tool_version": report.tool_version,
        "generated_at": report.generated_at.isoformat(),
        "snapshot_digest": report.snapshot_digest,
        "baseline": report.baseline,
        "complete": report.complete,
        "summary": {
            "findings": len(report.findings),
            "suppressed": len(report.suppressed),
            "by_severity": report.counts(),
            "by_check": dict(sorted(by_check.items())),
            "by_provider": dict(sorted(by_provider.items())),
            "rulesets": report.rulesets,
            "rules": report.rules,
        },
        "coverage": [coverage_to_dict(c) for c in report.coverage],
        "findings": [finding_to_dict(f) for f in report.findings],
        "suppressed": [finding_to_dict(f) for f in report.suppressed],
        "warnings": list(report.warnings),
    }
    doc.update(report.extra)
    return doc


def render_json(report: Report) -> str:
    opts = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(report_to_dict(report), option=opts).decode() + "\n"

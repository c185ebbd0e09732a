"""OCSF 1.x events: Compliance Finding (2003) for posture findings, Detection Finding (2004) for
host telemetry detections, API Activity (6003) for firewall change events.

Pure mappings to JSON-ready dicts. Every posture finding keeps the whole cloudfw JSON contract
(`finding_to_dict`) under ``unmapped.cloudfw`` so nothing is lost in translation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from cloudfw.export.json_report import finding_to_dict
from cloudfw.model import ChangeEvent, EnumerationEvent, Finding, Severity
from cloudfw.model.change import ChangeAction
from cloudfw.model.report import Report

if TYPE_CHECKING:
    from cloudfw.telemetry.detection import Detection

OCSF_VERSION = "1.5.0"
FINDINGS_CATEGORY = (2, "Findings")
COMPLIANCE_FINDING = (2003, "Compliance Finding")
DETECTION_FINDING = (2004, "Detection Finding")
API_ACTIVITY = (6003, "API Activity")
APPLICATION_CATEGORY = (6, "Application Activity")

SEVERITY_ID: Mapping[Severity, int] = {
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
SEVERITY_NAME = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

#: API Activity activity_id: 1 Create, 2 Read, 3 Update, 4 Delete.
API_ACTIVITY_ID: Mapping[ChangeAction, tuple[int, str]] = {
    ChangeAction.AUTHORIZE: (1, "Create"),
    ChangeAction.CREATE: (1, "Create"),
    ChangeAction.MODIFY: (3, "Update"),
    ChangeAction.DISABLE_LOGGING: (3, "Update"),
    ChangeAction.REVOKE: (4, "Delete"),
    ChangeAction.DELETE: (4, "Delete"),
}
#: OCSF account type_id: 10 AWS Account, 6 Azure AD Account, 5 GCP Account, 0 Unknown.
ACCOUNT_TYPE = {
    "aws": (10, "AWS Account"),
    "azure": (6, "Azure AD Account"),
    "gcp": (5, "GCP Account"),
}


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _metadata(version: str, uid: str, event_code: str) -> dict[str, Any]:
    return {
        "version": OCSF_VERSION,
        "uid": uid,
        "event_code": event_code,
        "product": {"name": "cloudfw", "vendor_name": "cloudfw", "version": version},
    }


def _attacks(techniques: Iterable[str]) -> list[dict[str, Any]]:
    return [{"technique": {"uid": t, "name": t}, "version": "19"} for t in techniques]


def _severity(sev: Severity) -> dict[str, Any]:
    sid = SEVERITY_ID[sev]
    return {"severity_id": sid, "severity": SEVERITY_NAME[sid]}


def compliance_finding(f: Finding, report: Report) -> dict[str, Any]:
    """One posture finding as an OCSF Compliance Finding (class 2003, activity Create)."""
    a = f.asset
    suppressed = bool(f.suppressed_by)
    labels = [f"{k}={v}" for k, v in a.tags]
    resource: dict[str, Any] = {
        "uid": a.resource_id,
        "name": a.name or a.resource_id,
        "type": a.resource_type,
        "region": a.region,
        "data": {
            "provider": a.provider,
            "account": a.account,
            "parent": a.parent,
            "rule_ids": list(f.rule_keys),
            "direction": f.direction,
            "protocol": f.protocol,
            "ports": f.ports,
            "peers": list(f.peers),
        },
    }
    if labels:
        resource["labels"] = labels
    doc: dict[str, Any] = {
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": FINDINGS_CATEGORY[0],
        "category_name": FINDINGS_CATEGORY[1],
        "class_uid": COMPLIANCE_FINDING[0],
        "class_name": COMPLIANCE_FINDING[1],
        "type_uid": COMPLIANCE_FINDING[0] * 100 + 1,
        "type_name": f"{COMPLIANCE_FINDING[1]}: Create",
        **_severity(f.severity),
        "status_id": 3 if suppressed else 1,
        "status": "Suppressed" if suppressed else "New",
        "message": f.message,
        "time": _ms(report.generated_at),
        "metadata": _metadata(report.tool_version, f.key, f.check),
        "finding_info": {
            "uid": f.key,
            "title": f"{f.check}: {a.label()}",
            "desc": f.risk or f.message,
            "types": [f.base_check],
            "created_time": _ms(report.generated_at),
        },
        "compliance": {
            "control": f.check,
            "requirements": list(f.compliance),
            "status_id": 3,
        },
        "resources": [resource],
        "unmapped": {"cloudfw": finding_to_dict(f)},
    }
    if suppressed:
        doc["status_detail"] = f"suppressed by baseline exception {f.suppressed_by}"
    if f.techniques:
        doc["finding_info"]["attacks"] = _attacks(f.techniques)
    if f.remediation:
        doc["remediation"] = {"desc": f.remediation}
    return doc


def ocsf_findings(report: Report) -> list[dict[str, Any]]:
    """Open findings (status New), then suppressed ones (status Suppressed)."""
    return [compliance_finding(f, report) for f in (*report.findings, *report.suppressed)]


def render_ocsf(report: Report) -> str:
    return orjson.dumps(ocsf_findings(report), option=orjson.OPT_INDENT_2).decode() + "\n"


def detection_finding(det: Detection, version: str, now: datetime) -> dict[str, Any]:
    """A host telemetry detection as an OCSF Detection Finding (class 2004)."""
    when = det.time or now
    data: dict[str, Any] = {
        "analytic": det.analytic,
        "data_component": det.data_component,
        "platform": det.platform,
        "source": str(det.source),
        "pid": det.pid,
        "ppid": det.ppid,
        "user": det.user,
        "exe": det.exe,
        "parent": det.parent,
        "cmdline": det.cmdline,
        "command": det.command,
        "via": list(det.via),
    }
    uid = f"{det.rule_id}:{det.host}:{det.source}"
    doc: dict[str, Any] = {
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": FINDINGS_CATEGORY[0],
        "category_name": FINDINGS_CATEGORY[1],
        "class_uid": DETECTION_FINDING[0],
        "class_name": DETECTION_FINDING[1],
        "type_uid": DETECTION_FINDING[0] * 100 + 1,
        "type_name": f"{DETECTION_FINDING[1]}: Create",
        **_severity(det.severity),
        "status_id": 3 if det.suppressed_by else 1,
        "status": "Suppressed" if det.suppressed_by else "New",
        "message": det.reason,
        "time": _ms(when),
        "metadata": _metadata(version, uid, det.rule_id),
        "finding_info": {
            "uid": uid,
            "title": det.reason,
            "types": [det.category],
            "data_sources": [det.data_component],
        },
        "resources": [{"uid": det.host, "name": det.host, "type": "host", "data": data}],
        "evidences": [{"data": dict(e)} for e in det.evidence],
    }
    if det.techniques:
        doc["finding_info"]["attacks"] = _attacks(det.techniques)
    return doc


def ocsf_detection(
    detections: Iterable[Detection], version: str, now: datetime
) -> Iterator[dict[str, Any]]:
    """Detection Findings (2004), one per detection; ``now`` stands in for a missing time."""
    return (detection_finding(d, version, now) for d in detections)


def api_read(ev: EnumerationEvent, version: str) -> dict[str, Any]:
    """A firewall enumeration record as an OCSF API Activity: Read (class 6003, activity 2),
    the caller's user agent in ``http_request.user_agent``."""
    change = ChangeEvent(
        ev.provider, ev.account, ev.region, ev.time, ChangeAction.MODIFY, ev.event_name,
        ev.resource_id, principal=ev.principal, source_ip=ev.source_ip, success=ev.success,
        error_code=ev.error_code, event_id=ev.event_id,
    )  # fmt: skip
    doc = api_activity(change, version, (2, "Read"))
    doc["unmapped"] = {"cloudfw": {"action": "enumerate"}}
    if ev.user_agent:
        doc["http_request"] = {"user_agent": ev.user_agent}
    return doc


def api_activity(
    ev: ChangeEvent, version: str, activity: tuple[int, str] | None = None
) -> dict[str, Any]:
    """A firewall change event as an OCSF API Activity (class 6003)."""
    aid, aname = activity or API_ACTIVITY_ID.get(ev.action, (99, "Other"))
    type_id, type_name = ACCOUNT_TYPE.get(ev.provider, (0, "Unknown"))
    uid = ev.event_id or f"{ev.provider}:{ev.event_name}:{ev.resource_id}:{_ms(ev.time)}"
    response: dict[str, Any] = {}
    if ev.error_code:
        response = {"error": ev.error_code}
    doc: dict[str, Any] = {
        "activity_id": aid,
        "activity_name": aname,
        "category_uid": APPLICATION_CATEGORY[0],
        "category_name": APPLICATION_CATEGORY[1],
        "class_uid": API_ACTIVITY[0],
        "class_name": API_ACTIVITY[1],
        "type_uid": API_ACTIVITY[0] * 100 + aid,
        "type_name": f"{API_ACTIVITY[1]}: {aname}",
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 1 if ev.success else 2,
        "status": "Success" if ev.success else "Failure",
        "time": _ms(ev.time),
        "metadata": _metadata(version, uid, ev.event_name),
        "actor": {"user": {"name": ev.principal, "uid": ev.principal}},
        "api": {"operation": ev.event_name, "response": response}
        if response
        else {"operation": ev.event_name},
        "cloud": {
            "provider": ev.provider,
            "region": ev.region,
            "account": {
                "uid": ev.account,
                "name": ev.account,
                "type_id": type_id,
                "type": type_name,
            },
        },
        "src_endpoint": {"ip": ev.source_ip} if ev.source_ip else {},
        "resources": [{"uid": ev.resource_id, "name": ev.resource_id}],
        "unmapped": {
            "cloudfw": {
                "action": ev.action.value,
                "direction": ev.direction,
                "peers": list(ev.peers),
                "any_peer": ev.any_peer,
                "ports": [
                    {"protocol": p.protocol, "from": p.from_port, "to": p.to_port} for p in ev.ports
                ],
                "rule_action": ev.rule_action,
            }
        },
    }
    if ev.error_code:
        doc["status_code"] = ev.error_code
    return doc


def ocsf_api_activity(
    events: Iterable[ChangeEvent | EnumerationEvent], version: str
) -> Iterator[dict[str, Any]]:
    """API Activity events (6003), streamed: one dict per change event or enumeration record."""
    return (
        api_read(ev, version) if isinstance(ev, EnumerationEvent) else api_activity(ev, version)
        for ev in events
    )


def to_jsonl(doc: Mapping[str, Any]) -> bytes:
    return orjson.dumps(doc) + b"\n"

"""A detection as an OCSF 1.1 Detection Finding (class 2004). Pure mapping, no I/O."""

from __future__ import annotations

from typing import Any

from cloudfw.model import Severity
from cloudfw.telemetry.detection import Detection

_SEVERITY_ID = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4,
                Severity.CRITICAL: 5}  # fmt: skip


def to_ocsf(det: Detection, version: str = "0.1.0") -> dict[str, Any]:
    d = det.to_dict()
    out: dict[str, Any] = {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "activity_id": 1,
        "type_uid": 200401,
        "severity_id": _SEVERITY_ID[det.severity],
        "severity": det.severity.label.capitalize(),
        "status_id": 1,
        "message": det.reason,
        "metadata": {"version": "1.1.0", "product": {"name": "cloudfw", "version": version}},
        "finding_info": {
            "uid": f"{det.rule_id}:{det.source}",
            "title": det.reason,
            "types": [det.category],
            "analytic": {"uid": det.analytic, "name": det.rule_id, "type_id": 1},
            "attacks": [{"technique": {"uid": t}} for t in det.techniques],
        },
        "device": {"hostname": det.host, "type_id": 0},
        "unmapped": {"data_component": det.data_component, "source": d["source"]},
    }
    if det.time is not None:
        out["time"] = int(det.time.timestamp() * 1000)
    if det.pid is not None or det.cmdline:
        out["process"] = {"pid": det.pid, "cmd_line": det.cmdline, "file": {"path": det.exe}}
    if det.evidence:
        out["evidences"] = [{"data": e} for e in d["evidence"]]
    return out

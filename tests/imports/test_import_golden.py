"""Golden files: each importer's fixtures (in the shapes the vendor tools print) -> snapshot ->
audit findings, coverage and warnings (CLOUDFW_UPDATE_GOLDEN=1 to accept a change)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from import_support import FIXTURES, GOLDEN, ROOT, comparable, findings, imported

from cloudfw.model import Snapshot
from cloudfw.snapshotio import digest, read_snapshot, write_snapshot

AZ_CLI = FIXTURES / "azure-cli"
GCP = ROOT / "fixtures" / "gcp"
CASES: dict[str, list[Path]] = {
    "aws-cli": [FIXTURES / "aws-cli"],
    "aws-config": [FIXTURES / "aws-config" / "AWSLogs"],
    "aws-config-select": [FIXTURES / "aws-config" / "select-aggregate-security-groups.json"],
    "azure-cli": [AZ_CLI],
    "azure-resource-graph": [FIXTURES / "azure-resource-graph"],
    "gcloud": [GCP / "projects" / "demo-proj", GCP / "hierarchical",
               GCP / "resourcemanager" / "folders.json"],
    "gcp-asset-inventory": [FIXTURES / "gcp-asset-inventory" / "export.jsonl"],
}  # fmt: skip


def summary(snap: Snapshot) -> dict[str, Any]:
    rel = str(ROOT) + "/"
    return {
        "coverage": [
            [c.scope.replace(rel, ""), c.status.value, c.reason.replace(rel, ""), c.resources]
            for c in snap.coverage
        ],
        "warnings": [w.replace(rel, "") for w in snap.warnings],
        "findings": [
            [f["check"], f["severity"], f["account"], f["region"], f["resource_id"],
             f["rule_id"], f["direction"], f["ports"], f["peers"]]
            for f in findings(snap)
        ],
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    got = summary(imported(*(p.relative_to(ROOT) for p in CASES[case])))
    path = GOLDEN / f"{case}.json"
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(path.read_text()), f"{case} changed; CLOUDFW_UPDATE_GOLDEN=1 to accept"
    assert got["findings"], "every fixture set has something to find"


def test_each_file_is_detected_as_its_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    expected = {"aws-cli": "aws-cli", "aws-config": "aws-config", "azure-cli": "azure-cli",
                "azure-resource-graph": "azure-resource-graph", "gcloud": "gcloud",
                "gcp-asset-inventory": "gcp-asset-inventory",
                "aws-config-select": "aws-config"}  # fmt: skip
    for case, paths in CASES.items():
        snap = imported(*(p.relative_to(ROOT) for p in paths))
        files = [c for c in snap.coverage if c.scope.startswith("file:")]
        assert files
        for c in files:
            assert c.reason.startswith(expected[case] + ":"), (case, c)


def test_aws_config_gives_the_findings_of_the_cli_export() -> None:
    """Same estate, two exports: only the rule ids differ (Config records none)."""
    ids = ("rule_id", "rule_ids", "key", "message", "evidence")
    cli = comparable(findings(imported(FIXTURES / "aws-cli")), *ids)
    config = comparable(findings(imported(FIXTURES / "aws-config" / "AWSLogs")), *ids)
    assert sorted(map(repr, config)) == sorted(map(repr, cli))


def test_history_keeps_the_latest_capture_and_drops_deleted_resources() -> None:
    snap = imported(FIXTURES / "aws-config" / "AWSLogs")
    groups = {rs.asset.resource_id: rs for rs in snap.rulesets}
    assert "sg-0a1b2c3d4e5f609ff" not in groups  # ResourceDeleted
    web = groups["sg-0a1b2c3d4e5f60101"]  # the older capture had no ingress rules
    assert sum(r.direction.value == "ingress" for r in web.rules) == 3


def test_import_snapshot_round_trips_with_the_same_digest(tmp_path: Path) -> None:
    snap = imported(FIXTURES / "gcp-asset-inventory" / "export.jsonl")
    out = tmp_path / "snap.json.gz"
    write_snapshot(snap, out)
    back = read_snapshot(out)
    assert digest(back) == digest(snap)
    assert findings(back) == findings(snap)


def test_history_across_files_keeps_one_latest_item(tmp_path: Path) -> None:
    """A ConfigHistory file with a later capture of the web group than the snapshot's."""
    snap_file = next((FIXTURES / "aws-config" / "AWSLogs").rglob("*.json.gz"))
    items = json.loads(gzip.decompress(snap_file.read_bytes()))["configurationItems"]
    web = next(i for i in items if i["resourceId"] == "sg-0a1b2c3d4e5f60101")
    later = web | {"configurationItemCaptureTime": "2026-12-02T06:00:00.000Z",
                   "configuration": web["configuration"] | {"ipPermissions": []}}  # fmt: skip
    history = tmp_path / "123456789012_Config_us-east-1_ConfigHistory_AWS::EC2::SecurityGroup.json"
    history.write_text(json.dumps({"fileVersion": "1.0", "configurationItems": [later]}))
    snap = imported(FIXTURES / "aws-config" / "AWSLogs", history)
    webs = [rs for rs in snap.rulesets if rs.asset.resource_id == "sg-0a1b2c3d4e5f60101"]
    assert len(webs) == 1
    assert not [r for r in webs[0].rules if r.direction.value == "ingress"]

"""`cloudfw audit --events`: findings say who opened the rule, and changes meet the baseline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Rule,
    RuleSet,
    Snapshot,
    parse_ports,
    parse_protocol,
)
from cloudfw.snapshotio import write_snapshot

ROOT = Path(__file__).resolve().parents[2]
TRAIL = ROOT / "fixtures" / "events" / "aws"
_register_all()


def _snapshot(tmp_path: Path) -> Path:
    asset = Asset("aws", "111122223333", "us-east-1", "security-group", "sg-0a1b2c3d4e5f60001")
    rule = Rule(
        "sgr-1",
        Direction.INGRESS,
        Action.ALLOW,
        parse_protocol("tcp"),
        parse_ports("22"),
        AddressSet.parse_many(["0.0.0.0/0", "::/0"]),
    )
    cov = Coverage("aws", "aws:111122223333:us-east-1", CoverageStatus.OK, resources=1)
    snap = Snapshot(
        (RuleSet(asset, EvalSemantics.ALLOW_UNION, (rule,)),),
        (cov,),
        datetime(2026, 11, 5, tzinfo=UTC),
        "test",
    )
    path = tmp_path / "snap.json"
    write_snapshot(snap, path)
    return path


def test_finding_carries_the_change_that_opened_it(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "audit",
            "--snapshot",
            str(_snapshot(tmp_path)),
            "--events",
            str(TRAIL),
            "--no-store",
            "--format",
            "json",
        ],
    )
    doc = json.loads(res.stdout)
    ssh = next(f for f in doc["findings"] if f["check"] == "internet-ingress[ssh]")
    change = ssh["evidence"]["change"]
    assert change["who"] == "arn:aws:iam::111122223333:user/alice"
    assert change["event_name"] == "AuthorizeSecurityGroupIngress"
    assert change["from"] == "198.51.100.23" and change["when"].startswith("2026-11-02")
    assert "cloudfw: events:" in res.stderr


def test_unreadable_event_file_makes_the_audit_incomplete(tmp_path: Path) -> None:
    bad = tmp_path / "trail.json"
    bad.write_text('{"Records": [{"eventName": "AuthorizeSecurityGroupIngress", ')
    res = CliRunner().invoke(
        app, ["audit", "-s", str(_snapshot(tmp_path)), "-e", str(bad), "--no-store", "-f", "json"]
    )
    assert res.exit_code == 3
    doc = json.loads(res.stdout)
    assert any(c["provider"] == "events" and c["status"] == "error" for c in doc["coverage"])

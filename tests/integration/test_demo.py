"""`cloudfw demo` (what `make demo` runs): a complete audit of the local stand-ins."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app

ROOT = Path(__file__).resolve().parents[2]
_register_all()


def test_demo_prints_table_and_writes_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "must-not-be-used")
    before = dict(os.environ)
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.stderr
    assert dict(os.environ) == before, "the demo restores the environment"
    out = res.stdout
    for needle in (
        "internet-ingress[ssh]",
        "allow-all",
        "unlogged",
        "unexpectedly-authorized",
        "revoked",
        "SEVERITY",
    ):
        assert needle in out, needle
    doc = json.loads((tmp_path / "demo-report.json").read_text())
    # the demo estate is complete, so the audit in CI exits 1 (findings at fail_on), and says so
    gaps = [c["scope"] for c in doc["coverage"] if c["status"] != "ok"]
    assert doc["complete"] is True and gaps == []
    assert "INCOMPLETE" not in out
    assert "exits 1:" in res.stderr and "at or above fail_on high" in res.stderr
    assert "cloudfw demo --with-failure" in res.stderr
    providers = doc["summary"]["by_provider"]
    assert {"aws", "azure", "gcp", "host"} <= providers.keys()
    vpcs = [f for f in doc["findings"] if f["check"] == "unlogged" and f["resource_type"] == "vpc"]
    assert vpcs, "a VPC without flow logs is reported"
    assert (tmp_path / "demo-snapshot.json").stat().st_size > 0


def test_demo_with_failure_shows_exit_3_and_the_audit_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--with-failure"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tmp_path / "demo-report.json").read_text())
    gaps = [c["scope"] for c in doc["coverage"] if c["status"] != "ok"]
    assert len(gaps) == 1 and "linux-db-02" in gaps[0]
    assert "exits 3:" in res.stderr and "3 wins over 1" in res.stderr
    # what the demo says the audit would do, the audit does
    audit = CliRunner().invoke(app, [
        "audit", "--snapshot", str(tmp_path / "demo-snapshot.json"),
        "-b", "policies/demo-baseline.yaml", "--no-store",
    ])  # fmt: skip
    assert audit.exit_code == 3, audit.stderr

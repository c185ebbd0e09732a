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
    # the recorded Linux bundle carries a source its collector could not read: the one gap
    gaps = [c["scope"] for c in doc["coverage"] if c["status"] != "ok"]
    assert doc["complete"] is False and len(gaps) == 1 and "linux-web-01" in gaps[0]
    assert "INCOMPLETE" in out
    providers = doc["summary"]["by_provider"]
    assert {"aws", "azure", "gcp", "host"} <= providers.keys()
    vpcs = [f for f in doc["findings"] if f["check"] == "unlogged" and f["resource_type"] == "vpc"]
    assert vpcs, "a VPC without flow logs is reported"
    assert (tmp_path / "demo-snapshot.json").stat().st_size > 0

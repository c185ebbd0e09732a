"""`cloudfw evidence export|verify`: bundle contents, manifest, tamper detection, redaction."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import typer
from events_helpers import FIXTURES
from typer.testing import CliRunner

from cloudfw.cli.events import register


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


@pytest.fixture
def bundle(app: typer.Typer, tmp_path: Path) -> Path:
    findings = tmp_path / "findings.json"
    secret = {"check": "internet-ingress[ssh]", "note": "Bearer abcdefghijklmnop.qrstuv"}
    findings.write_text(json.dumps({"schema": "cloudfw.report/1", "findings": [secret]}))
    base = tmp_path / "prod.yaml"
    base.write_text("version: 1\n")
    out = tmp_path / "q4"
    res = CliRunner().invoke(app, [
        "evidence", "export", "--since", "2026-11-01", "--until", "2026-11-05",
        "--events", str(FIXTURES / "aws" / "trail"), "--events", str(FIXTURES / "azure"),
        "--findings", str(findings), "--baseline", str(base), "--out", str(out),
        "--store", str(tmp_path / "no-history.sqlite"),
    ])  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return out


def test_export_writes_every_file_with_its_digest(bundle: Path) -> None:
    names = sorted(p.name for p in bundle.iterdir())
    assert names == ["baseline.yaml", "changes.csv", "changes.jsonl", "findings.json",
                     "manifest.json", "raw-records.jsonl", "review-summary.html",
                     "review-summary.json"]  # fmt: skip
    m = json.loads((bundle / "manifest.json").read_text())
    assert m["schema"] == "cloudfw.evidence/1" and m["tool_version"]
    assert m["window"] == {"since": "2026-11-01T00:00:00Z", "until": "2026-11-05T00:00:00Z"}
    assert len(m["inputs"]) == 4 and m["coverage"]["complete"] is True
    for name, entry in m["files"].items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == entry["sha256"]
    changes = (bundle / "changes.jsonl").read_text().splitlines()
    csv_rows = (bundle / "changes.csv").read_text().splitlines()
    assert len(changes) == len(csv_rows) - 1 == m["counts"]["changes"] > 0
    times = [json.loads(c)["time"] for c in changes]
    assert all("2026-11-01" <= t < "2026-11-05" for t in times)
    assert {json.loads(c)["provider"] for c in changes} == {"aws", "azure"}


def test_raw_records_and_findings_are_redacted(bundle: Path) -> None:
    raw = (bundle / "raw-records.jsonl").read_text()
    assert "ASIAEXAMPLEKEY000001" not in raw and '"accessKeyId":"[REDACTED]"' in raw
    first = json.loads(raw.splitlines()[0])
    assert first["source"].endswith(("#1", "#0")) and "eventName" in first["record"]
    assert "abcdefghijklmnop" not in (bundle / "findings.json").read_text()


def test_verify_intact(app: typer.Typer, bundle: Path) -> None:
    res = CliRunner().invoke(app, ["evidence", "verify", str(bundle)])
    assert res.exit_code == 0 and "intact" in res.stderr


@pytest.mark.parametrize("tamper", ["edit", "add", "remove", "edit-manifest"])
def test_verify_detects_tampering(app: typer.Typer, bundle: Path, tamper: str) -> None:
    if tamper == "edit":
        p = bundle / "changes.csv"
        p.write_text(p.read_text().replace("alice", "bob__"))
        want = "changes.csv: edited"
    elif tamper == "add":
        (bundle / "notes.txt").write_text("hello")
        want = "notes.txt: added"
    elif tamper == "remove":
        (bundle / "findings.json").unlink()
        want = "findings.json: removed"
    else:
        m = json.loads((bundle / "manifest.json").read_text())
        m["window"]["until"] = "2027-01-01T00:00:00Z"
        (bundle / "manifest.json").write_text(json.dumps(m))
        want = "manifest.json: manifest-edited"
    res = CliRunner().invoke(app, ["evidence", "verify", str(bundle)])
    assert res.exit_code == 1
    assert want in res.stderr


def test_export_refuses_a_non_empty_dir_and_verify_a_non_bundle(
    app: typer.Typer, bundle: Path, tmp_path: Path
) -> None:
    res = CliRunner().invoke(app, ["evidence", "export", "--since", "2026-11-01", "--until",
                                   "2026-11-05", "--out", str(bundle)])  # fmt: skip
    assert res.exit_code == 2 and "not empty" in res.stderr
    res = CliRunner().invoke(app, ["evidence", "verify", str(tmp_path)])
    assert res.exit_code == 2 and "not an evidence bundle" in res.stderr


def test_export_with_unreadable_input_is_incomplete(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.json").write_text('{"Records": [')
    res = CliRunner().invoke(app, ["evidence", "export", "--since", "2026-01-01", "--until",
                                   "2027-01-01", "--events", str(tmp_path / "in"),
                                   "--out", str(tmp_path / "b"),
                                   "--store", str(tmp_path / "none.sqlite")])  # fmt: skip
    assert res.exit_code == 3
    m = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert m["coverage"]["complete"] is False and "bad.json" in m["coverage"]["problems"][0]

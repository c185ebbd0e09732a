"""End to end through the CLI: moto scenarios -> `cloudfw audit` -> the JSON contract.

boto3 talks real HTTP to moto's server on 127.0.0.1; every `expect:` / `expect_absent:` entry of
moto_fixtures/scenarios must hold against policies/demo-baseline.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.standins import moto, nfw

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "moto_fixtures" / "scenarios"
BASELINE = ROOT / "policies" / "demo-baseline.yaml"
CONTRACT = {
    "check",
    "severity",
    "provider",
    "account",
    "region",
    "resource_type",
    "resource_id",
    "rule_id",
    "direction",
    "protocol",
    "ports",
    "peers",
    "message",
    "techniques",
    "compliance",
}

_register_all()
runner = CliRunner()


@pytest.fixture(scope="module")
def estate() -> Iterator[tuple[str, dict[str, str], str]]:
    server = moto.start()
    firewalls: nfw.NfwStandin | None = None
    try:
        ids = moto.seed(server.endpoint, SCENARIOS)
        firewalls = nfw.NfwStandin(nfw.seed(server.endpoint, SCENARIOS, ids)).start()
        yield server.endpoint, ids, firewalls.endpoint
    finally:
        if firewalls is not None:
            firewalls.stop()
        server.stop()


@pytest.fixture
def aws_env(
    monkeypatch: pytest.MonkeyPatch, estate: tuple[str, dict[str, str], str]
) -> dict[str, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", estate[0])
    monkeypatch.setenv("AWS_ENDPOINT_URL_NETWORK_FIREWALL", estate[2])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return estate[1]


def _audit(*args: str) -> tuple[int, dict[str, Any], str]:
    res = runner.invoke(
        app,
        [
            "audit",
            "--provider",
            "aws",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--format",
            "json",
            *args,
        ],
    )
    doc = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    return res.exit_code, doc, res.stderr


def test_scenario_expectations_hold(aws_env: dict[str, str]) -> None:
    code, doc, _ = _audit("--baseline", str(BASELINE))
    assert code == 1, "high findings present: exit 1"
    assert doc["schema"] == "cloudfw.report/1" and doc["complete"] is True
    produced = doc["findings"] + doc["suppressed"]  # a suppressed finding was still produced
    got = {(f["check"], f["resource_id"]) for f in produced}
    got |= {(f["check"].split("[")[0], f["resource_id"]) for f in produced}
    # one rule folded over several services (internet-ingress[ftp,ssh,telnet]) exposes each
    got |= {
        (f"{f['check'].split('[')[0]}[{s['service']}]", f["resource_id"])
        for f in produced
        for s in f["evidence"].get("services") or []
        if isinstance(s, dict)
    }
    muted = {f["check"] for f in doc["suppressed"] if "SEC-123" in f["suppressed_by"]}
    assert "internet-ingress[ssh]" in muted, "the bastion exception (until 2027-06-30) mutes SSH"
    failures = []
    for sc in moto.load_scenarios(SCENARIOS):
        for e in sc.expectations:
            rid = aws_env[e.resource]
            if e.present != ((e.check, rid) in got):
                failures.append(f"{sc.name}: {e.check} on {e.resource} ({rid}) present={e.present}")
    assert not failures, "\n".join(failures)
    for f in doc["findings"]:
        assert f.keys() >= CONTRACT
        if not f["check"].endswith("-rule"):  # hygiene checks are not attack techniques
            assert f["techniques"], f"{f['check']} carries ATT&CK ids"
    assert {c["scope"].split(":")[-1] for c in doc["coverage"]} == {"us-east-1", "eu-west-1"}


def test_fail_on_threshold_and_table(aws_env: dict[str, str]) -> None:
    res = runner.invoke(
        app,
        [
            "audit",
            "-p",
            "aws",
            "-r",
            "us-east-1",
            "--fail-on",
            "critical",
            "--baseline",
            str(BASELINE),
        ],
    )
    assert res.exit_code in (0, 1)
    assert "SEVERITY" in res.stdout and "Coverage: 1 of 1 scopes read." in res.stdout


def test_unreachable_endpoint_is_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, doc, _ = _audit()
    assert code == 3
    assert doc["complete"] is False
    bad = [c for c in doc["coverage"] if c["status"] == "error"]
    assert bad and all(c["reason"] for c in bad)


def test_region_that_always_errors_is_listed(aws_env: dict[str, str]) -> None:
    code, doc, _ = _audit("--region", "xx-fake-1")
    assert code == 3
    failed = {c["scope"]: c["reason"] for c in doc["coverage"] if c["status"] == "error"}
    assert any(s.endswith("xx-fake-1") for s in failed), failed
    assert all(r for r in failed.values())


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("version: 1\napproved: [\n", "bad.yaml:"),
        ("version: 1\npolicy: {checks: {no-such-check: {}}}\n", "no-such-check"),
        (
            "version: 1\napproved:\n  - id: a\n    match: {provider: aws}\n    rules:\n"
            "      - {direction: ingress, protocol: tcp, ports: '70000', peers: [0.0.0.0/0]}\n",
            "bad.yaml:6",
        ),
        (
            "version: 1\napproved:\n  - id: a\n    match: {provider: aws}\n    rules:\n"
            "      - {direction: ingress, protocol: tcp, ports: '22', peers: [10.0.0.300/8]}\n",
            "peers",
        ),
        ("version: one\n", "version"),
    ],
)
def test_bad_baseline_is_one_line_exit_2(tmp_path: Path, text: str, needle: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    res = runner.invoke(app, ["audit", "--snapshot", str(tmp_path / "x.json"), "-b", str(bad)])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cloudfw: error: ")
    assert needle in lines[0] and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"schema": "cloudfw.snapshot/1", "rulesets": [', "line 1: invalid JSON"),
        (
            '{"schema": "cloudfw.snapshot/1", "collected_at": "2026-01-01T00:00:00+00:00", '
            '"rulesets": [{"asset": 5}]}',
            "$.rulesets[0].asset",
        ),
        ("\x00\x01garbage", "invalid JSON"),
    ],
)
def test_bad_snapshot_is_one_line_exit_2(tmp_path: Path, text: str, needle: str) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text(text)
    res = runner.invoke(app, ["audit", "--snapshot", str(snap)])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and str(snap) in lines[0]


def test_collect_then_audit_snapshot(aws_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "snap.json.gz"
    res = runner.invoke(app, ["collect", "aws", "-r", "eu-west-1", "--out", str(out)])
    assert res.exit_code == 0 and out.exists(), res.stderr
    code, doc, _ = (lambda r: (r.exit_code, json.loads(r.stdout), r.stderr))(
        runner.invoke(app, ["audit", "--snapshot", str(out), "--format", "json"])
    )
    assert code == 1 and doc["summary"]["rulesets"] > 0
    assert all(f["region"] == "eu-west-1" for f in doc["findings"])


def test_nothing_to_audit_is_usage_error() -> None:
    res = runner.invoke(app, ["audit"])
    assert res.exit_code == 2 and "nothing to audit" in res.stderr


def test_live_capture_then_audit_has_no_drift(aws_env: dict[str, str], tmp_path: Path) -> None:
    baseline = tmp_path / "prod.yaml"
    res = runner.invoke(
        app, ["baseline", "capture", "-p", "aws", "-r", "eu-west-1", "--out", str(baseline)]
    )
    assert res.exit_code == 0, res.stderr
    _, doc, _ = _audit("--baseline", str(baseline), "--no-store")
    drift = {"unexpectedly-authorized", "revoked", "modified"}
    eu = [f for f in doc["findings"] if f["region"] == "eu-west-1" and f["check"] in drift]
    assert eu == [], "a freshly captured baseline approves today's state"
    assert any(f["check"] == "unexpectedly-authorized" for f in doc["findings"]), (
        "us-east-1 was not captured, so its open rules are drift"
    )


def test_bad_fail_on_is_one_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["audit", "--snapshot", str(tmp_path / "x.json"), "--fail-on", "huge"])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "--fail-on" in res.stderr

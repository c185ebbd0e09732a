"""`audit --store/--no-store/--new-only`, `history` and `diff` through typer's CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cloudfw.cli import audit, history
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

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
COV = (Coverage("aws", "aws:123456789012:us-east-1", CoverageStatus.OK, resources=1),)


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    audit.register(a)
    history.register(a)
    return a


def _snapshot(path: Path, *ports: str) -> Path:
    rules = tuple(
        Rule(
            key=f"sgr-{p}",
            direction=Direction.INGRESS,
            action=Action.ALLOW,
            protocols=parse_protocol("tcp"),
            ports=parse_ports(p),
            peers=AddressSet.parse_many(("0.0.0.0/0",)),
        )
        for p in ports
    )
    sg = Asset("aws", "123456789012", "us-east-1", "security-group", "sg-0web")
    rs = RuleSet(asset=sg, semantics=EvalSemantics.ALLOW_UNION, rules=rules)
    write_snapshot(Snapshot((rs,), COV, T0, "t"), path)
    return path


def _run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_audit_records_and_new_only_shows_only_new(app: typer.Typer, tmp_path: Path) -> None:
    store = str(tmp_path / "h.sqlite")
    s1 = _snapshot(tmp_path / "s1.json", "22")
    s2 = _snapshot(tmp_path / "s2.json", "22", "3389")
    code, out, err = _run(app, "audit", "-s", str(s1), "--store", store, "-f", "json")
    assert code == 1 and "recorded scan 1" in err
    first = {f["check"] for f in json.loads(out)["findings"]}
    assert "internet-ingress[ssh]" in first
    code, out, err = _run(app, "audit", "-s", str(s2), "--store", store, "--new-only", "-f", "json")
    assert "recorded scan 2" in err and "new since scan 1" in err
    new = {f["check"] for f in json.loads(out)["findings"]}
    assert "internet-ingress[rdp]" in new and not new & first
    # the same estate again: nothing is new, so nothing reaches --fail-on
    code, out, _ = _run(app, "audit", "-s", str(s2), "--store", store, "--new-only", "-f", "json")
    assert code == 0 and json.loads(out)["findings"] == []

    code, out, _ = _run(app, "history", "--store", store, "-f", "json")
    assert code == 0
    scans = json.loads(out)
    assert [s["id"] for s in scans] == [3, 2, 1]
    assert scans[0]["scope"] == "aws:123456789012:us-east-1" and scans[0]["rules"] == 2

    code, out, _ = _run(app, "diff", "1", "2", "--store", store, "-f", "json")
    assert code == 0
    d = json.loads(out)
    assert [r["rule_key"] for r in d["rules_added"]] == ["sgr-3389"]
    assert d["rules_removed"] == [] and d["rules_changed"] == []
    assert {f["check"] for f in d["findings_new"]} == new
    assert d["findings_resolved"] == []
    code, out, _ = _run(app, "diff", "2", "1", "--store", store)
    assert code == 0 and "rules removed: 1" in out and "- aws:123456789012" in out

    code, _, err = _run(app, "diff", "1", "99", "--store", store)
    assert code == 2 and err.strip().endswith("no scan 99 (see `cloudfw history`)")


def test_store_defaults_to_the_user_data_dir(
    app: typer.Typer, tmp_path: Path, _private_data_home: Path
) -> None:
    snap = _snapshot(tmp_path / "s.json", "443")
    code, _, _ = _run(app, "audit", "-s", str(snap), "--no-store")
    assert code == 0 and not _private_data_home.exists()
    code, _, err = _run(app, "audit", "-s", str(snap))
    default = _private_data_home / "cloudfw" / "history.sqlite"
    assert code == 0 and default.exists() and str(default) in err
    code, out, _ = _run(app, "history")
    assert code == 0 and "audit" in out
    code, _, err = _run(app, "audit", "-s", str(snap), "--no-store", "--new-only")
    assert code == 2 and "--new-only needs the scan history" in err


def test_corrupt_store_is_a_clean_error_and_never_overwritten(
    app: typer.Typer, tmp_path: Path
) -> None:
    store = tmp_path / "h.sqlite"
    garbage = bytes(range(256)) * 64
    store.write_bytes(garbage)
    snap = _snapshot(tmp_path / "s.json", "22")
    for args in (
        ("audit", "-s", str(snap), "--store", str(store)),
        ("history", "--store", str(store)),
        ("diff", "1", "2", "--store", str(store)),
    ):
        code, _, err = _run(app, *args)
        assert code == 2, args
        lines = err.strip().splitlines()
        assert lines == [
            f"cloudfw: error: {store}: not a cloudfw scan store (not an SQLite "
            "database); left untouched: move it away or pass another --store"
        ]
        assert "Traceback" not in err
    assert store.read_bytes() == garbage


@pytest.mark.parametrize("fmt", ["sarif", "ocsf", "junit", "csv", "html", "markdown"])
def test_audit_writes_every_format(app: typer.Typer, tmp_path: Path, fmt: str) -> None:
    snap = _snapshot(tmp_path / "s.json", "22")
    out = tmp_path / f"report.{fmt}"
    code, _, err = _run(app, "audit", "-s", str(snap), "--no-store", "-f", fmt, "-o", str(out))
    assert code == 1, err
    text = out.read_text()
    assert "internet-ingress[ssh]" in text

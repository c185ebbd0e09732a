"""`cloudfw exposure` end to end: snapshot files from the stand-ins -> table / json / html."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from exposure_support import Collected
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.exposure.report import JSON_SCHEMA, SCHEMA
from cloudfw.snapshotio import write_snapshot

runner = CliRunner()


@pytest.fixture(scope="module")
def snaps(
    tmp_path_factory: pytest.TempPathFactory,
    aws_collected: Collected,
    azure_collected: Collected,
    gcp_collected: Collected,
) -> dict[str, Path]:
    _register_all()
    d = tmp_path_factory.mktemp("snaps")
    out = {}
    for name, c in (("aws", aws_collected), ("azure", azure_collected), ("gcp", gcp_collected)):
        out[name] = d / f"{name}.json"
        write_snapshot(c.snapshot, out[name])
    return out


def _run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["exposure", *args])
    return res.exit_code, res.stdout, res.stderr


def test_json_follows_the_schema(snaps: dict[str, Path], aws_collected: Collected) -> None:
    args = [a for p in snaps.values() for a in ("--snapshot", str(p))]
    code, out, _ = _run(*args, "--format", "json")
    assert code == 1  # something is reachable
    doc = json.loads(out)
    jsonschema.validate(doc, JSON_SCHEMA)
    assert doc["schema"] == SCHEMA and doc["complete"] is True
    assert {a["provider"] for a in doc["assets"]} == {"aws", "azure", "gcp"}
    eni = aws_collected.ids["exp-a-eni"]
    (a,) = [a for a in doc["assets"] if a["resource_id"] == eni]
    assert a["reachable"] and a["public"] is True
    assert [e["ports"] for e in a["exposures"]] == ["443"]
    assert [h["layer"] for h in a["exposures"][0]["path"]] == [
        "subnet:network-acl",
        "interface:security-group",
    ]
    assert a["blocked"][0]["blocked_by"]["rule"].endswith(":ingress:90")


def test_table_lists_path_and_blockers(snaps: dict[str, Path], aws_collected: Collected) -> None:
    code, out, _ = _run("--snapshot", str(snaps["aws"]))
    assert code == 1
    lines = out.splitlines()
    assert max(len(ln) for ln in lines) <= 200
    assert [c.strip() for c in re.split(r"\s{2,}", lines[0])] == [
        "ASSET", "PUBLIC ADDRESS", "FAMILY", "TRAFFIC", "FROM", "VERDICT", "DECIDED BY",
    ]  # fmt: skip
    ids = aws_collected.ids
    acl, sg_a = ids["exp-deny-acl"], ids["exp-a-sg"]
    (https,) = [ln for ln in lines if ln.startswith(ids["exp-a-eni"]) and "tcp/443" in ln]
    assert "  IPv4  " in https and "  reachable  " in https
    assert f"allowed by subnet {acl} ingress:100 -> interface {sg_a} sgr-" in _unwrapped(out)
    (ssh,) = [ln for ln in lines if ln.startswith(ids["exp-a-eni"]) and "tcp/22" in ln]
    assert "  blocked  " in ssh and f"subnet {acl} ingress:90 (opened by interface" in ssh
    assert ids["exp-d-eni"] not in out  # no public IP: not listed by default
    code, everything, _ = _run("--snapshot", str(snaps["aws"]), "--all")
    assert aws_collected.ids["exp-d-eni"] in everything and "no public address" in everything


def _unwrapped(table: str) -> str:
    """The table with each wrapped "decided by" cell joined back onto its line."""
    return re.sub(r"\n {20,}", " ", table)


def test_html_report(snaps: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "exposure.html"
    code, _, err = _run("--snapshot", str(snaps["azure"]), "--format", "html", "-o", str(out))
    assert code == 1 and f"wrote {out}" in err
    page = out.read_text()
    assert "effective-exposure-table" in page and "dnat/inbound/ssh-to-private" in page


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    code, _, err = _run()
    assert code == 2 and err.startswith("cloudfw: error: nothing to analyse")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = _run("--snapshot", str(bad))
    assert code == 2 and err.count("\n") == 1 and "bad.json" in err


def test_exit_codes_clean_and_incomplete(tmp_path: Path, azure_collected: Collected) -> None:
    from dataclasses import replace

    from cloudfw.model import Coverage, CoverageStatus

    snap = azure_collected.snapshot
    closed = replace(
        snap,
        rulesets=tuple(
            rs
            for rs in snap.rulesets
            if "fp-lab" not in rs.asset.resource_id and "nsg-nic-open" not in rs.asset.resource_id
        ),
    )
    p = tmp_path / "closed.json"
    write_snapshot(closed, p)
    code, out, _ = _run("--snapshot", str(p))
    assert code == 0 and out.startswith("nothing reachable from the internet")
    broken = replace(
        snap, coverage=(*snap.coverage, Coverage("azure", "azure:x", CoverageStatus.ERROR, "403"))
    )
    q = tmp_path / "broken.json"
    write_snapshot(broken, q)
    code, _, err = _run("--snapshot", str(q), "--format", "json")
    assert code == 3 and "incomplete: azure:x: 403" in err


def test_live_collection_from_moto(
    monkeypatch: pytest.MonkeyPatch, aws_collected: Collected, snaps: dict[str, Path]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_collected.endpoint)
    code, out, _ = _run("--provider", "aws", "--region", "us-west-2", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    reachable = {a["resource_id"] for a in doc["assets"] if a["reachable"]}
    ids = aws_collected.ids
    assert reachable == {ids["exp-a-eni"], ids["exp-c-eni"]}

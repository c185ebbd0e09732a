"""`cloudfw baseline validate|capture` through typer's CliRunner: exit codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from baseline_support import asset, rule, ruleset, snapshot
from typer.testing import CliRunner

from cloudfw.cli.baseline import register
from cloudfw.model import Coverage, CoverageStatus
from cloudfw.snapshotio import write_snapshot

GOOD = """\
version: 1
policy: {fail_on: high, checks: {internet-ingress: {services: [ssh, rdp]}}}
approved:
  - id: web-https
    match: {provider: aws, resource: "sg-*"}
    rules: [{direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0", "::/0"]}]
required:
  - id: edge-deny-ssh
    match: {provider: aws, resource: acl-0abc}
    rules: [{direction: ingress, action: deny, protocol: tcp, ports: "22", peers: ["0.0.0.0/0"]}]
exceptions:
  - {check: internet-ingress, resource: sg-0bastion, reason: bastion host, ticket: SEC-123,
     expires: 2020-01-31}
"""


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["baseline", *args])
    return res.exit_code, res.stdout, res.stderr


def test_validate_ok(app: typer.Typer, tmp_path: Path) -> None:
    p = tmp_path / "prod.yaml"
    p.write_text(GOOD, encoding="utf-8")
    code, out, err = run(app, "validate", str(p))
    assert code == 0
    assert out == "ok: 1 approved, 1 required, 1 exceptions\n"
    assert f"{p}:12: exception for internet-ingress on sg-0bastion expired after 2020-01-31" in err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'ports: "443"',
            "ports: 70000",
            ":6: approved[0].rules[0].ports: port '70000' is outside 0..65535",
        ),
        ('"::/0"', '"::/129"', ":6: approved[0].rules[0].peers[1]: bad CIDR or address '::/129'"),
        (
            "check: internet-ingress,",
            "check: internet-ingres,",
            ":12: exceptions[0].check: unknown check 'internet-ingres'",
        ),
        (
            "services: [ssh, rdp]",
            "services: [ssh, nosuch]",
            ":2: policy.checks.internet-ingress.services: unknown service 'nosuch'",
        ),
        ("fail_on: high", "fail_on: [high", ":2: invalid YAML: did not find expected ',' or ']'"),
        ("version: 1", "version: '1'", ":1: version: '1' is not one of: 1"),
        (
            "match: {provider: aws, resource: acl-0abc}",
            "match: {provider: aws, resource: acl-0abc, vpc: x}",
            ":9: required[0].match.vpc: unknown key 'vpc'",
        ),
        (
            ",\n     expires: 2020-01-31",
            "",
            ":12: exceptions[0].expires: missing required key 'expires'",
        ),
    ],
)
def test_validate_errors_are_one_line(
    app: typer.Typer, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    p = tmp_path / "prod.yaml"
    assert old in GOOD
    p.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    code, out, err = run(app, "validate", str(p))
    assert code == 2 and out == ""
    assert err.startswith(f"cloudfw: error: {p}{expected}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_validate_missing_file(app: typer.Typer, tmp_path: Path) -> None:
    code, _, err = run(app, "validate", str(tmp_path / "nope.yaml"))
    assert code == 2 and err.count("\n") == 1 and "cannot read baseline" in err


def _snap(tmp_path: Path, ok: bool = True) -> Path:
    cov = Coverage(
        "aws",
        "123456789012/us-east-1",
        CoverageStatus.OK if ok else CoverageStatus.ERROR,
        "" if ok else "AccessDenied",
    )
    snap = snapshot(
        ruleset(asset("sg-0web"), rule("sgr-1", "443"), rule("sgr-2", "22", ("10.0.0.0/8",))),
        coverage=(cov,),
    )
    path = tmp_path / "snap.json"
    write_snapshot(snap, path)
    return path


def test_capture_then_validate(app: typer.Typer, tmp_path: Path) -> None:
    out_file = tmp_path / "out" / "prod.yaml"
    code, out, err = run(app, "capture", "--snapshot", str(_snap(tmp_path)), "--out", str(out_file))
    assert (code, out, err) == (0, "", "")
    text = out_file.read_text(encoding="utf-8")
    assert "rule_id: sgr-1" in text and "accounts:\n    - '123456789012'" in text
    code, out, _ = run(app, "validate", str(out_file))
    assert (code, out) == (0, "ok: 1 approved, 0 required, 0 exceptions\n")


def test_capture_to_stdout(app: typer.Typer, tmp_path: Path) -> None:
    code, out, _ = run(app, "capture", "-s", str(_snap(tmp_path)))
    assert code == 0 and out.startswith("# cloudfw baseline captured on") and "sgr-2" in out


def test_capture_incomplete_snapshot_exits_3(app: typer.Typer, tmp_path: Path) -> None:
    out_file = tmp_path / "prod.yaml"
    code, _, err = run(app, "capture", "-s", str(_snap(tmp_path, ok=False)), "-o", str(out_file))
    assert code == 3 and "incomplete snapshot" in err and "aws 123456789012/us-east-1" in err
    assert "# WARNING: the snapshot is incomplete" in out_file.read_text(encoding="utf-8")


def test_capture_bad_snapshot(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "snap.json"
    bad.write_text('{"schema": "cloudfw.snapshot/1",\n "rulesets": 3}', encoding="utf-8")
    code, out, err = run(app, "capture", "-s", str(bad))
    assert code == 2 and out == "" and err.count("\n") == 1 and str(bad) in err
    assert "Traceback" not in err


def test_help_has_examples(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["baseline", "capture", "--help"])
    assert res.exit_code == 0 and "cloudfw baseline capture --snapshot snap.json" in res.stdout


EXAMPLES = sorted((Path(__file__).parents[2] / "policies" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_baselines_validate(app: typer.Typer, path: Path) -> None:
    code, out, err = run(app, "validate", str(path))
    assert code == 0, err
    assert out.startswith("ok: ")


def test_examples_exist() -> None:
    assert {p.name for p in EXAMPLES} >= {"strict.yaml", "minimal.yaml"}

"""Bad files: one line naming the file (and line) and the JSON path, exit 2, never a traceback;
unknown fields are tolerated, a wrong type in a field cloudfw reads is not."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from import_support import FIXTURES, imported
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.imports import ImportFileError

_register_all()
runner = CliRunner()
AWS = FIXTURES / "aws-cli" / "123456789012-us-east-1"


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stderr


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, indent=2))
    return path


def _error(*paths: Path, **opts: str) -> str:
    with pytest.raises(ImportFileError) as info:
        imported(*paths, **opts)
    return str(info.value)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "sgs.json"
    bad.write_text('{\n  "SecurityGroups": [\n    {"GroupId": "sg-1",}\n  ]\n}\n')
    code, err = _cli("audit", "--import", str(bad), "--no-store")
    assert code == 2
    assert err.strip().splitlines() == [f"cloudfw: error: {bad}:3: invalid JSON: {_msg(err)}"]
    assert "Traceback" not in err


def _msg(err: str) -> str:
    return err.strip().split("invalid JSON: ", 1)[1]


def test_wrong_type_in_a_read_field_names_the_json_path(tmp_path: Path) -> None:
    doc = json.loads((AWS / "describe-security-group-rules.json").read_text())
    doc["SecurityGroupRules"][2]["FromPort"] = "22"
    path = _write(tmp_path / "rules.json", doc)
    msg = _error(path, account="123456789012", region="us-east-1")
    assert msg == f"{path}: $.SecurityGroupRules[2].FromPort: expected an integer, got '22'"


def test_unknown_fields_are_tolerated(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(AWS, export)
    doc = json.loads((export / "describe-security-groups.json").read_text())
    doc["SecurityGroups"][0]["SomethingNew"] = {"added": "by a later API version"}
    doc["SecurityGroups"][0]["IpPermissions"][0]["NewField"] = [1, 2]
    _write(export / "describe-security-groups.json", doc)
    assert imported(export).rulesets == imported(AWS).rulesets


def test_unknown_shape_names_what_was_expected(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.json", {"Reservations": []})
    msg = _error(path)
    assert msg.startswith(f"{path}: $: unknown JSON shape: expected an AWS CLI output")
    assert "Cloud Asset Inventory" in msg


def test_forced_format_that_does_not_fit(tmp_path: Path) -> None:
    code, err = _cli("import", str(AWS / "describe-vpcs.json"), "--import-format", "gcloud",
                     "--out", str(tmp_path / "s.json"))  # fmt: skip
    assert code == 2
    assert "describe-vpcs.json: $.kind: expected one of compute#firewall" in err
    code, err = _cli("import", str(AWS), "--import-format", "nope", "--out", str(tmp_path / "s"))
    assert code == 2 and "unknown --import-format 'nope'" in err


def test_missing_scope_names_the_option(tmp_path: Path) -> None:
    doc = json.loads((AWS / "describe-network-acls.json").read_text())
    path = _write(tmp_path / "acls.json", doc)  # NACLs carry OwnerId, but no region
    msg = _error(path)
    assert msg == (
        f"{path}: $.NetworkAcls[0]: the file does not say which region it is from "
        "(neither do the files beside it): give --region"
    )
    assert imported(path, region="eu-west-1").rulesets[0].asset.region == "eu-west-1"
    bare = _write(tmp_path / "rules.json", {"SecurityGroupRules": [{"GroupId": "sg-1"}]})
    assert "which account and region" in _error(bare)


def test_directory_is_one_account(tmp_path: Path) -> None:
    """Files that do not say (NACLs, VPCs, flow logs) take the region their neighbours state."""
    snap = imported(AWS)
    assert {rs.asset.region for rs in snap.rulesets} == {"us-east-1"}


def test_truncated_aws_output_makes_the_scope_incomplete(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(AWS, export)
    doc = json.loads((export / "describe-security-groups.json").read_text())
    doc["NextToken"] = "eyJ2IjoiMiJ9"
    _write(export / "describe-security-groups.json", doc)
    cov = [c for c in imported(export).coverage if c.scope.startswith("aws:")]
    assert not cov[0].ok and "NextToken in" in cov[0].reason


def test_prefix_list_entries_need_the_list_id_in_the_file_name(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(AWS, export)
    (export / "pl-0a1b2c3d4e5f60718.json").rename(export / "entries.json")
    assert "save it as <pl-id>.json" in _error(export)


def test_bad_line_in_asset_inventory_export(tmp_path: Path) -> None:
    lines = (FIXTURES / "gcp-asset-inventory" / "export.jsonl").read_text().splitlines()
    asset = json.loads(lines[2])
    asset["resource"]["data"]["priority"] = "high"
    name = asset["resource"]["data"]["name"]
    lines[2] = json.dumps(asset)
    lines.insert(4, "{not json")
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    assert _error(path) == (
        f"{path}:3: $.resource.data: firewall {name!r}: field 'priority' must be an integer "
        "in 0..65535, got 'high'"
    )
    del lines[2]
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    assert _error(path).startswith(f"{path}:4: invalid JSON:")


def test_azure_field_of_the_wrong_type(tmp_path: Path) -> None:
    nsgs = json.loads((FIXTURES / "azure-cli" / "nsg-list.json").read_text())
    nsgs[0]["securityRules"][0]["priority"] = "high"
    path = _write(tmp_path / "nsg-list.json", nsgs)
    msg = _error(path)
    assert msg.startswith(f"{path} (azure:11111111-1111-4111-8111-111111111111): /subscriptions/")
    assert "properties.securityRules[0].properties.priority: expected an integer" in msg


def test_resource_graph_table_format_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.json", {"count": 1, "data": {"columns": [], "rows": []}})
    assert "a Resource Graph table result" in _error(path)


def test_nothing_to_audit_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.json", [])
    code, err = _cli("audit", "--import", str(path), "--no-store")
    assert code == 2 and "nothing to audit" in err
    code, err = _cli("audit", "--import", str(tmp_path / "nope.json"), "--no-store")
    assert code == 2 and "no such file or directory" in err


def test_cli_exit_codes_and_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    code, err = _cli("import", str(AWS), "--out", str(out))
    assert code == 0, err
    assert "wrote" in err and "1 scope(s) from 9 file(s)" in err
    result = runner.invoke(app, ["audit", "--snapshot", str(out), "--no-store", "-f", "json"])
    assert result.exit_code == 1  # complete, with high findings
    via_import = runner.invoke(app, ["audit", "--import", str(AWS), "--no-store", "-f", "json"])
    a, b = json.loads(result.stdout), json.loads(via_import.stdout)
    assert a["findings"] == b["findings"] and a["snapshot_digest"] == b["snapshot_digest"]
    partial = runner.invoke(app, ["audit", "--import", str(AWS / "describe-security-groups.json"),
                                  "--no-store"])  # fmt: skip
    assert partial.exit_code == 3  # no NACLs, interfaces, flow logs: incomplete, never clean
    assert "describe-network-interfaces" in partial.stdout


def test_exposure_reads_imports() -> None:
    result = runner.invoke(app, ["exposure", "--import", str(AWS), "--format", "json"])
    assert result.exit_code == 1, result.stderr  # the db group's MySQL is not reachable, but
    doc = json.loads(result.stdout)  # the web ENI is: HTTPS from the internet
    reachable = [e for a in doc["assets"] for e in a.get("exposures", [])]
    assert any("443" in json.dumps(e) for e in reachable)

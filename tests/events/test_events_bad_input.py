"""Damaged input never stops a read: good records still come out, bad ones are counted and
located (file, record index), and the CLI exits 3."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from events_helpers import read_path
from typer.testing import CliRunner

from cloudfw.cli.events import register


def ct_record(i: int, name: str = "AuthorizeSecurityGroupIngress", **extra: Any) -> dict[str, Any]:
    rec = {
        "eventVersion": "1.08", "eventTime": f"2026-11-02T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "eventSource": "ec2.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333", "sourceIPAddress": "198.51.100.1",
        "userIdentity": {"arn": "arn:aws:iam::111122223333:user/a"}, "eventID": f"ev-{i}",
        "requestParameters": {"groupId": f"sg-{i}", "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
             "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
        "responseElements": {"_return": True},
    }  # fmt: skip
    rec.update(extra)
    return rec


def noise(i: int) -> dict[str, Any]:
    return ct_record(i, "DescribeInstances", requestParameters={"filterSet": {}})


def write_gz(path: Path, records: list[dict[str, Any]]) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(json.dumps({"Records": records}).encode())
    path.write_bytes(data)
    return data


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


@pytest.mark.parametrize("buffer_limit", [32 * 1024 * 1024, 1024], ids=["buffered", "streamed"])
def test_truncated_gzip_keeps_records_before_the_cut(tmp_path: Path, buffer_limit: int) -> None:
    records = [ct_record(i) if i % 3 == 0 else noise(i) for i in range(300)]
    data = write_gz(tmp_path / "a.json.gz", records)
    (tmp_path / "a.json.gz").write_bytes(data[: len(data) * 2 // 3])
    events, stats = read_path(tmp_path, buffer_limit=buffer_limit)
    assert 0 < len(events) < 100
    assert stats.units_failed == 1 and stats.problem_count == 1
    (problem,) = stats.problems
    assert problem.location.endswith("a.json.gz") and "truncated" in problem.message


def test_invalid_json_in_one_file_of_a_thousand(tmp_path: Path) -> None:
    for i in range(1000):
        write_gz(tmp_path / f"f{i:04d}.json.gz", [ct_record(i), noise(i)])
    (tmp_path / "f0421.json.gz").write_bytes(gzip.compress(b'{"Records": [{"eventName": }]}'))
    events, stats = read_path(tmp_path)
    assert len(events) == 999
    assert stats.units == 1000 and stats.units_failed == 1
    (problem,) = stats.problems
    assert problem.location.endswith("f0421.json.gz") and "invalid JSON" in problem.message


def test_bad_records_are_located_by_index(tmp_path: Path) -> None:
    missing = ct_record(1)
    del missing["eventName"]
    wrong = ct_record(2, requestParameters="sg-2 tcp 22")
    wrong_port = ct_record(3)
    wrong_port["requestParameters"]["ipPermissions"]["items"][0]["fromPort"] = [22]
    write_gz(tmp_path / "x.json.gz", [ct_record(0), missing, wrong, wrong_port, ct_record(4)])
    events, stats = read_path(tmp_path)
    assert [e.event_id for e in events] == ["ev-0", "ev-4"]
    assert [(p.record, p.message.split(":")[0]) for p in stats.problems] == [
        ("1", "eventName"),
        ("2", "requestParameters"),
        ("3", "requestParameters.ipPermissions[0].from"),
    ]
    assert all(p.location.endswith("x.json.gz") for p in stats.problems)


def test_jsonl_bad_line_and_foreign_files(tmp_path: Path) -> None:
    good = json.dumps(ct_record(5))
    (tmp_path / "a.jsonl").write_text(f"{good}\n{{not json\n{json.dumps({'hello': 1})}\n")
    (tmp_path / "b.json").write_text("plain text, not a log")
    (tmp_path / "c.json").write_text("")
    events, stats = read_path(tmp_path)
    assert [e.event_id for e in events] == ["ev-5"]
    msgs = sorted(str(p) for p in stats.problems)
    assert any("a.jsonl" in m and "line 2" in m for m in msgs)
    assert any("a.jsonl#line 3" in m and "not a CloudTrail" in m for m in msgs)
    assert any("b.json" in m and "not JSON" in m for m in msgs)
    assert stats.problem_count == 3  # the empty file is fine: nothing in it


def test_cli_exit_3_with_coverage_on_stderr(app: typer.Typer, tmp_path: Path) -> None:
    write_gz(tmp_path / "ok.json.gz", [ct_record(0)])
    (tmp_path / "bad.json.gz").write_bytes(gzip.compress(b'{"Records": [')[:-6])
    res = CliRunner().invoke(app, ["events", str(tmp_path)])
    assert res.exit_code == 3
    assert json.loads(res.stdout)["event_id"] == "ev-0"
    assert "1 input(s) and 0 record(s) could not be read" in res.stderr
    assert "bad.json.gz" in res.stderr and "Traceback" not in res.stderr


def test_a_truncated_cloudtrail_file_is_one_located_line(tmp_path: Path) -> None:
    from events_helpers import run_cli

    text = json.dumps({"Records": [ct_record(i) for i in range(3)]}, indent=1)
    path = tmp_path / "trail.json"
    path.write_text(text[: len(text) - 200])
    line = text[: len(text) - 200].count("\n") + 1
    code, _, err = run_cli("events", str(path), "--no-store")
    assert code == 3
    (msg,) = [m for m in err.splitlines() if "unreadable" in m]
    assert msg.startswith(f"cloudfw: unreadable: {path}: ")
    assert f"line {line}" in msg and "after record 2" in msg
    assert "right here" not in err
    # a file too big to buffer is streamed: the error is still one line, at the damage
    _, stats = read_path(path, buffer_limit=1024)
    (problem,) = stats.problems
    assert "\n" not in str(problem) and f"line {line}" in str(problem)


@pytest.mark.parametrize("when", [1e300, -1e300, 10**30, "9999-12-31T23:59:59-23:00"])
def test_a_timestamp_outside_datetimes_range_is_a_located_record_error(
    tmp_path: Path, when: object
) -> None:
    write_gz(tmp_path / "t.json.gz", [ct_record(0), ct_record(1, eventTime=when), ct_record(2)])
    events, stats = read_path(tmp_path)
    assert [e.event_id for e in events] == ["ev-0", "ev-2"]
    (problem,) = stats.problems
    assert problem.record == "1" and problem.message.startswith("eventTime")

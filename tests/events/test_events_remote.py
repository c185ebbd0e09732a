"""Remote sources with the real boto3 clients: S3 against moto's server, LookupEvents against
the local JSON-1.1 stand-in (moto has no LookupEvents), both with paging."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import typer
from events_helpers import FIXTURES, GOLDEN, read_path
from typer.testing import CliRunner

from cloudfw.cli.events import register
from cloudfw.providers.events_aws import s3_objects
from cloudfw.standins import moto
from cloudfw.standins.cloudtrail import TARGET, CloudTrailStandin

TRAIL = FIXTURES / "aws" / "trail"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


@pytest.fixture(scope="module")
def moto_server() -> Iterator[moto.MotoServer]:
    server = moto.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return monkeypatch


def test_s3_trail_matches_local_read(
    app: typer.Typer, moto_server: moto.MotoServer, aws_env: pytest.MonkeyPatch
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server.endpoint)
    s3.create_bucket(Bucket="org-trail-logs")
    files = [p for p in TRAIL.rglob("*") if p.is_file()]
    for p in files:
        key = f"ct/{p.relative_to(TRAIL).as_posix()}"
        s3.put_object(Bucket="org-trail-logs", Key=key, Body=p.read_bytes())
    for i in range(3):
        key = f"ct/AWSLogs/000000000000/CloudTrail/us-east-1/2026/11/01/empty_{i}.json.gz"
        s3.put_object(Bucket="org-trail-logs", Key=key, Body=gzip.compress(b'{"Records": []}'))
    s3.put_object(Bucket="org-trail-logs", Key="ct/README.txt", Body=b"not a log")
    # paging: 7 keys in pages of 2; the digest and the README are skipped
    keys = [loc for loc, _ in s3_objects("s3://org-trail-logs/ct/", client=s3, page_size=2)]
    assert len(keys) == 5 and not any("Digest" in k or "README" in k for k in keys)
    aws_env.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    res = CliRunner().invoke(app, ["events", "s3://org-trail-logs/ct/"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == (GOLDEN / "aws-trail.jsonl").read_text()
    assert "read 5 input(s)" in res.stderr


def test_s3_missing_bucket_is_incomplete_not_clean(
    app: typer.Typer, moto_server: moto.MotoServer, aws_env: pytest.MonkeyPatch
) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    res = CliRunner().invoke(app, ["events", "s3://no-such-bucket/AWSLogs/", str(TRAIL)])
    assert res.exit_code == 3
    assert "s3://no-such-bucket/AWSLogs/: NoSuchBucket" in res.stderr
    golden = (GOLDEN / "aws-trail.jsonl").read_text()
    assert res.stdout.splitlines() == golden.splitlines()


def trail_records() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in sorted(TRAIL.rglob("*_CloudTrail_*.json.gz")):
        out += json.loads(gzip.decompress(p.read_bytes()))["Records"]
    return out


def synthetic(n: int) -> list[dict[str, Any]]:
    base = trail_records()[1]  # an AuthorizeSecurityGroupIngress
    return [
        {**base, "eventID": f"syn-{i}", "eventTime": f"2026-10-01T00:{i // 60:02d}:{i % 60:02d}Z",
         "requestParameters": {**base["requestParameters"], "groupId": f"sg-syn{i}"}}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def lookup_standin(aws_env: pytest.MonkeyPatch) -> Iterator[CloudTrailStandin]:
    standin = CloudTrailStandin(trail_records() + synthetic(120)).start()
    aws_env.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", standin.endpoint)
    try:
        yield standin
    finally:
        standin.stop()


def test_lookup_events_pages_and_parses_cloudtrail_event_strings(
    app: typer.Typer, lookup_standin: CloudTrailStandin
) -> None:
    res = CliRunner().invoke(app, ["events", "cloudtrail://us-east-1"])
    assert res.exit_code == 0, res.stderr
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    local, _ = read_path(TRAIL)
    assert len(lines) == len(local) + 120
    assert {x["event_id"] for x in lines} >= {e.event_id for e in local}
    reqs = lookup_standin.requests
    assert [r["target"] for r in reqs] == [TARGET] * len(reqs)
    writes = sum(not r.get("readOnly") for r in lookup_standin.records)
    assert len(reqs) == -(-writes // 50) == 3  # ReadOnly=false, pages of 50
    assert reqs[0]["LookupAttributes"] == [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
    assert "NextToken" not in reqs[0] and reqs[1]["NextToken"] == "50"


def test_lookup_events_time_window_and_failure(
    app: typer.Typer, lookup_standin: CloudTrailStandin
) -> None:
    res = CliRunner().invoke(
        app,
        ["events", "cloudtrail://us-east-1", "--since", "2026-11-01", "--until", "2026-12-01"],
    )
    assert res.exit_code == 0
    assert "StartTime" in lookup_standin.requests[0] and "EndTime" in lookup_standin.requests[0]
    assert not any(json.loads(x)["event_id"].startswith("syn-") for x in res.stdout.splitlines())
    lookup_standin.fail_after = len(lookup_standin.requests) + 1  # the 2nd page fails
    res = CliRunner().invoke(app, ["events", "cloudtrail://us-east-1"])
    assert res.exit_code == 3
    assert "cloudtrail://us-east-1" in res.stderr
    # the first page (50 newest) still came out, minus 2 non-firewall calls and 1 duplicate
    assert len(res.stdout.splitlines()) == 50 - 2 - 1

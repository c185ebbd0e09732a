"""`cloudfw events` through typer's CliRunner: formats, filters, exit codes, help."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from events_helpers import FIXTURES, GOLDEN
from typer.testing import CliRunner

from cloudfw.cli.events import register
from cloudfw.events.serialize import FIELDS


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["events", *args])
    return res.exit_code, res.stdout, res.stderr


def test_jsonl_is_the_contract(app: typer.Typer) -> None:
    code, out, err = run(app, str(FIXTURES / "gcp" / "audit-entries.json"))
    assert code == 0
    assert out == (GOLDEN / "gcp-array.jsonl").read_text()
    assert "emitted 6 change event(s)" in err


def test_csv_and_table(app: typer.Typer) -> None:
    code, out, _ = run(app, str(FIXTURES / "azure"), "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and tuple(rows[0]) == FIELDS and len(rows) == 9
    code, out, _ = run(app, str(FIXTURES / "azure" / "PT1H.json"), "--format", "table")
    assert code == 0 and "disable_logging" in out and "principal" in out.splitlines()[0]


def test_ocsf_api_activity(app: typer.Typer) -> None:
    code, out, _ = run(app, str(FIXTURES / "gcp" / "audit-entries.json"), "--format", "ocsf")
    docs = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(docs) == 6 and {d["class_uid"] for d in docs} == {6003}
    assert [d["status"] for d in docs].count("Failure") == 1


def test_provider_and_time_filters(app: typer.Typer) -> None:
    code, out, _ = run(app, str(FIXTURES), "--provider", "gcp", "--since",
                         "2026-11-06T08:30:00Z", "--until", "2026-11-06T09:00:00Z")  # fmt: skip
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and {x["provider"] for x in lines} == {"gcp"}
    # an operation's time is its completed (`last`) entry's
    assert [x["time"] for x in lines] == ["2026-11-06T08:30:00Z", "2026-11-06T08:40:02Z",
                                          "2026-11-06T08:50:00Z"]  # fmt: skip


def test_output_file(app: typer.Typer, tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "o" / "ev.jsonl"
    code, stdout, _ = run(app, str(FIXTURES / "aws" / "lookup-events.json"), "-o", str(out))
    assert code == 0 and stdout == ""
    assert out.read_text() == (GOLDEN / "aws-lookup.jsonl").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/dir"], "/no/such/dir: no such file or directory"),
        ([str(FIXTURES), "--since", "yesterday"], "is not a date/time"),
        (["gs://bucket/x"], "unsupported URL"),
        (["cloudtrail://"], "e.g. cloudtrail://us-east-1"),
        (["azure-activity://"], "e.g. azure-activity://SUBSCRIPTION-ID"),
    ],
)
def test_bad_usage_exits_2(app: typer.Typer, args: list[str], message: str) -> None:
    code, out, err = run(app, *args)
    assert code == 2 and message in err and out == ""
    assert "Traceback" not in err


def test_help_teaches_with_examples(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["events", "--help"])
    assert res.exit_code == 0
    assert "cloudtrail://us-east-1" in res.stdout and "s3://" in res.stdout

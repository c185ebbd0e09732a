"""Activity Log through the real azure-mgmt-monitor client against the local ARM stand-in
(plain http on loopback, nextLink paging), and its failure path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import typer
from events_helpers import FIXTURES, GOLDEN
from typer.testing import CliRunner

from cloudfw.cli.events import register
from cloudfw.standins import arm

SUB = "8f2d1c3b-5a6e-4f70-9b81-2c3d4e5f6a7b"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[arm.ArmServer]:
    rest = json.loads((FIXTURES / "azure" / "api-eventdata.json").read_text())
    noise = [{**rest[0], "correlationId": f"noise-{i}", "operationName": {
        "value": "Microsoft.Compute/virtualMachines/write"}} for i in range(3)]  # fmt: skip
    values = tmp_path / "arm" / "subscriptions" / SUB / "providers" / "Microsoft.Insights"
    values = values / "eventtypes" / "management"
    values.mkdir(parents=True)
    (values / "values.json").write_text(json.dumps({"value": [*noise, *rest]}))
    server, url = arm.start(tmp_path, page_size=2)
    monkeypatch.setenv("CLOUDFW_AZURE_ENDPOINT", url)
    monkeypatch.setenv("CLOUDFW_AZURE_TOKEN", "standin-token")
    try:
        yield server
    finally:
        arm.stop(server)


def test_activity_log_api_pages_and_folds(app: typer.Typer, standin: arm.ArmServer) -> None:
    res = CliRunner().invoke(app, ["events", f"azure-activity://{SUB}", "--since", "2026-11-01",
                                   "--until", "2026-11-30"])  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert res.stdout == (GOLDEN / "azure-api.jsonl").read_text()
    gets = [r for r in standin.requests if "eventtypes/management/values" in r.path]
    assert len(gets) == 3 and all(r.status == 200 for r in gets)  # 5 events, pages of 2
    assert "eventTimestamp ge '2026-11-01T00:00:00Z'" in unquote(gets[0].query)


def test_activity_log_api_failure_is_incomplete(
    app: typer.Typer, standin: arm.ArmServer, tmp_path: Path
) -> None:
    standin.faults = arm.Faults(forbidden_subscriptions=frozenset({SUB}))
    res = CliRunner().invoke(app, ["events", f"azure-activity://{SUB}", str(FIXTURES / "gcp")])
    assert res.exit_code == 3
    assert f"azure-activity://{SUB}: HTTP 403 AuthorizationFailed" in res.stderr
    assert {json.loads(x)["provider"] for x in res.stdout.splitlines()} == {"gcp"}

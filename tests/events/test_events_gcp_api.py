"""GCP audit logs through the Logging API (entries.list with pageToken), with the real
google-auth AuthorizedSession against a small local stand-in, and its failure path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import typer
from events_helpers import FIXTURES, GOLDEN
from typer.testing import CliRunner

from cloudfw.cli.events import register

PROJECT = "acme-prod-4821"


class LoggingStandin(ThreadingHTTPServer):
    def __init__(self, entries: list[dict[str, Any]], page_size: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.entries, self.page_size = entries, page_size
        self.requests: list[dict[str, Any]] = []
        self.fail = False


class _Handler(BaseHTTPRequestHandler):
    server: LoggingStandin

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **req})
        if self.path != "/v2/entries:list" or self.server.fail:
            return self._send(403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}})
        start = int(req.get("pageToken") or 0)
        size = min(self.server.page_size, int(req.get("pageSize", 50)))
        body: dict[str, Any] = {"entries": self.server.entries[start : start + size]}
        if start + size < len(self.server.entries):
            body["nextPageToken"] = str(start + size)
        return self._send(200, body)

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoggingStandin]:
    entries = json.loads((FIXTURES / "gcp" / "audit-entries.json").read_text())
    server = LoggingStandin(entries, page_size=4)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("CLOUDFW_GCP_LOGGING_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("CLOUDFW_GCP_TOKEN", raising=False)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    register(a)
    return a


def test_logging_api_pages_and_folds(app: typer.Typer, standin: LoggingStandin) -> None:
    res = CliRunner().invoke(app, ["events", f"gcp-audit://{PROJECT}", "--since", "2026-11-01"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == (GOLDEN / "gcp-array.jsonl").read_text()
    assert len(standin.requests) == 3  # 11 entries in pages of 4
    first = standin.requests[0]
    assert first["resourceNames"] == [f"projects/{PROJECT}"]
    assert "cloudaudit.googleapis.com%2Factivity" in first["filter"]
    assert 'timestamp>="2026-11-01T00:00:00Z"' in first["filter"]
    assert standin.requests[1]["pageToken"] == "4"


def test_logging_api_failure_is_incomplete(app: typer.Typer, standin: LoggingStandin) -> None:
    standin.fail = True
    res = CliRunner().invoke(app, ["events", f"gcp-audit://{PROJECT}"])
    assert res.exit_code == 3
    assert f"gcp-audit://{PROJECT}: HTTP 403" in res.stderr

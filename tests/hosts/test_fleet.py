"""A fleet's host audit in flat memory (`cloudfw.hosts.fleet`): findings spooled per chunk and
merged back give the in-memory report byte for byte, on worker processes and on a Dask
cluster; ``--format jsonl`` carries the same findings and summary."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cloudfw.cli import host, host_audit
from cloudfw.cli.runner import load_policy
from cloudfw.executor import open_executor
from cloudfw.export.json_report import render_json
from cloudfw.export.stream import write_json, write_jsonl
from cloudfw.hosts.audit import HostAuditRequest, audit_hosts
from cloudfw.hosts.fleet import audit_fleet
from cloudfw.hosts.spool import Spool
from cloudfw.model.report import report_order

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.host_bench import write_fleet

NOW = datetime(2026, 12, 1, tzinfo=UTC)
STAMP = re.compile(rb'"generated_at": ?"[^"]*"')


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fleet")
    write_fleet(d, 24, 3, 0.2)  # 3 variants, some hosts with a rule of their own
    return d


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    host.register(a)
    host_audit.register(a)
    return a


def _req(*paths: Path, workers: int = 1) -> HostAuditRequest:
    loaded = load_policy(None, None)
    return HostAuditRequest(paths, loaded.policy, loaded.catalog, NOW, workers=workers)


def _streamed(req: HostAuditRequest, processes: int = 0) -> bytes:
    ex = open_executor(None, processes=processes) if processes else None
    try:
        fa = audit_fleet(req, ex)
    finally:
        if ex is not None:
            ex.close()
    out = io.BytesIO()
    write_json(fa.report, fa.findings, out)
    fa.close()
    return out.getvalue()


def test_spooled_json_is_the_in_memory_report_byte_for_byte(fleet: Path) -> None:
    want = render_json(audit_hosts(_req(fleet))).encode()
    assert b'"shadowed-rule"' in want or b'"internet-ingress' in want
    assert _streamed(_req(fleet)) == want  # in this process, several chunks
    assert _streamed(_req(fleet, workers=2), processes=2) == want  # on worker processes


def test_one_host_in_two_chunks_folds_as_one(fleet: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for d in (a, b):  # the same host name under two directories
        (d / "node-00001.iptables-save").write_bytes(
            (fleet / "node-00001.iptables-save").read_bytes()
        )
    req = _req(a, b)
    assert _streamed(req) == render_json(audit_hosts(req)).encode()


def test_jsonl_has_the_json_reports_findings_then_its_summary(fleet: Path) -> None:
    doc = json.loads(render_json(audit_hosts(_req(fleet))))
    fa = audit_fleet(_req(fleet), None)
    out = io.BytesIO()
    write_jsonl(fa.report, fa.findings(), out)
    fa.close()
    lines = [json.loads(ln) for ln in out.getvalue().splitlines()]
    assert [ln.pop("type") for ln in lines] == ["finding"] * len(doc["findings"]) + ["summary"]
    assert lines[:-1] == doc["findings"]
    rest = {k: v for k, v in doc.items() if k not in ("findings", "suppressed")}
    assert lines[-1] == rest


def test_the_cli_streams_json_and_jsonl(app: typer.Typer, fleet: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["host", "audit", str(fleet), "--no-store", "--workers", "2"]
    one = runner.invoke(app, [*args[:-2], "-f", "json", "-o", str(tmp_path / "one.json")])
    two = runner.invoke(app, [*args, "-f", "json", "-o", str(tmp_path / "two.json")])
    assert one.exit_code == two.exit_code == 1, two.output
    blank = [STAMP.sub(b"-", (tmp_path / n).read_bytes()) for n in ("one.json", "two.json")]
    assert blank[0] == blank[1]
    res = runner.invoke(app, [*args, "-f", "jsonl", "--fail-on", "critical"])
    assert res.exit_code == 1, res.output
    last = json.loads(res.stdout.splitlines()[-1])
    assert last["type"] == "summary" and last["hosts"] == 24 and last["complete"]
    assert last["summary"]["findings"] == len(res.stdout.splitlines()) - 1


def test_spool_merges_runs_in_report_order_with_records_past_a_block(fleet: Path) -> None:
    report = audit_hosts(_req(fleet))
    fs = list(report.findings)
    spool = Spool()
    spool.add(1, sorted(fs[1::2], key=report_order))
    spool.add(0, sorted(fs[0::2], key=report_order))
    spool.add(2, [])
    assert list(spool.merged()) == fs
    assert list(spool.merged()) == fs  # read back as often as needed
    spool.close()


@pytest.mark.slow
def test_dask_cluster_gives_the_same_report(app: typer.Typer, fleet: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
    from dask_support import local_cluster

    runner = CliRunner()
    plain = runner.invoke(app, ["host", "audit", str(fleet), "--no-store", "-f", "json"])
    with local_cluster() as cluster:
        remote = runner.invoke(
            app,
            [
                "host",
                "audit",
                str(fleet),
                "--no-store",
                "-f",
                "json",
                "--dask",
                cluster.scheduler_address,
            ],
        )
    assert plain.exit_code == remote.exit_code == 1, remote.output
    assert STAMP.sub(b"-", plain.stdout_bytes) == STAMP.sub(b"-", remote.stdout_bytes)

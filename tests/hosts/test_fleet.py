"""A fleet's host audit in flat memory (`cloudfw.hosts.fleet`): findings spooled per chunk and
merged back give the in-memory report byte for byte, with and without a baseline (its drift,
exceptions and gone entries judged per chunk), on worker processes and on a Dask cluster;
``--format jsonl`` carries the same findings and summary."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
FIX = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"
# every kind of drift: approved, pinned (modified), required (missing, and gone: no etcd host),
# exceptions active and expired
BASELINE = """\
version: 1
approved:
  - id: kubelet
    match: {provider: host, hosts: 'node-0000*'}
    rules: [{direction: ingress, protocol: tcp, ports: '10250,30000-32767', peers: ['0.0.0.0/0']}]
  - id: pinned
    match: {provider: host, hosts: 'node-0001*'}
    rules: [{rule_id: 'INPUT#8', direction: ingress, protocol: tcp, ports: '22', peers: [any]}]
required:
  - id: deny-telnet
    match: {provider: host, hosts: 'node-0002*'}
    rules: [{direction: ingress, action: deny, protocol: tcp, ports: '23', peers: [any]}]
  - id: etcd
    match: {provider: host, hosts: 'etcd-*'}
    rules: [{direction: ingress, protocol: tcp, ports: '2379', peers: ['10.0.0.0/8']}]
exceptions:
  - {check: unlogged, resource: 'node-0000*', reason: noisy, ticket: T-1, expires: 2099-01-01}
  - {check: internet-ingress, resource: 'node-0001*', reason: old, ticket: T-2, expires: 2020-01-01}
  - {check: unexpectedly-authorized, resource: 'node-0002*', reason: ok, ticket: T-3,
     expires: 2099-01-01}
"""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fleet")
    write_fleet(d, 24, 3, 0.2)  # 3 variants, some hosts with a rule of their own
    return d


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("baseline") / "hosts.yaml"
    path.write_text(BASELINE)
    return path


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    host.register(a)
    host_audit.register(a)
    return a


def _req(*paths: Path, baseline: Path | None = None) -> HostAuditRequest:
    loaded = load_policy(baseline, None)
    return HostAuditRequest(paths, loaded.policy, loaded.catalog, NOW, loaded.baseline)


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
    assert _streamed(_req(fleet), processes=2) == want  # on worker processes


def test_a_baseline_audit_spooled_is_the_in_memory_report(fleet: Path, baseline: Path) -> None:
    req = _req(fleet, baseline=baseline)
    want = render_json(audit_hosts(req)).encode()
    doc = json.loads(want)
    checks = {f["check"].partition("[")[0] for f in doc["findings"]}
    assert {"unexpectedly-authorized", "modified", "revoked", "unlogged"} <= checks
    assert {f["check"] for f in doc["suppressed"]} == {"unlogged", "unexpectedly-authorized"}
    assert any(f["resource_id"] == "etcd-*" for f in doc["findings"])  # gone: judged last
    assert any("expired_exception" in f["evidence"] for f in doc["findings"])
    assert _streamed(req) == want
    assert _streamed(req, processes=2) == want


def test_a_gone_entry_folds_with_a_chunks_finding_as_in_memory(tmp_path: Path) -> None:
    # "tagged" names the gateway's exact asset but a tag it lacks: gone, on that very asset and
    # with the rule id that "any" finds missing there; the two findings fold into one
    base = tmp_path / "b.yaml"
    spec = (
        "[{rule_id: etcd-in, direction: ingress, protocol: tcp, ports: '2379',"
        " peers: ['10.0.0.0/8']}]"
    )
    base.write_text(
        "version: 1\nrequired:\n"
        "  - id: tagged\n    match: {provider: host, account: bsd-gw-01, resource_type: pf,"
        " resource: 'bsd-gw-01:pf', tags: {tier: edge}}\n"
        f"    rules: {spec}\n"
        f"  - id: any\n    match: {{provider: host, hosts: 'bsd-gw-*'}}\n    rules: {spec}\n"
    )
    req = _req(FIX / "loose", FIX / "win-srv-01", baseline=base)
    want = render_json(audit_hosts(req)).encode()
    revoked = [f for f in json.loads(want)["findings"] if f["check"] == "revoked"]
    assert [f["resource_id"] for f in revoked] == ["bsd-gw-01:pf"]  # two findings folded
    assert "of entry 'any'" in revoked[0]["message"]  # the first: the chunk's
    assert _streamed(req) == want


def test_one_host_in_two_chunks_folds_as_one(fleet: Path, baseline: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for d in (a, b):  # the same host name under two directories
        (d / "node-00001.iptables-save").write_bytes(
            (fleet / "node-00001.iptables-save").read_bytes()
        )
    for req in (_req(a, b), _req(a, b, baseline=baseline)):
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


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
    from dask_support import local_cluster

    with local_cluster() as c:
        yield c


def _cli_json(app: typer.Typer, *args: str) -> tuple[int, bytes]:
    res = CliRunner().invoke(app, ["host", "audit", *args, "--no-store", "-f", "json"])
    assert isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, STAMP.sub(b'"generated_at": "-"', res.stdout_bytes)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_report(app: typer.Typer, fleet: Path, cluster: Any) -> None:
    plain = _cli_json(app, str(fleet))
    remote = _cli_json(app, str(fleet), "--dask", cluster.scheduler_address)
    assert plain[0] == remote[0] == 1
    assert remote[1] == plain[1]


@pytest.mark.slow
def test_dask_cluster_gives_the_same_baseline_report(
    app: typer.Typer, fleet: Path, baseline: Path, cluster: Any
) -> None:
    args = (str(fleet), str(FIX), "--baseline", str(baseline))
    plain = _cli_json(app, *args)
    remote = _cli_json(app, *args, "--dask", cluster.scheduler_address)
    assert plain[0] == remote[0] == 1
    assert remote[1] == plain[1]
    doc = json.loads(plain[1])
    assert doc["suppressed"] and doc["baseline"] == str(baseline)
    assert {"modified", "revoked"} <= {f["check"] for f in doc["findings"]}

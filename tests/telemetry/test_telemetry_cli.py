"""`cloudfw host detect`: output contract, formats and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cloudfw.cli import host, host_detect
from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.events import Malformed
from cloudfw.telemetry.readers import read_lines

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "telemetry"
CONTRACT = {"category", "analytic", "techniques", "severity", "host", "time", "pid", "cmdline",
            "source"}  # fmt: skip


@pytest.fixture
def run() -> Iterator[object]:
    app = typer.Typer()
    host.register(app)
    host_detect.register(app)
    host_detect.register(app)  # idempotent
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        res = runner.invoke(app, ["host", "detect", *args])
        return res.exit_code, res.stdout, res.stderr

    yield invoke


def _write(tmp: Path, name: str, rows: list[dict[str, object]] | str) -> str:
    p = tmp / name
    text = rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows)
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_jsonl_contract_and_exit_1(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(str(FIX / "generic.jsonl"))
    assert code == 1
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 5
    for d in docs:
        assert d.keys() >= CONTRACT
        assert d["schema"] == "cloudfw.detection/1"
        assert set(d["source"]) >= {"file", "line"}
    first = docs[0]
    assert first["category"] == "allow_process" and first["analytic"] == "AN0408"
    assert first["source"]["line"] == 1 and first["source"]["file"].endswith("generic.jsonl")
    assert first["time"] == "2026-11-20T12:00:00Z" and first["pid"] == 801
    assert first["techniques"] == ["T1686", "T1562.004"]
    assert {d["category"] for d in docs} == {"allow_process", "modify", "disable", "bpf_trigger"}
    assert "5 detections" in err


def test_fail_on_threshold(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = _write(tmp_path, "e.jsonl", [{"platform": "linux", "cmdline": "iptables -L", "host": "a"}])
    code, out, _ = run(f)
    assert code == 0 and json.loads(out)["severity"] == "low"  # default --fail-on medium
    code, _, _ = run(f, "--fail-on", "low")
    assert code == 1
    code, out, _ = run(_write(tmp_path, "n.jsonl", [{"platform": "linux", "cmdline": "ls"}]))
    assert (code, out) == (0, "")


def test_malformed_input_exit_3_and_rest_processed(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(str(FIX / "malformed" / "generic.jsonl"), str(FIX / "osquery.jsonl"))
    assert code == 3
    cats = [json.loads(line)["category"] for line in out.splitlines()]
    assert cats.count("disable") >= 3  # line 1, line 10 and osquery's ufw/pfctl
    lines = [e for e in err.splitlines() if e.startswith("cloudfw: error:")]
    assert len(lines) == 7
    assert lines[0].startswith("cloudfw: error: ") and "generic.jsonl:2: invalid JSON" in lines[0]
    assert "7 unreadable or malformed inputs" in err


def test_missing_file_is_incomplete(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(str(tmp_path / "nope.jsonl"), str(FIX / "sysmon.jsonl"))
    assert code == 3
    assert len(out.splitlines()) == 3  # sysmon.jsonl still read: netsh, -enc, registry
    assert "nope.jsonl: cannot read" in err


def test_bad_usage_exit_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(str(FIX / "generic.jsonl"), "--format", "xml")[0] == 2
    assert run(str(FIX / "generic.jsonl"), "--input-format", "csv")[0] == 2
    assert run(str(FIX / "generic.jsonl"), "--fail-on", "scary")[0] == 2
    bad = _write(tmp_path, "b.yaml", "telemetry:\n  approved_admin: 3\n")
    code, out, err = run(str(FIX / "generic.jsonl"), "--baseline", bad)
    assert code == 2 and out == ""
    assert err.strip() == f"cloudfw: error: {bad}:2: approved_admin: expected a list"


def test_table_and_ocsf(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(str(FIX / "wfas.jsonl"), "--format", "table")
    assert code == 1
    assert out.splitlines()[0].split()[:5] == ["time", "host", "severity", "category", "analytic"]
    assert "wfas.jsonl:2" in out
    code, out, _ = run(str(FIX / "auditd.log"), "--format", "ocsf")
    docs = [json.loads(line) for line in out.splitlines()]
    assert {d["class_uid"] for d in docs} == {2004}
    an0464 = [d for d in docs if d["resources"][0]["data"]["analytic"] == "AN0464"]
    assert len(an0464) == 1 and len(an0464[0]["evidences"]) == 4


def test_window_and_baseline(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(str(FIX / "generic.jsonl"), "--window", "1")
    assert code == 1 and "bpf_trigger" not in out
    base = _write(tmp_path, "prod.yaml", "telemetry:\n  window: 1\n  approved_admin:\n"
                  "    - id: ansible\n      parents: [ansible-playbook]\n")  # fmt: skip
    _, out, err = run(str(FIX / "generic.jsonl"), "--baseline", base)
    cats = [json.loads(line)["category"] for line in out.splitlines()]
    assert "bpf_trigger" not in cats and cats.count("modify") == 1  # line 4 suppressed
    assert "(1 suppressed)" in err
    _, out, _ = run(str(FIX / "generic.jsonl"), "--baseline", base, "--show-suppressed")
    sup = [json.loads(line) for line in out.splitlines() if "suppressed_by" in line]
    assert [d["suppressed_by"] for d in sup] == ["ansible"]


def test_detector_streams() -> None:
    def lines() -> Iterator[str]:
        yield '{"platform": "linux", "cmdline": "iptables -F"}\n'
        raise AssertionError("read past the first line before reporting it")

    det = Detector()
    item = next(read_lines(lines(), "s.jsonl", "jsonl"))
    assert not isinstance(item, Malformed)
    assert [d.category for d in det.feed(item)] == ["disable"]


def test_correlates_across_files_in_any_order(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    es = '{"schema_version":1,"time":"2026-11-20T10:01:01Z","event_type":10,"global_seq_num":9,'
    es += '"process":{"audit_token":{"pid":6201},"executable":{"path":"/Users/Shared/.x/a"}},'
    es += '"event":{"open":{"file":{"path":"/dev/bpf3"}}}}\n'
    arm = _write(tmp_path, "es.jsonl", es)
    net = _write(tmp_path, "net.jsonl", [
        {"type": "network", "time": "2026-11-20T10:30:00Z", "platform": "macos",
         "action": "inbound", "pid": 6201, "remote_addr": "203.0.113.4", "remote_port": 9},
        {"type": "network", "time": "2026-11-20T10:30:03Z", "platform": "macos",
         "action": "connect", "pid": 6201, "remote_addr": "198.51.100.1", "remote_port": 443},
    ])  # fmt: skip
    for order in ((arm, net), (net, arm)):
        code, out, _ = run(*order)
        [doc] = [json.loads(line) for line in out.splitlines()]
        assert (code, doc["analytic"], doc["pid"]) == (1, "AN0464", 6201)
        assert doc["evidence"][0]["source"] == f"{arm}:1#global_seq_num 9"

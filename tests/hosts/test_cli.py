"""`cloudfw host audit` / `cloudfw host collector` end to end through typer's CliRunner:
report fields, exit codes, bad input (located error, other hosts still audited, exit 3),
bundles (directory and tar.gz) and a host baseline."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cloudfw.cli import host, host_audit
from cloudfw.hosts.bundle import write_bundle_tar

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"
GOOD = FIX / "linux-web-01" / "iptables-save.txt"
FIELDS = {"check", "severity", "provider", "account", "region", "resource_type", "resource_id",
          "rule_id", "direction", "protocol", "ports", "peers", "message", "techniques",
          "compliance"}  # fmt: skip


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    host.register(a)
    host_audit.register(a)
    return a


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["host", *args])
    return res.exit_code, res.stdout, res.stderr


def test_audit_json_report_fields(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, _, err = run(
        app,
        "audit",
        str(FIX / "win-srv-01"),
        str(FIX / "loose" / "bsd-gw-01.pf.conf"),
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert code == 1, err  # high findings, everything read
    doc = json.loads(out.read_text())
    assert doc["complete"] is True
    assert doc["findings"] and all(f.keys() >= FIELDS for f in doc["findings"])
    assert {f["provider"] for f in doc["findings"]} == {"host"}
    checks = {(f["check"], f["account"], f["resource_type"]) for f in doc["findings"]}
    assert ("firewall-disabled", "win-srv-01", "windows-firewall:Public") in checks
    assert ("internet-ingress[ssh]", "bsd-gw-01", "pf") in checks
    assert ("internet-ingress[postgres]", "bsd-gw-01", "pf") in checks  # pass ... user postgres

    # Block overrides allow: SMB-Open (445) loses to SMB-Block on every enabled profile
    # (Updater-In's port range reaches smb among 25 services: one finding folded over them and
    # over the Domain and Private profiles, each service's ports in evidence.services)
    def services(f: dict[str, Any]) -> list[dict[str, Any]]:
        one = {"service": f["check"][len("internet-ingress[") : -1], "ports": f["ports"]}
        return list(f["evidence"].get("services") or [one])

    smb = [
        (f, s)
        for f in doc["findings"]
        if f["check"].startswith("internet-ingress[")
        and f["resource_type"] != "windows-firewall:Public"
        for s in services(f)
        if s["service"] == "smb"
    ]
    assert smb and all("445" not in s["ports"] and f["rule_id"] == "Updater-In" for f, s in smb)
    assert any("windows-firewall:Private" in f["evidence"].get("also_on", [""])[0] for f, _ in smb)
    disabled = next(f for f in doc["findings"] if f["check"] == "firewall-disabled")
    assert "T1686.003" in disabled["techniques"]


def test_clean_host_exits_zero(app: typer.Typer, tmp_path: Path) -> None:
    f = tmp_path / "tight.iptables"
    f.write_text(
        "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A INPUT -i lo -j ACCEPT\n-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 "
        "-j ACCEPT\n-A INPUT -j LOG\nCOMMIT\n"
    )
    code, out, err = run(app, "audit", str(f), "--fail-on", "high")
    assert code == 0, out + err
    assert "HIGH" not in out and "Coverage: 1 of 1 scopes read." in out
    code, out, err = run(app, "audit", str(f), "--fail-on", "medium")
    assert code == 1 and "unlogged" in out  # FORWARD and OUTPUT log nothing


BAD = {
    "truncated.iptables": GOOD.read_bytes()[:400],
    "cut.iptables": b"\n".join(GOOD.read_bytes().splitlines()[:20]) + b"\n",
    "garbage.bin": bytes(range(256)) * 40,
    "longline.iptables": b"*filter\n:INPUT DROP [0:0]\n# " + b"x" * (1 << 20 | 5) + b"\nCOMMIT\n",
    "latin1.ufw": "Status: active\n\nTo  Action  From\n-- ------ ----\nCaf\xe9".encode("latin-1"),
}
EXPECT = {
    "truncated.iptables": r"truncated.iptables:\d+: (table \*filter is not closed|rule for undecl)",
    "cut.iptables": r"cut.iptables:20: table \*filter is not closed by COMMIT \(truncated\?\)",
    "garbage.bin": r"garbage.bin:\d+: not UTF-8|garbage.bin:1: not a recognized",
    "longline.iptables": r"longline.iptables:3: line is longer than",
    "latin1.ufw": r"latin1.ufw:5: not UTF-8",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_located_and_others_audit(app: typer.Typer, tmp_path: Path, name: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(BAD[name])
    out = tmp_path / "r.json"
    code, _, err = run(
        app,
        "audit",
        str(bad),
        str(FIX / "loose" / "bsd-gw-01.pf.conf"),
        "-f",
        "json",
        "-o",
        str(out),
    )
    assert code == 3
    import re

    assert re.search(EXPECT[name], err), err
    assert "Traceback" not in err
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert any(f["account"] == "bsd-gw-01" for f in doc["findings"])  # the good host still audits
    bad_cov = [c for c in doc["coverage"] if c["status"] == "error"]
    assert len(bad_cov) == 1 and name in bad_cov[0]["reason"]


def test_wrong_format_forced(app: typer.Typer, tmp_path: Path) -> None:
    code, _, err = run(app, "audit", str(GOOD), "--format", "pf")
    assert code == 3
    assert f"{GOOD}:2: unknown pf statement" in err
    code, _, err = run(app, "audit", str(GOOD), "--input-format", "nope")
    assert code == 2 and "unknown --input-format 'nope'" in err


def test_tar_bundle_and_failed_source(app: typer.Typer, tmp_path: Path) -> None:
    files = {f"b/{p.name}": p.read_bytes() for p in (FIX / "mac-laptop-01").iterdir()}
    buf = io.BytesIO()
    write_bundle_tar(files, buf)
    tgz = tmp_path / "mac.tar.gz"
    tgz.write_bytes(buf.getvalue())
    code, out, err = run(app, "audit", str(tgz), "-f", "json", "--fail-on", "medium")
    doc = json.loads(out)
    assert code == 1, err  # medium app exceptions; nothing high on this laptop
    assert {f["account"] for f in doc["findings"]} == {"mac-laptop-01"}
    checks = {f["check"] for f in doc["findings"]}
    assert {"stealth-off", "allow-signed", "app-allowed"} <= checks
    sus = [f for f in doc["findings"] if f["check"] == "app-allowed" and f["severity"] == "medium"]
    assert [f["rule_id"] for f in sus] == ["app:/Users/Shared/.helper/agent"]
    # this bundle's manifest records a source the collector could not read
    code, _, err = run(app, "audit", str(FIX.parent / "hosts-failure" / "linux-db-02"))
    assert code == 3 and "could not run 'nft -j list ruleset'" in err


def test_baseline_hosts_glob(app: typer.Typer, tmp_path: Path) -> None:
    base = tmp_path / "hosts.yaml"
    base.write_text(
        "version: 1\n"
        "policy: {fail_on: high}\n"
        "approved:\n"
        "  - id: gw-web\n"
        "    match: {provider: host, hosts: 'bsd-gw-*'}\n"
        "    rules: [{direction: ingress, protocol: tcp, ports: '22,25,53,80,443', "
        "peers: ['0.0.0.0/0']}]\n"
        "exceptions:\n"
        "  - {check: firewall-disabled, resource: 'win-srv-01:*', reason: lab, ticket: SEC-1, "
        "expires: 2099-01-01}\n"
    )
    out = tmp_path / "r.json"
    code, _, err = run(
        app,
        "audit",
        str(FIX / "loose" / "bsd-gw-01.pf.conf"),
        str(FIX / "win-srv-01"),
        "-b",
        str(base),
        "-f",
        "json",
        "-o",
        str(out),
    )
    assert code == 1, err
    doc = json.loads(out.read_text())
    drift = [f for f in doc["findings"] if f["check"] == "unexpectedly-authorized"]
    gw = {f["rule_id"] for f in drift if f["account"] == "bsd-gw-01"}
    assert gw and all("#" in r for r in gw)  # 3389/5432/icmp rules are not approved
    assert not any(
        f["check"] == "firewall-disabled" and f["account"] == "win-srv-01" for f in doc["findings"]
    )
    assert any(f["check"] == "firewall-disabled" for f in doc["suppressed"])


@pytest.mark.parametrize("platform", ["linux", "macos", "windows"])
def test_collector_prints_script(app: typer.Typer, platform: str) -> None:
    code, out, _ = run(app, "collector", "--platform", platform)
    assert code == 0
    assert "cloudfw.host-bundle/1" in out and "manifest.json" in out
    for verb in ("iptables -F", "--setglobalstate", "Set-NetFirewall", "pfctl -d", "ufw disable"):
        assert verb not in out  # read-only


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_posix_collector_writes_a_readable_bundle(app: typer.Typer, tmp_path: Path) -> None:
    _, script, _ = run(app, "collector", "--platform", "linux")
    (tmp_path / "c.sh").write_text(script)
    res = subprocess.run(
        ["sh", str(tmp_path / "c.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    bundle = Path(res.stdout.strip().splitlines()[-1])
    assert bundle.exists()
    manifest = next(tmp_path.glob("cloudfw-*/manifest.json"))
    doc = json.loads(manifest.read_text())
    assert doc["schema"] == "cloudfw.host-bundle/1" and doc["host"]


def test_bad_manifest_is_located(app: typer.Typer, tmp_path: Path) -> None:
    b = tmp_path / "bundle"
    b.mkdir()
    (b / "manifest.json").write_text('{"schema": "cloudfw.host-bundle/1",\n "host": 7}')
    code, _, err = run(app, "audit", str(b), str(GOOD))
    assert code == 3
    assert f"{b}/manifest.json: host: missing or not a string" in err

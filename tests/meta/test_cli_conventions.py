"""The CLI conventions a user meets first, through the real entry point (`python -m cloudfw`, the
same `run()` the installed `cloudfw` script calls): one-line errors that name what is wrong,
exit 2 for bad usage and for auditing nothing, `--version`, shell completion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cloudfw import __version__

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ROOT / "fixtures" / "hosts"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudfw", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def test_usage_errors_are_one_line_with_a_hint() -> None:
    r = cli("audit", "--bogus")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("cloudfw: error: No such option: --bogus")
    assert lines[0].endswith("(try 'cloudfw audit --help')")
    missing = cli("host", "audit")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "cloudfw: error: Missing argument 'snapshots'. (try 'cloudfw host audit --help')"
    )


def test_version_and_completion() -> None:
    r = cli("--version")
    assert (r.returncode, r.stdout.strip()) == (0, f"cloudfw {__version__}")
    # typer detects the shell from the process's ancestors: run it under bash, as a user would
    # (under a harness that is not a shell, detection fails with "Shell not supported")
    comp = subprocess.run(
        ["bash", "-c", '"$0" -m cloudfw --show-completion; exit $?', sys.executable],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert comp.returncode == 0, comp.stderr
    assert "complete" in comp.stdout and "_CLOUDFW_COMPLETE" in comp.stdout
    assert "--install-completion" in cli("--help").stdout


def test_auditing_nothing_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "fleet"
    empty.mkdir()
    r = cli("host", "audit", str(empty), "--no-store")
    assert r.returncode == 2
    assert r.stderr.strip() == f"cloudfw: error: no host snapshots found in {empty}"
    gone = tmp_path / "web-01.tar.gz"
    r = cli("host", "audit", str(gone), str(HOSTS / "loose"), "--no-store")
    assert r.returncode == 2
    assert r.stderr.strip() == f"cloudfw: error: {gone}: no such file or directory"


def test_every_coverage_error_line_names_its_host(tmp_path: Path) -> None:
    for name in ("web-01", "web-02"):
        (tmp_path / f"{name}.iptables-save.txt").write_text("*filter\n:INPUT DROP [0:0]\n")
    r = cli("host", "audit", str(tmp_path), "--no-store")
    assert r.returncode == 3
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("cloudfw: error:")]
    assert len(errors) == 2
    assert "web-01.iptables-save.txt" in errors[0] and "web-02.iptables-save.txt" in errors[1]


def test_output_to_a_directory_names_it(tmp_path: Path) -> None:
    r = cli("host", "audit", str(HOSTS / "loose"), "--no-store", "-f", "json", "-o", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"cloudfw: error: {tmp_path}: is a directory (name a file in it, e.g. "
        f"{tmp_path / 'report.json'})"
    )
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_an_inverted_time_window_is_refused(tmp_path: Path) -> None:
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": []}))
    r = cli("events", str(trail), "--since", "2026-10-01", "--until", "2026-07-01", "--no-store")
    assert r.returncode == 2
    line = r.stderr.strip()
    assert "--until 2026-07-01 is not after --since 2026-10-01" in line and "\n" not in line

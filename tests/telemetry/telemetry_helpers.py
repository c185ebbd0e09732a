"""Helpers for the telemetry tests: write telemetry files, run them through the CLI, read back."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from cloudfw.cli import host, host_detect

DetectCli = Callable[..., tuple[int, str, str]]
GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, data: Any) -> None:
    """``data`` equals ``golden/NAME`` (JSON); ``CLOUDFW_UPDATE_GOLDEN=1`` rewrites it."""
    golden = GOLDEN / name
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing golden {golden}; run with CLOUDFW_UPDATE_GOLDEN=1"
    assert json.loads(golden.read_text(encoding="utf-8")) == json.loads(text)


def make_detect_cli() -> DetectCli:
    """``invoke(*args) -> (exit code, stdout, stderr)`` of the real ``cloudfw host detect ARGS``."""
    app = typer.Typer()
    host.register(app)
    host_detect.register(app)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        res = runner.invoke(app, ["host", "detect", *args])
        return res.exit_code, res.stdout, res.stderr

    return invoke


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def detections(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


# The strongest category first: what a line "is" when it yields several detections.
RANK = ("disable", "modify", "allow_process", "enumerate", "bpf_trigger", "hardened")


def strongest(found: list[dict[str, Any]]) -> dict[str, Any] | None:
    return min(found, key=lambda d: RANK.index(d["category"])) if found else None


def detect_lines(
    detect_cli: DetectCli, tmp_path: Path, platform: str, lines: list[str]
) -> dict[int, list[dict[str, Any]]]:
    """Each command line as one generic JSON Lines process event (pid = its index), run through
    the CLI once; the detections by pid (every index present, possibly empty)."""
    rows = [
        {"platform": platform, "pid": i, "host": "h1", "cmdline": c} for i, c in enumerate(lines)
    ]
    code, out, err = detect_cli(
        write_jsonl(tmp_path / f"{platform}.jsonl", rows), "--fail-on", "info"
    )
    assert code in (0, 1), err
    got: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(lines))}
    for d in detections(out):
        got[d["pid"]].append(d)
    return got


def detect_one(
    detect_cli: DetectCli, tmp_path: Path, platform: str, line: str
) -> list[dict[str, Any]]:
    return detect_lines(detect_cli, tmp_path, platform, [line])[0]


# A case table: (platform, command line, expected category or None for "nothing at all").
Cases = list[tuple[str, str, str | None]]
SEVERITY = {"disable": "high", "modify": "medium", "allow_process": "medium", "enumerate": "low",
            "hardened": "info"}  # fmt: skip


def detect_cases(tmp_path: Path, cases: Cases) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every line of a case table through the CLI (one file per platform): detections by
    (platform, line)."""
    run = make_detect_cli()
    out = {}
    for plat in sorted({p for p, _, _ in cases}):
        lines = [c for p, c, _ in cases if p == plat]
        got = detect_lines(run, tmp_path, plat, lines)
        out.update({(plat, line): found for line, found in zip(lines, got.values(), strict=True)})
    return out


def check_case(found: list[dict[str, Any]], line: str, expected: str | None) -> None:
    """Nothing for a look-alike; else the strongest detection has the category and its
    default severity."""
    if expected is None:
        assert found == [], f"look-alike fired: {line!r} -> {found}"
        return
    top = strongest(found)
    assert top is not None, f"missed: {line!r}"
    assert (top["category"], top["severity"]) == (expected, SEVERITY[expected]), (line, found)

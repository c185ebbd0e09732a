"""The conformance corpus (realworld/): command lines in the record shapes real telemetry carries,
each with its verdict, run through `cloudfw host detect`. Recall (positives detected with the
expected category and severity) must be at least 0.97, the false-alarm rate (look-alikes and
hardening that raise an alarm) at most 2%."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from realworld_corpus import CORPUS, Case, load_cases, render, write
from telemetry_helpers import check_golden, detections, make_detect_cli, strongest

from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.events import Malformed
from cloudfw.telemetry.readers import read_file
from cloudfw.telemetry.rules import ALARMS

ROOT = Path(__file__).resolve().parents[2]
CASES = load_cases()
FILES = sorted({c.file for c in CASES})
MIN_RECALL, MAX_FALSE_ALARMS = 0.97, 0.02


def _rel(name: str) -> str:
    return str((CORPUS / name).relative_to(ROOT))


def test_files_are_the_rendered_table() -> None:
    files = render(CASES)
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN"):
        write(files)
    stale = [n for n, text in files.items() if (CORPUS / n).read_text(encoding="utf-8") != text]
    assert not stale, f"{stale} differ from cases.tsv; run with CLOUDFW_UPDATE_GOLDEN=1"


def test_corpus_size_and_spread() -> None:
    assert len(CASES) >= 150
    kinds = Counter((c.platform, c.verdict in ALARMS) for c in CASES)
    for platform in ("linux", "macos", "windows"):
        assert kinds[(platform, True)] >= 20 and kinds[(platform, False)] >= 10, kinds


@pytest.fixture(scope="module")
def found() -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every corpus file through the CLI: detections by (file, pid)."""
    run = make_detect_cli()
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)  # provenance paths relative to the repository, as in the goldens
    try:
        for name in FILES:
            code, stdout, stderr = run(_rel(name), "--fail-on", "info")
            assert code == 1 and "0 unreadable or malformed" in stderr, (name, stderr)
            for d in detections(stdout):
                out.setdefault((name, d["pid"]), []).append(d)
    finally:
        os.chdir(cwd)
    return out


def _correct(case: Case, got: list[dict[str, Any]]) -> bool:
    top = strongest(got)
    if case.verdict == "none":
        return top is None
    if case.verdict == "hardened":
        return all(d["category"] == "hardened" and d["severity"] == "info" for d in got) and bool(
            got
        )
    return top is not None and (top["category"], top["severity"]) == (case.verdict, case.severity)


def test_recall_and_false_alarms(found: dict[tuple[str, int], list[dict[str, Any]]]) -> None:
    positives = [c for c in CASES if c.verdict in ALARMS]
    lookalikes = [c for c in CASES if c.verdict not in ALARMS]
    missed = [c for c in positives if not _correct(c, found.get((c.file, c.pid), []))]
    alarmed = [c for c in lookalikes
               if any(d["category"] in ALARMS for d in found.get((c.file, c.pid), []))]  # fmt: skip
    wrong = [c for c in lookalikes if not _correct(c, found.get((c.file, c.pid), []))]  # detail
    recall = 1 - len(missed) / len(positives)
    false_alarms = len(alarmed) / len(lookalikes)
    figures = (f"recall {recall:.3f} ({len(positives) - len(missed)}/{len(positives)}), "
               f"false alarms {false_alarms:.3f} ({len(alarmed)}/{len(lookalikes)}) on "
               f"{len(CASES)} command lines")  # fmt: skip
    detail = "".join(
        f"\n  {c.shape} expected {c.verdict}: {c.command}"
        f" -> {[(d['category'], d['severity']) for d in found.get((c.file, c.pid), [])]}"
        for c in missed + wrong
    )
    assert recall >= MIN_RECALL and false_alarms <= MAX_FALSE_ALARMS, figures + detail


@pytest.mark.parametrize("name", FILES)
def test_detections_golden(name: str, found: dict[tuple[str, int], list[dict[str, Any]]]) -> None:
    docs = [d for (f, _), ds in sorted(found.items()) if f == name for d in ds]
    check_golden(f"realworld-{name}.detections.json", docs)


@pytest.mark.parametrize("name", FILES)
def test_prefilter_never_hides_a_detection(name: str) -> None:
    def run(prefilter: bool) -> list[dict[str, Any]]:
        det = Detector(prefilter=prefilter)
        out = []
        for item in read_file(CORPUS / name):
            assert not isinstance(item, Malformed), item
            out += [d.to_dict() for d in det.feed(item)]
        return out + [d.to_dict() for d in det.finish()]

    assert run(True) == run(False)

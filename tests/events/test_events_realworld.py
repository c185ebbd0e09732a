"""Conformance corpus: records in the shapes real CloudTrail, Activity Log and Audit Log
deliveries carry (see tests/events/realworld/README.md), through the real `cloudfw events`
command line, against the expected output beside each file (CLOUDFW_UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from events_helpers import check_golden, run_cli

CORPUS = Path(__file__).resolve().parent / "realworld"
#: input file -> (records in it, changes it holds); the rest are look-alikes
TALLY = {
    "cloudtrail-mixed.json": (25, 19),
    "activity-portal-export.json": (10, 3),
    "PT1H.json": (8, 3),
    "activity-arm-deployment.json": (11, 5),
    "audit-log-sink.json": (21, 11),
}
READS = ("Describe", "List", "/read", ".get", ".list", "/action")


def test_the_corpus_is_big_enough() -> None:
    inputs = sorted(
        p.name for p in CORPUS.iterdir() if not p.name.endswith((".md", ".expected.jsonl"))
    )
    assert inputs == sorted(TALLY)
    assert sum(n for n, _ in TALLY.values()) >= 60


@pytest.mark.parametrize("name", sorted(TALLY))
def test_corpus_file_through_the_cli(name: str) -> None:
    code, out, err = run_cli("events", str(CORPUS / name), "--no-store")
    records, changes = TALLY[name]
    assert code == 0, err
    assert f"read 1 input(s), {records} record(s); emitted {changes} change event(s)" in err
    docs = [json.loads(line) for line in out.splitlines()]
    assert not [d["event_name"] for d in docs if any(r in d["event_name"] for r in READS)]
    check_golden(name.rsplit(".", 1)[0] + ".expected.jsonl", out, CORPUS)

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
#: input file -> the firewall reads in it (`--kind enumeration`)
ENUMERATIONS = {
    "cloudtrail-mixed.json": 6,
    "activity-portal-export.json": 2,
    "PT1H.json": 0,
    "activity-arm-deployment.json": 1,
    "audit-log-sink.json": 3,
}


def test_the_corpus_is_big_enough() -> None:
    inputs = sorted(
        p.name for p in CORPUS.iterdir() if not p.name.endswith((".md", ".expected.jsonl"))
    )
    assert inputs == sorted(TALLY) == sorted(ENUMERATIONS)
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


@pytest.mark.parametrize("name", sorted(ENUMERATIONS))
def test_corpus_file_reads_through_the_cli(name: str) -> None:
    """The same files with ``--kind enumeration``: each firewall read (CloudTrail ``Describe*``
    with its real request layouts, Activity Log ``/read``, Audit Log ``get``/``list``) is one
    ``enumerate`` line, on the path that writes CloudTrail reads straight into lines."""
    code, out, err = run_cli("events", str(CORPUS / name), "--kind", "enumeration", "--no-store")
    assert code == 0, err
    assert f"emitted 0 change event(s) and {ENUMERATIONS[name]} enumeration record(s)" in err
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == ENUMERATIONS[name]
    assert all(d["action"] == "enumerate" and d["principal"] for d in docs)
    check_golden(name.rsplit(".", 1)[0] + ".enumeration.expected.jsonl", out, CORPUS)

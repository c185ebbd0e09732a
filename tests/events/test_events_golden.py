"""Golden tests per reader: fixtures in each real layout -> the JSON Lines contract."""

from __future__ import annotations

import json

import pytest
from events_helpers import FIXTURES, check_golden, jsonl, read_path

from cloudfw.events.serialize import FIELDS

CASES = {
    "aws-trail": "aws/trail",
    "aws-lookup": "aws/lookup-events.json",
    "aws-lake": "aws/lake-query-results.json",
    "aws-eventbridge": "aws/eventbridge.jsonl",
    "azure-records": "azure/activity-records.json",
    "azure-pt1h": "azure/PT1H.json",
    "azure-api": "azure/api-eventdata.json",
    "gcp-array": "gcp/audit-entries.json",
    "gcp-jsonl": "gcp/sink-0.json",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reader_golden(name: str) -> None:
    events, stats = read_path(FIXTURES / CASES[name])
    assert stats.complete, stats.problems
    assert events, "every fixture holds firewall changes"
    text = jsonl(events)
    for line in text.splitlines():
        assert tuple(json.loads(line)) == FIELDS
    check_golden(f"{name}.jsonl", text)


def test_trail_tree_skips_digests_dedupes_and_drops_noise() -> None:
    events, stats = read_path(FIXTURES / "aws" / "trail")
    assert stats.units == 2  # the CloudTrail-Digest file is not read
    assert stats.duplicates == 1  # same eventID in the org trail and the account trail
    names = {e.event_name for e in events}
    assert not names & {"DescribeInstances", "GetObject", "ConsoleLogin", "RunInstances"}
    assert stats.records == 24  # 13 + 10 + the duplicate


def test_all_fixtures_together_dedupe_across_delivery_paths() -> None:
    events, stats = read_path(FIXTURES)
    assert stats.complete
    ids = [(e.provider, e.event_id) for e in events]
    assert len(ids) == len(set(ids))
    assert {e.provider for e in events} == {"aws", "azure", "gcp"}

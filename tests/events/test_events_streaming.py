"""Streaming: the incremental path gives the same events as the buffered one, and memory stays
flat however big the input is."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from events_helpers import FIXTURES, jsonl, read_path
from test_events_golden import CASES


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_equals_buffered(name: str) -> None:
    buffered, s1 = read_path(FIXTURES / CASES[name])
    streamed, s2 = read_path(FIXTURES / CASES[name], buffer_limit=1)
    assert s1.complete and s2.complete
    assert jsonl(streamed) == jsonl(buffered)


def _big_trail(path: Path, records: int) -> None:
    noise = {"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com",
             "eventName": "DescribeInstances", "eventTime": "2026-11-02T10:00:00Z",
             "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-0" * 20}]}},
             "userIdentity": {"arn": "arn:aws:iam::1:user/x"},
             "awsRegion": "us-east-1"}  # fmt: skip
    wrapper = {"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-1"}}}
    change = {**noise, "eventName": "DeleteFlowLogs", "requestParameters": wrapper}
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(b'{"Records":[')
        for i in range(records):
            rec = change if i % 50 == 0 else noise
            f.write((b"," if i else b"") + json.dumps({**rec, "eventID": f"e{i}"}).encode())
        f.write(b"]}")


def test_memory_stays_flat_on_a_big_file(tmp_path: Path) -> None:
    path = tmp_path / "big.json.gz"
    _big_trail(path, 60_000)  # ~20 MB of JSON in one file
    limit = 1024 * 1024  # above this, files are streamed
    tracemalloc.start()
    events, stats = read_path(tmp_path, buffer_limit=limit)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stats.complete and stats.records == 60_000 and len(events) == 1_200
    # the events themselves are kept by read_path; the stream adds only buffers
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"

"""Run as a separate process by the events store tests: `big STORE N` records one events scan of
N change events (slow enough to be killed mid-write)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cloudfw.model import Coverage, CoverageStatus
from cloudfw.store import Store


def docs(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {
            "provider": "aws",
            "account": "111122223333",
            "region": "us-east-1",
            "time": f"2026-11-01T12:00:{i % 60:02d}Z",
            "action": "rule_added",
            "event_name": "AuthorizeSecurityGroupIngress",
            "resource_id": f"sg-{i:012x}",
            "direction": "ingress",
            "peers": ["0.0.0.0/0"],
            "any_peer": True,
            "ports": [{"protocol": "tcp", "from": 22, "to": 22}],
            "principal": "arn:aws:iam::111122223333:user/alice",
            "source_ip": "198.51.100.7",
            "success": True,
            "error_code": "",
            "event_id": f"ev-{i}",
        }


def main(argv: list[str]) -> None:
    path, n = Path(argv[0]), int(argv[1])
    cov = (Coverage("events", "big", CoverageStatus.OK, resources=n),)
    with Store(path) as db:
        print("started", flush=True)
        db.record_events("big", "digest-big", cov, docs(n))
        print("committed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run as a separate process by the store tests: `loop STORE TAG N` records N small scans;
`big STORE N` records one scan with N rules and N findings (slow enough to be killed mid-write)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from cloudfw.model import Asset, Coverage, CoverageStatus, Finding, Severity
from cloudfw.store import RuleRow, Store

COV = (Coverage("aws", "aws:1:us-east-1", CoverageStatus.OK, resources=1),)


def findings(tag: str, n: int) -> Iterator[Finding]:
    for i in range(n):
        a = Asset("aws", "1", "us-east-1", "security-group", f"sg-{tag}-{i}")
        yield Finding("allow-all", Severity.HIGH, a, f"open {i}", rule_keys=(f"r{i}",))


def rules(tag: str, n: int) -> Iterator[RuleRow]:
    for i in range(n):
        yield RuleRow(f"aws:1:us-east-1:security-group:sg-{tag}-{i}", f"r{i}", f"{i:032x}")


def main(argv: list[str]) -> None:
    mode, path = argv[0], Path(argv[1])
    with Store(path) as db:
        if mode == "loop":
            tag, n = argv[2], int(argv[3])
            for i in range(n):
                db.record_scan(
                    "audit",
                    f"scope-{tag}",
                    f"digest-{tag}-{i}",
                    COV,
                    findings(f"{tag}{i}", 20),
                    rules(f"{tag}{i}", 20),
                )
        elif mode == "big":
            n = int(argv[2])
            print("started", flush=True)
            db.record_scan("audit", "big", "digest-big", COV, findings("big", n), rules("big", n))
            print("committed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

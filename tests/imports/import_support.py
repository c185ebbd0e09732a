"""Shared helpers for the import tests: fixture paths, auditing a snapshot, the AWS CLI dump."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudfw.cli.runner import audit_snapshot, load_policy
from cloudfw.export import render
from cloudfw.imports import ImportOptions, read_imports
from cloudfw.model import Snapshot

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
NOW = datetime(2026, 12, 1, tzinfo=UTC)

# `aws ec2` command -> (boto3 paginator, result key); what an auditor asks the owner to run
AWS_CALLS = {
    "describe-security-groups": ("describe_security_groups", "SecurityGroups"),
    "describe-security-group-rules": ("describe_security_group_rules", "SecurityGroupRules"),
    "describe-network-acls": ("describe_network_acls", "NetworkAcls"),
    "describe-network-interfaces": ("describe_network_interfaces", "NetworkInterfaces"),
    "describe-subnets": ("describe_subnets", "Subnets"),
    "describe-vpcs": ("describe_vpcs", "Vpcs"),
    "describe-flow-logs": ("describe_flow_logs", "FlowLogs"),
}


def findings(snap: Snapshot) -> list[dict[str, Any]]:
    """The JSON report's findings for ``snap`` (no baseline)."""
    report = audit_snapshot(snap, load_policy(None), NOW)
    doc = json.loads(render(report, "json"))
    out: list[dict[str, Any]] = doc["findings"]
    return out


def imported(*paths: Path, **opts: str) -> Snapshot:
    return read_imports(list(paths), ImportOptions(**opts), NOW)


def dump_aws_cli(client: Any, out: Path, skip: tuple[str, ...] = ()) -> None:
    """Write what `aws ec2 <command> --output json` prints for each call, one file per call
    (the CLI pages through everything and prints dates as ISO 8601 strings)."""
    out.mkdir(parents=True, exist_ok=True)
    for command, (op, key) in AWS_CALLS.items():
        if command in skip:
            continue
        items: list[Any] = []
        for page in client.get_paginator(op).paginate():
            items.extend(page.get(key) or ())
        text = json.dumps({key: items}, indent=4, default=lambda d: d.isoformat())
        (out / f"{command}.json").write_text(text + "\n")


def comparable(found: list[dict[str, Any]], *drop: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.items() if k not in drop} for f in found]


def assert_same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    """``got == want``, failing with the first finding that differs and the fields that do."""
    if got == want:
        return
    assert len(got) == len(want), f"{len(got)} findings, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if g != w:
            diff = {
                k: (g.get(k), w.get(k)) for k in sorted(set(g) | set(w)) if g.get(k) != w.get(k)
            }
            raise AssertionError(f"finding {i} ({w.get('check')} {w.get('resource_id')}): {diff}")

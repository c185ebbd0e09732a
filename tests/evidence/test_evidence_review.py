"""The review summary: scans of the window with coverage, findings opened and resolved (an
incomplete scan resolves nothing), change events with their approval status; JSON and HTML."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from evidence_helpers import export
from lxml import html as lxml_html

from cloudfw.evidence import review, review_html
from cloudfw.model import (
    Asset,
    ChangeAction,
    ChangeEvent,
    Coverage,
    CoverageStatus,
    Finding,
    Severity,
)
from cloudfw.store import Store

SCOPE = "aws:111122223333:us-east-1"
OK = (Coverage("aws", SCOPE, CoverageStatus.OK, resources=3),)
GAP = (Coverage("aws", SCOPE, CoverageStatus.ERROR, "AccessDenied: ec2:DescribeSecurityGroups"),)
BASELINE = """version: 1
approved_principals: ["arn:aws:iam::111122223333:user/alice", "*@contoso.com"]
approved:
  - id: web-https
    match: {provider: aws, resource: sg-0a1b2c3d4e5f60003}
    rules: [{direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0", "::/0"]}]
"""


def _finding(check: str, sg: str) -> Finding:
    asset = Asset("aws", "111122223333", "us-east-1", "security-group", sg)
    return Finding(check, Severity.HIGH, asset, f"{check} on {sg}", rule_keys=(f"{sg}-r",))


A = _finding("internet-ingress[ssh]", "sg-a")
B = _finding("allow-all", "sg-b")
C = _finding("internet-ingress[rdp]", "sg-c")


def _at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A scan history around the window 2026-11-01 .. 2026-11-05."""
    path = tmp_path / "history.sqlite"
    now = [_at(1, 10)]
    clock: Callable[[], datetime] = lambda: now[0]  # noqa: E731
    scans = [  # (when, coverage, findings)
        (_at(1, 10), (Coverage("aws", "aws:2:eu-west-1", CoverageStatus.OK),), [],
         "aws:2:eu-west-1"),
        (_at(20, 10), OK, [A, B], SCOPE),  # before the window: A and B open
        (_at(2), OK, [A, C], SCOPE),  # B resolved, C opened
        (_at(3), GAP, [C], SCOPE),  # incomplete: A is not seen, but not resolved either
        (_at(4), OK, [C], SCOPE),  # A resolved
        (_at(6), OK, [], SCOPE),  # after the window: C's resolution is not in it
    ]  # fmt: skip
    with Store(path, clock=clock) as db:
        for when, cov, found, scope in scans:
            now[0] = when
            db.record_scan("audit", scope, f"digest-{when:%m%d}", cov, found, [])
        now[0] = _at(3)
        db.record_events("aws:111122223333", "ev-digest", OK, [{"event_id": "e1"}])
    return path


def test_scans_findings_and_dates(tmp_path: Path, store: Path) -> None:
    export(tmp_path / "b", store=store)
    doc = json.loads((tmp_path / "b" / "review-summary.json").read_text())
    assert doc["schema"] == "cloudfw.review/1" and doc["history"]["store"] == str(store)
    assert [(s["kind"], s["started_at"][:10], s["complete"]) for s in doc["scans"]] == [
        ("audit", "2026-11-02", True), ("audit", "2026-11-03", False),
        ("events", "2026-11-03", True), ("audit", "2026-11-04", True),
    ]  # fmt: skip
    gap = doc["scans"][1]["coverage"]
    reason = "AccessDenied: ec2:DescribeSecurityGroups"
    assert gap == [{"provider": "aws", "scope": SCOPE, "status": "error", "reason": reason,
                    "resources": 0}]  # fmt: skip
    rows = {f["check"]: f for f in doc["findings"]}
    assert set(rows) == {"internet-ingress[ssh]", "allow-all", "internet-ingress[rdp]"}
    ssh, allow_all, rdp = (
        rows["internet-ingress[ssh]"],
        rows["allow-all"],
        rows["internet-ingress[rdp]"],
    )
    assert (ssh["opened_at"], ssh["resolved_at"], ssh["status"]) == (
        "2026-10-20T09:30:00Z",
        "2026-11-04T09:30:00Z",
        "resolved",
    )  # not by the 11-03 gap
    assert (allow_all["opened_at"], allow_all["resolved_at"]) == (
        "2026-10-20T09:30:00Z",
        "2026-11-02T09:30:00Z",
    )
    assert (rdp["opened_at"], rdp["resolved_at"], rdp["status"]) == (
        "2026-11-02T09:30:00Z",
        None,
        "open",
    )  # resolved on 11-06: after the window
    assert rdp["resource_id"] == "sg-c" and rdp["severity"] == "high"
    assert doc["totals"]["scans_incomplete"] == 1
    assert (doc["totals"]["findings_opened"], doc["totals"]["findings_resolved"]) == (1, 2)
    assert doc["history"]["notes"] == [
        "audit aws:2:eu-west-1: no scan in the window (last scan 2026-10-01T09:30:00Z)"
    ]


def test_changes_carry_their_approval_status(tmp_path: Path) -> None:
    base = tmp_path / "prod.yaml"
    base.write_text(BASELINE)
    export(tmp_path / "b", "--baseline", str(base))
    doc = json.loads((tmp_path / "b" / "review-summary.json").read_text())
    changes = doc["changes"]
    jsonl = [json.loads(x) for x in (tmp_path / "b" / "changes.jsonl").read_text().splitlines()]
    assert [c["event_id"] for c in changes] == [e["event_id"] for e in jsonl]
    by = {
        (c["event_name"], c["resource_id"], c["success"], c["principal"][-7:]): c for c in changes
    }
    ssh = by[("AuthorizeSecurityGroupIngress", "sg-0a1b2c3d4e5f60001", True, "r/alice")]
    assert ssh["approval"] == "unapproved"
    assert [d["check"] for d in ssh["drift"]] == ["unexpectedly-authorized"]
    https = [c for c in changes if c["resource_id"] == "sg-0a1b2c3d4e5f60003"]
    assert https and all(c["approval"] == "approved" for c in https)
    # a failed call changed nothing, unless it was made by an unapproved principal
    failed = by[("AuthorizeSecurityGroupIngress", "sg-0a1b2c3d4e5f60001", False, "r/alice")]
    assert failed["approval"] == "failed" and failed["drift"] == []
    mallory = by[("DeleteSecurityGroup", "sg-0a1b2c3d4e5f60004", False, "mallory")]
    assert mallory["approval"] == "unapproved"
    assert [d["check"] for d in mallory["drift"]] == ["unapproved-principal"]
    t = doc["totals"]
    assert (
        t["changes"]
        == len(changes)
        == t["changes_approved"] + t["changes_unapproved"] + t["changes_failed"]
    )
    assert t["changes_not_judged"] == 0 and doc["baseline"] == str(base)


def test_without_baseline_or_history_nothing_is_claimed(tmp_path: Path) -> None:
    err = export(tmp_path / "b")
    doc = json.loads((tmp_path / "b" / "review-summary.json").read_text())
    assert {c["approval"] for c in doc["changes"]} == {"not-judged"}
    assert doc["scans"] == [] and doc["findings"] == [] and doc["history"]["store"] is None
    assert "no scan history at" in err and not (tmp_path / "no-history.sqlite").exists()


def _event(i: int, resource: str = "sg-1") -> ChangeEvent:
    return ChangeEvent("aws", "1", "us-east-1", datetime(2026, 11, 2, 0, 0, i, tzinfo=UTC),
                       ChangeAction.AUTHORIZE, "AuthorizeSecurityGroupIngress", resource,
                       direction="ingress", peers=("0.0.0.0/0",), any_peer=True,
                       event_id=f"e{i}")  # fmt: skip


def test_streamed_json_is_one_document_and_html_caps_changes(tmp_path: Path) -> None:
    from cloudfw.cli.runner import load_policy

    base = tmp_path / "prod.yaml"
    base.write_text("version: 1\napproved:\n  - id: one\n    match: {provider: aws, resource: "
                    "sg-ok}\n    rules: [{direction: ingress, protocol: all, peers: "
                    '["0.0.0.0/0"]}]\n')  # fmt: skip
    judged = load_policy(base).baseline
    with (tmp_path / "spool").open("w+b") as spool:
        changes = review.ChangeReview(judged, spool)
        for i in range(10):
            changes.add(_event(i, "sg-bad" if i in (7, 9) else "sg-ok"))
        hist = review.History(None)
        doc = review.head(since=None, until=None, generated_at=_at(5), tool_version="t",
                          baseline=str(base), history=hist, changes=changes,
                          bundle_complete=True)  # fmt: skip
        out = io.BytesIO()
        review.write_json(out, doc, changes.rows())
        parsed = json.loads(out.getvalue())
        assert [c["event_id"] for c in parsed["changes"]] == [f"e{i}" for i in range(10)]
        assert changes.counts == {"approved": 8, "unapproved": 2, "failed": 0, "not-judged": 0}
        page = io.StringIO()
        review_html.write_html(page, doc, changes.rows, max_rows=3)
    dom = lxml_html.fromstring(page.getvalue())
    shown = [r.cssselect("td")[7].text_content() for r in dom.cssselect("#changes-table tbody tr")]
    assert shown == ["approved", "unapproved", "unapproved"]  # unapproved first, in time order
    assert "10 changes: this page lists 3" in dom.cssselect("#changes-cut")[0].text_content()
    empty = io.BytesIO()
    review.write_json(empty, doc, iter(()))
    assert json.loads(empty.getvalue())["changes"] == []

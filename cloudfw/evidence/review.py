"""The review summary of a bundle: what a periodic firewall review needs for its window.

* every scan recorded in the window (from the scan history, read only) with its coverage;
* every finding open at some time in the window, with the scan and time it was opened (first
  seen) and resolved (first complete scan of the same kind and scope without it). An incomplete
  scan never resolves a finding: what it could not read is not evidence that a finding is gone;
* every change event of the bundle with its approval status against the baseline.

Changes are judged one at a time as they stream by and spooled to a temporary file, so memory
stays flat however many there are; `write_json` streams them into ``review-summary.json``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from cloudfw.events.posture import event_drift
from cloudfw.events.serialize import format_time
from cloudfw.model import ChangeEvent
from cloudfw.policy.baseline import Baseline
from cloudfw.store import ScanInfo, Store

SCHEMA = "cloudfw.review/1"
SUMMARY_JSON = "review-summary.json"
SUMMARY_HTML = "review-summary.html"
APPROVED, UNAPPROVED, FAILED, NOT_JUDGED = "approved", "unapproved", "failed", "not-judged"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _when(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


class ChangeReview:
    """Judges each change event against the baseline (when there is one) and spools one row per
    event to ``spool`` (a binary file the caller owns)."""

    def __init__(self, baseline: Baseline | None, spool: IO[bytes]) -> None:
        self.baseline = baseline
        self.spool = spool
        self.counts: dict[str, int] = {APPROVED: 0, UNAPPROVED: 0, FAILED: 0, NOT_JUDGED: 0}

    def add(self, ev: ChangeEvent) -> None:
        drift = [] if self.baseline is None else event_drift([ev], self.baseline)
        if self.baseline is None:
            status = NOT_JUDGED
        elif drift:
            status = UNAPPROVED
        else:
            status = APPROVED if ev.success else FAILED
        self.counts[status] += 1
        row = {
            "time": format_time(ev), "provider": ev.provider, "account": ev.account,
            "region": ev.region, "event_name": ev.event_name, "action": ev.action.value,
            "resource_id": ev.resource_id, "principal": ev.principal, "source_ip": ev.source_ip,
            "success": ev.success, "event_id": ev.event_id, "approval": status,
            "drift": [{"check": f.check, "severity": f.severity.label, "message": f.message}
                      for f in drift],
        }  # fmt: skip
        self.spool.write(orjson.dumps(row) + b"\n")

    def rows(self) -> Iterator[bytes]:
        """The spooled rows (JSON, one per line without the newline), in event order."""
        self.spool.flush()
        self.spool.seek(0)
        for line in self.spool:
            yield line.rstrip(b"\n")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class History:
    """What the scan history says about the window."""

    store: str | None  # the store file read; None when there is none
    scans: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _in(t: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or t >= since) and (until is None or t < until)


def _scan_doc(db: Store, s: ScanInfo) -> dict[str, Any]:
    cov = [{"provider": p, "scope": sc, "status": st, "reason": r, "resources": n}
           for p, sc, st, r, n in db.coverage(s.id)]  # fmt: skip
    return {
        "id": s.id, "kind": s.kind, "scope": s.scope, "started_at": _iso(_when(s.started_at)),
        "complete": s.complete, "findings": s.findings, "rules": s.rules, "events": s.events,
        "digest": s.digest, "tool_version": s.tool_version, "coverage": cov,
    }  # fmt: skip


def _finding_row(key: str, doc: Mapping[str, Any], opened: ScanInfo) -> dict[str, Any]:
    return {
        "key": key, "kind": opened.kind, "scope": opened.scope, "check": doc.get("check"),
        "severity": doc.get("severity"), "provider": doc.get("provider"),
        "account": doc.get("account"), "region": doc.get("region"),
        "resource_id": doc.get("resource_id"), "rule_id": doc.get("rule_id"),
        "message": doc.get("message"), "opened_at": _iso(_when(opened.started_at)),
        "opened_scan": opened.id, "resolved_at": None, "resolved_scan": None, "status": "open",
    }  # fmt: skip


def _walk(
    db: Store, scans: list[ScanInfo], since: datetime | None, until: datetime | None
) -> Iterator[dict[str, Any]]:
    """The findings of one (kind, scope) series that were open at some time in the window.
    ``scans`` are the series' scans before ``until``, oldest first."""
    open_rows: dict[str, dict[str, Any]] = {}
    for s in scans:
        keys = db.finding_keys(s.id)
        fresh = keys - open_rows.keys()
        if fresh:
            docs = db.findings(s.id)
            for k in sorted(fresh):
                open_rows[k] = _finding_row(k, docs.get(k, {}), s)
        if not s.complete:
            continue
        t = _when(s.started_at)
        for k in sorted(open_rows.keys() - keys):
            row = open_rows.pop(k)
            if _in(t, since, until):
                row.update(resolved_at=_iso(t), resolved_scan=s.id, status="resolved")
                yield row
    yield from open_rows.values()


def scan_history(db: Store | None, since: datetime | None, until: datetime | None) -> History:
    """Scans in the window with their coverage, and the findings open in it (module doc)."""
    if db is None:
        return History(None, notes=["no scan history: scans and findings are not listed"])
    hist = History(str(db.path))
    series: dict[tuple[str, str], list[ScanInfo]] = defaultdict(list)
    for s in sorted(db.scans(), key=lambda x: x.id):
        if until is None or _when(s.started_at) < until:
            series[(s.kind, s.scope)].append(s)
    for (kind, scope), scans in sorted(series.items()):
        inside = [s for s in scans if _in(_when(s.started_at), since, until)]
        if not inside:
            last = _iso(_when(scans[-1].started_at))
            hist.notes.append(f"{kind} {scope}: no scan in the window (last scan {last})")
            continue
        hist.scans.extend(_scan_doc(db, s) for s in inside)
        if kind != "events":
            hist.findings.extend(_walk(db, scans, since, until))
    hist.scans.sort(key=lambda d: (d["started_at"], d["id"]))
    hist.findings.sort(key=lambda d: (d["opened_at"], d["kind"], d["scope"], d["key"]))
    return hist


def head(
    *, since: datetime | None, until: datetime | None, generated_at: datetime,
    tool_version: str, baseline: str | None, history: History, changes: ChangeReview,
    bundle_complete: bool,
) -> dict[str, Any]:  # fmt: skip
    """Everything in the summary but the change rows."""
    scans = history.scans
    return {
        "schema": SCHEMA,
        "tool": "cloudfw",
        "tool_version": tool_version,
        "generated_at": _iso(generated_at),
        "window": {"since": _iso(since), "until": _iso(until)},
        "history": {"store": history.store, "notes": history.notes},
        "baseline": baseline,
        "totals": {
            "scans": len(scans),
            "scans_complete": sum(1 for s in scans if s["complete"]),
            "scans_incomplete": sum(1 for s in scans if not s["complete"]),
            "findings": len(history.findings),
            "findings_opened": sum(
                1 for f in history.findings if _in(_when(f["opened_at"]), since, until)
            ),
            "findings_resolved": sum(1 for f in history.findings if f["status"] == "resolved"),
            "changes": changes.total,
            **{f"changes_{k.replace('-', '_')}": v for k, v in changes.counts.items()},
        },
        "events_complete": bundle_complete,
        "scans": scans,
        "findings": history.findings,
    }


def write_json(out: IO[bytes], doc: Mapping[str, Any], rows: Iterable[bytes]) -> None:
    """``doc`` plus ``"changes": [rows…]`` as one JSON document, streamed (``changes`` last)."""
    body = orjson.dumps(dict(doc), option=orjson.OPT_INDENT_2)
    out.write(body[: body.rindex(b"}")].rstrip() + b',\n  "changes": [')
    sep = b"\n    "
    for i, row in enumerate(rows):
        out.write((b"," if i else b"") + sep + row)
    out.write(b"\n  ]\n}\n")

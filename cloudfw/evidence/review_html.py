"""``review-summary.html``: the review summary as one printable page.

Self-contained (inline CSS, no script, no external resource), laid out for A4/Letter when
printed (headers repeat on each page, rows do not split). Every scan and finding is listed; the
change table lists every change up to `MAX_CHANGE_ROWS` (unapproved ones first when there are
more), and says how many more ``review-summary.json`` holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from html import escape
from itertools import islice
from typing import IO, Any

import orjson

MAX_CHANGE_ROWS = 5_000

STYLE = """
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 1.5rem 2rem;
  color: #1f2328; }
h1 { font-size: 1.5rem; margin: 1rem 0 .2rem; }
h2 { font-size: 1.15rem; margin-top: 1.6rem; border-bottom: 1px solid #d0d7de; }
.meta { color: #59636e; } ul.notes { color: #59636e; }
.cards { display: flex; gap: .8rem; flex-wrap: wrap; margin: .8rem 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .8rem; }
.card b { display: block; font-size: 1.3rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; font-size: 12px; }
th, td { border: 1px solid #d0d7de; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td { overflow-wrap: anywhere; }
.no, .unapproved, .open { color: #cf222e; font-weight: 600; }
.yes, .approved, .resolved { color: #1a7f37; }
.empty { color: #59636e; font-style: italic; }
@media print {
  body { margin: 0; font-size: 10px; } table { font-size: 9px; }
  thead { display: table-header-group; } tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
@page { margin: 12mm; }
"""


def _cell(value: object, cls: str = "") -> str:
    text = "" if value is None else str(value)
    return f'<td class="{cls}">{escape(text)}</td>' if cls else f"<td>{escape(text)}</td>"


def _table(table_id: str, head: tuple[str, ...], rows: Iterable[str], empty: str) -> Iterator[str]:
    yield f'<table id="{table_id}"><thead><tr>'
    yield "".join(f"<th>{escape(h)}</th>" for h in head)
    yield "</tr></thead><tbody>"
    n = 0
    for row in rows:
        n += 1
        yield row
    if not n:
        yield f'<tr><td class="empty" colspan="{len(head)}">{escape(empty)}</td></tr>'
    yield "</tbody></table>\n"


def _scan_row(s: Mapping[str, Any]) -> str:
    gaps = "; ".join(f"{c['scope']}: {c['status']} {c['reason']}".strip()
                     for c in s["coverage"] if c["status"] != "ok")  # fmt: skip
    complete = "yes" if s["complete"] else "NO"
    cells = [_cell(s["id"]), _cell(s["started_at"]), _cell(s["kind"]), _cell(s["scope"]),
             _cell(complete, complete.lower()), _cell(gaps or "-"), _cell(s["findings"]),
             _cell(s["events"])]  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"


def _finding_row(f: Mapping[str, Any]) -> str:
    resolved = f["resolved_at"] or "-"
    cells = [_cell(f["check"]), _cell(f["severity"]), _cell(f["resource_id"]),
             _cell(f["scope"]), _cell(f"{f['opened_at']} (scan {f['opened_scan']})"),
             _cell(resolved if f["resolved_scan"] is None
                   else f"{resolved} (scan {f['resolved_scan']})"),
             _cell(f["status"], f["status"]), _cell(f["message"])]  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"


def _change_row(c: Mapping[str, Any]) -> str:
    drift = "; ".join(f"{d['check']} ({d['severity']})" for d in c["drift"])
    cells = [_cell(c["time"]), _cell(c["provider"]), _cell(c["account"]),
             _cell(c["event_name"]), _cell(c["resource_id"]), _cell(c["principal"]),
             _cell("yes" if c["success"] else "no"), _cell(c["approval"], c["approval"]),
             _cell(drift or "-")]  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"


def _changes(rows: Callable[[], Iterator[bytes]], total: int, cap: int) -> Iterator[str]:
    """Every change when they fit; else the unapproved ones first, then the rest, to the cap."""
    docs = (orjson.loads(r) for r in rows())
    if total <= cap:
        yield from (_change_row(c) for c in docs)
        return
    bad = (c for c in docs if c["approval"] == "unapproved")
    shown = list(islice(bad, cap))
    room = cap - len(shown)
    rest = (c for c in (orjson.loads(r) for r in rows()) if c["approval"] != "unapproved")
    shown.extend(islice(rest, room))
    yield from (_change_row(c) for c in sorted(shown, key=lambda c: c["time"]))


def write_html(
    out: IO[str],
    doc: Mapping[str, Any],
    rows: Callable[[], Iterator[bytes]],
    max_rows: int = MAX_CHANGE_ROWS,
) -> None:
    """Write the page for summary ``doc`` (`review.head`) and its spooled change ``rows``
    (a callable: the rows are read twice when there are more than ``max_rows``)."""
    t = doc["totals"]
    w = doc["window"]
    title = f"cloudfw firewall review {w['since'] or '…'} to {w['until'] or '…'}"
    out.write(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
              f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
              f"style-src 'unsafe-inline'\">\n<title>{escape(title)}</title>"
              f"<style>{STYLE}</style></head>\n<body>\n<h1>{escape(title)}</h1>\n")  # fmt: skip
    baseline = doc["baseline"] or "none (changes not judged)"
    store = doc["history"]["store"] or "none"
    out.write(f'<p class="meta">Generated {escape(doc["generated_at"] or "")} by cloudfw '
              f'{escape(doc["tool_version"])}. Scan history: {escape(store)}. '
              f"Baseline: {escape(baseline)}. The manifest lists this page and "
              "review-summary.json with their SHA-256.</p>\n")  # fmt: skip
    cards = [
        ("scans", t["scans"]), ("incomplete scans", t["scans_incomplete"]),
        ("findings opened", t["findings_opened"]), ("findings resolved", t["findings_resolved"]),
        ("changes", t["changes"]), ("unapproved changes", t["changes_unapproved"]),
    ]  # fmt: skip
    out.write('<div class="cards">' + "".join(
        f'<div class="card" data-card="{escape(k)}"><b>{v}</b>{escape(k)}</div>'
        for k, v in cards) + "</div>\n")  # fmt: skip
    notes = list(doc["history"]["notes"])
    if not doc["events_complete"]:
        notes.append("some change-event inputs could not be read: see manifest.json coverage")
    if notes:
        out.write('<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in notes)
                  + "</ul>\n")  # fmt: skip
    out.write("<h2>Scans in the window</h2>\n")
    out.writelines(_table(
        "scans-table",
        ("Scan", "Started", "Kind", "Scope", "Complete", "Coverage gaps", "Findings", "Events"),
        (_scan_row(s) for s in doc["scans"]), "No scan recorded in the window.",
    ))  # fmt: skip
    out.write("<h2>Findings open in the window</h2>\n<p class=\"meta\">Opened: the first scan "
              "that saw it. Resolved: the first complete scan of the same scope without it; "
              "an incomplete scan resolves nothing.</p>\n")  # fmt: skip
    out.writelines(_table(
        "findings-table",
        ("Check", "Severity", "Resource", "Scope", "Opened", "Resolved", "Status", "Message"),
        (_finding_row(f) for f in doc["findings"]), "No finding open in the window.",
    ))  # fmt: skip
    out.write("<h2>Change events</h2>\n")
    if t["changes"] > max_rows:
        out.write(f'<p class="meta" id="changes-cut">{t["changes"]} changes: this page lists '
                  f"{max_rows} (every unapproved one first); review-summary.json and "
                  "changes.jsonl hold them all.</p>\n")  # fmt: skip
    out.writelines(_table(
        "changes-table",
        ("Time", "Provider", "Account", "Event", "Resource", "Principal", "Succeeded",
         "Approval", "Drift"),
        _changes(rows, t["changes"], max_rows), "No change event in the window.",
    ))  # fmt: skip
    out.write("</body></html>\n")

"""CSV for spreadsheets: one row per finding, columns = the JSON contract's finding fields.

List fields (techniques, compliance, rule_ids) are joined with ``;``; ``evidence`` is compact
JSON. ``peers``, and the CIDR lists inside ``message``, are written by the peer renderer without
a cut (``0.0.0.0/0 except 10.0.0.0/8; ::/0``, ``internet``), so a cell stays short and still names
the exact set; the JSON report lists every CIDR. Suppressed findings follow the open ones, with
``suppressed_by`` filled in.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from cloudfw.export.cells import message_text, peers_cell
from cloudfw.export.json_report import finding_to_dict
from cloudfw.model.report import Report

COLUMNS = (
    "check",
    "severity",
    "provider",
    "account",
    "region",
    "resource_type",
    "resource_id",
    "resource_name",
    "rule_id",
    "rule_ids",
    "direction",
    "protocol",
    "ports",
    "peers",
    "message",
    "techniques",
    "compliance",
    "risk",
    "remediation",
    "evidence",
    "key",
    "suppressed_by",
)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode() if value else ""
    return str(value)


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for f in (*report.findings, *report.suppressed):
        row = finding_to_dict(f) | {"peers": peers_cell(f), "message": message_text(f)}
        writer.writerow({c: _cell(row.get(c, "")) for c in COLUMNS})
    return buf.getvalue()

"""Human formats write peers through the one renderer and fit the screen; JSON keeps every CIDR."""

from __future__ import annotations

import csv
import io
import json
import re

from export_helpers import ALL_V6_BUT_LOOPBACK, ARM, fixed_report, wide_report

from cloudfw.export.cells import compact_peer_runs, rules_cell, short_ids
from cloudfw.export.csv_report import render_csv
from cloudfw.export.json_report import render_json
from cloudfw.export.markdown import render_markdown
from cloudfw.export.sarif import sarif_log
from cloudfw.export.table import WIDTH, fit_widths, render_table
from cloudfw.model import AddressSet
from cloudfw.model.humanize import expand

V6_TEXT = "::/0 except ::1/128"
BOTH_TEXT = "0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16; ::/0 except ::1/128"


def test_table_fits_200_columns_with_the_message_under_each_row() -> None:
    for report in (fixed_report(), wide_report()):
        lines = render_table(report).splitlines()
        assert max(len(ln) for ln in lines) <= WIDTH, max(lines, key=len)
    lines = render_table(wide_report()).splitlines()
    head = lines[0]
    assert head.split() == ["SEVERITY", "CHECK", "PROVIDER", "ACCOUNT", "REGION", "RESOURCE",
                            "RULE", "TRAFFIC", "PEERS"]  # fmt: skip
    first = lines[2]
    assert first.startswith("CRITICAL  internet-ingress[elasticsearch]")
    assert "nsg-jumpbox" in first and "tcp/9200,9300" in first
    assert first.endswith("  0.0.0.0/0 except 10.0.0.0/8, …")  # cut after a whole CIDR
    # the message is on the indented details line(s) below, its CIDR list and ARM ids shortened
    details = " ".join(ln.strip() for ln in lines[3:5] if ln.startswith(" "))
    assert f"from the internet ({V6_TEXT}) via rule tcp-any-port-internet" in details
    assert "nic-jump (20.50.1.10)" in details and "/subscriptions/" not in details
    text = "\n".join(lines)
    assert "all protocols except tcp, udp" in text  # not 0-5,7-16,18-255/all
    assert re.search(r"  app:/Applications/\S*…  ", text)  # clipped in the cell...
    assert "/Applications/Xcode.app/Contents/Developer/usr/bin/simctl may" in text  # ...not below


def test_table_summary_lines_wrap_too() -> None:
    from dataclasses import replace

    report = replace(fixed_report(), warnings=("x" * 150 + " " + "y" * 150,))
    assert max(len(ln) for ln in render_table(report).splitlines()) <= WIDTH


def test_fit_widths_shrinks_the_widest_flexible_column_first() -> None:
    natural = [8, 31, 8, 36, 11, 36, 61, 28, 40]
    widths = fit_widths(natural)  # the findings table's minimums
    assert sum(widths) + 2 * (len(widths) - 1) <= WIDTH
    assert widths[0] == 8 and widths[1] == 31 and widths[4] == 11  # never shrink
    assert widths[6] < 61 and widths[3] < 36  # the long rule ids and subscription ids give way
    assert fit_widths([8, 20, 8, 12, 9, 20, 20, 10, 20]) == [8, 20, 8, 12, 9, 20, 20, 10, 20]


def test_rule_cell_drops_the_rule_set_id_and_counts_the_rest() -> None:
    f = fixed_report().findings[2]  # allow-all on acl-0edge, rule acl-0edge:ingress:100
    assert rules_cell(f) == "ingress:100"


def test_json_keeps_the_exact_peer_set_and_message() -> None:
    report = wide_report()
    doc = json.loads(render_json(report))
    first = doc["findings"][0]
    assert first["peers"] == list(report.findings[0].peers) and len(first["peers"]) == 150
    assert first["message"] == report.findings[0].message


def test_csv_peers_are_compact_and_exact() -> None:
    report = wide_report()
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert rows[0]["peers"] == BOTH_TEXT
    assert expand(rows[0]["peers"]) == AddressSet.parse_many(report.findings[0].peers)
    assert f"from the internet ({V6_TEXT})" in rows[0]["message"]
    assert f"{ARM}/networkInterfaces/nic-jump" in rows[0]["message"]  # ids stay whole in CSV
    assert rows[2]["peers"] == V6_TEXT


def test_sarif_messages_are_compact_and_properties_exact() -> None:
    report = wide_report()
    result = sarif_log(report)["runs"][0]["results"][0]
    assert f"from the internet ({V6_TEXT})" in result["message"]["text"]
    assert "::2/127" not in result["message"]["text"]
    assert result["properties"]["peers"] == list(report.findings[0].peers)


def test_markdown_peer_cells() -> None:
    md = render_markdown(wide_report())
    assert f"| {BOTH_TEXT} |" in md
    assert "| all protocols except tcp, udp |" in md


def test_peer_runs_in_prose() -> None:
    run = ", ".join(ALL_V6_BUT_LOOPBACK)
    assert compact_peer_runs(f"allow tcp/22 from {run} on eth0.") == (
        f"allow tcp/22 from {V6_TEXT} on eth0."
    )
    once = compact_peer_runs(f"from {run}")
    assert compact_peer_runs(once) == once  # an exception list is not rendered again
    # short lists that no rendering shortens, and addresses without prefixes, stay as written
    assert compact_peer_runs("from 10.0.0.1, 10.0.0.3 at 12:00:00") == (
        "from 10.0.0.1, 10.0.0.3 at 12:00:00"
    )
    assert compact_peer_runs("from 0.0.0.0/1, 128.0.0.0/1.") == "from 0.0.0.0/0."
    # the head of a list a check cut is not a set: rendering it would claim too little
    cut = "from 0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/2, 192.0.0.0/3 and 28 more"
    assert compact_peer_runs(cut) == cut
    assert compact_peer_runs(cut.replace(" and 28", ", +28")) == cut.replace(" and 28", ", +28")


def test_arm_ids_in_prose() -> None:
    nsg = f"{ARM}/networkSecurityGroups/nsg-web"
    assert short_ids(f"{nsg} (nsg-web) allows ssh via {ARM}/networkInterfaces/nic-1.") == (
        "nsg-web allows ssh via nic-1."
    )
    assert short_ids(f"on {nsg} (20.1.2.3)") == "on nsg-web (20.1.2.3)"
    assert short_ids("sg-0abc (web)") == "sg-0abc (web)"


def test_text_table_wraps_its_last_column_under_itself() -> None:
    from cloudfw.export.table import text_table

    rows = [["a" * 50, "x", "word " * 40], ["b", "y", "short"]]
    lines = text_table(["LONG", "K", "WHY"], rows, (10, None, 30), width=60)
    assert max(len(ln) for ln in lines) <= 60
    start = lines[0].index("WHY")
    assert lines[2].split()[0].endswith("a…") and lines[2][start:].startswith("word word")
    continued = lines[3]
    assert continued[:start].strip() == "" and continued[start:].startswith("word")
    assert lines[-1].split() == ["b", "y", "short"]

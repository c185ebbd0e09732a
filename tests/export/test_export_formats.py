"""CSV, JUnit and Markdown: parse what was written and check it says what the report says."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import defusedxml.ElementTree as DET
from export_helpers import fixed_report

from cloudfw.export.csv_report import COLUMNS, render_csv
from cloudfw.export.json_report import finding_to_dict
from cloudfw.export.junit import render_junit
from cloudfw.export.markdown import render_markdown


def test_csv_one_row_per_finding_with_contract_columns() -> None:
    report = fixed_report()
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == len(report.findings) + len(report.suppressed)
    contract = set(finding_to_dict(report.findings[0]))
    assert contract <= set(COLUMNS)
    first = rows[0]
    assert first["check"] == "internet-ingress[ssh]"
    assert first["peers"] == "0.0.0.0/0"
    assert first["compliance"] == "CIS AWS v6.0 6.2;CIS AWS v6.0 6.3"
    assert first["key"] == report.findings[0].key
    assert rows[-1]["suppressed_by"] == "bastion"
    quoted = next(r for r in rows if r["check"] == "internet-ingress[rdp]")
    assert quoted["message"] == 'RDP "open" | from <anywhere> & more'


def test_junit_failures_per_check_and_resource() -> None:
    report = fixed_report()
    root = DET.fromstring(render_junit(report, checks=["internet-ingress", "firewall-disabled"]))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    ssh = suites["internet-ingress[ssh]"]
    cases = ssh.findall("testcase")
    assert len(cases) == 1  # two findings on the same SG: one (check, resource) testcase
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert "sgr-1" in (failure.text or "") and "sgr-2" in (failure.text or "")
    # a check that ran clean: one passing testcase; one that has findings: no passing suite
    clean = suites["firewall-disabled"].findall("testcase")
    assert len(clean) == 1 and clean[0].find("failure") is None
    assert "internet-ingress" not in suites
    cov = suites["coverage"]
    assert cov.get("errors") == "1"
    errs = [c for c in cov.findall("testcase") if c.find("error") is not None]
    assert [c.get("name") for c in errs] == ["aws:123456789012:eu-west-1"]
    failing = sum(1 for c in root.iter("testcase") if c.find("failure") is not None)
    assert root.get("failures") == str(failing) == "8"
    assert root.get("tests") == str(sum(1 for _ in root.iter("testcase")))


def test_junit_checks_run_from_report_extra() -> None:
    report = replace(fixed_report(), extra={"checks_run": ["default-group-open"]})
    root = DET.fromstring(render_junit(report))
    assert "default-group-open" in {s.get("name") for s in root.iter("testsuite")}


def test_markdown_summary() -> None:
    md = render_markdown(fixed_report())
    assert "| 1 | 4 | 3 | 1 | 0 |" in md
    assert "coverage **INCOMPLETE**" in md
    assert "`aws:123456789012:eu-west-1`" in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| critical") or ln.startswith("| high")]
    assert rows[1].startswith("| critical | `allow-all`")  # worst first
    assert "| nsg-app |" in md and "/subscriptions/" not in md  # names, not ARM ids


def test_html_lists_the_effective_exposure_from_report_extra() -> None:
    from lxml import html as lxml_html

    from cloudfw.export.html import render_html

    rows = [
        {"resource": "i-0web", "ports": "tcp/22", "via": "acl-0edge & sg-0web"},
        {"resource": "i-0db", "ports": "tcp/5432", "via": "<nsg>"},
    ]
    dom = lxml_html.fromstring(render_html(replace(fixed_report(), extra={"exposure": rows})))
    table = dom.cssselect("#effective-exposure-table")[0]
    # columns in the order the rows give them (the exposure view puts the asset first)
    assert [th.text_content() for th in table.cssselect("th")] == ["resource", "ports", "via"]
    cells = [[td.text_content() for td in tr.cssselect("td")] for tr in table.cssselect("tbody tr")]
    assert cells == [["i-0web", "tcp/22", "acl-0edge & sg-0web"], ["i-0db", "tcp/5432", "<nsg>"]]

"""JUnit XML for CI dashboards.

One ``testsuite`` per check. Inside it, one ``testcase`` per (check, resource) that has findings,
failed with one ``failure`` listing each finding (rule, traffic, peers). A report holds findings,
not the clean (check, resource) pairs, so passing testcases exist only at check level: every check
named in ``checks`` (or in ``report.extra["checks_run"]``) that produced no finding gets one
suite with one passing testcase. Scopes that could not be read are ``error`` testcases in a
``coverage`` suite, so an incomplete scan never looks green.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from itertools import groupby

from cloudfw.export.cells import message_text, peers_cell, traffic_cell
from cloudfw.model import Finding
from cloudfw.model.report import Report

#: peers (and CIDRs in a message) listed before "+N more"
PEER_LIMIT = 8


def _line(f: Finding) -> str:
    traffic = f"{f.direction} {traffic_cell(f)}".strip()
    peers = peers_cell(f, PEER_LIMIT)
    rules = ", ".join(f.rule_keys) or "-"
    text = f"[{f.severity.label}] rule {rules}: {traffic} {peers} -- {message_text(f, PEER_LIMIT)}"
    return text.replace("  ", " ")


def _checks_run(report: Report, checks: Iterable[str]) -> set[str]:
    extra = report.extra.get("checks_run", ())
    named = [str(c) for c in extra] if isinstance(extra, list | tuple) else []
    return {*checks, *named}


def render_junit(report: Report, checks: Iterable[str] = ()) -> str:
    stamp = report.generated_at.isoformat()
    root = ET.Element("testsuites", name="cloudfw", timestamp=stamp)
    total = failures = errors = 0
    by_check = sorted(report.findings, key=lambda f: (f.check, f.asset.uid))
    seen: set[str] = set()
    for check, group in groupby(by_check, key=lambda f: f.check):
        cases = [(uid, list(fs)) for uid, fs in groupby(group, key=lambda f: f.asset.uid)]
        seen.add(check)
        seen.add(check.split("[", 1)[0])
        suite = ET.SubElement(
            root,
            "testsuite",
            name=check,
            tests=str(len(cases)),
            failures=str(len(cases)),
            errors="0",
            timestamp=stamp,
        )
        for _, fs in cases:
            a = fs[0].asset
            case = ET.SubElement(
                suite,
                "testcase",
                name=a.label(),
                classname=f"{check}.{a.provider}.{a.account}.{a.region}",
            )
            worst = max(f.severity for f in fs)
            fail = ET.SubElement(
                case, "failure", type=worst.label, message=f"{len(fs)} finding(s): {fs[0].message}"
            )
            fail.text = "\n".join(_line(f) for f in fs)
        total += len(cases)
        failures += len(cases)
    for check in sorted(_checks_run(report, checks) - seen):
        suite = ET.SubElement(
            root, "testsuite", name=check, tests="1", failures="0", errors="0", timestamp=stamp
        )
        ET.SubElement(suite, "testcase", name="no findings", classname=check)
        total += 1
    if report.coverage:
        failed = [c for c in report.coverage if not c.ok]
        suite = ET.SubElement(
            root,
            "testsuite",
            name="coverage",
            tests=str(len(report.coverage)),
            failures="0",
            errors=str(len(failed)),
            timestamp=stamp,
        )
        for c in report.coverage:
            case = ET.SubElement(
                suite, "testcase", name=c.scope, classname=f"coverage.{c.provider}"
            )
            if not c.ok:
                err = ET.SubElement(case, "error", type="incomplete", message=c.reason)
                err.text = f"{c.scope} could not be read: {c.reason}"
        total += len(report.coverage)
        errors += len(failed)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"

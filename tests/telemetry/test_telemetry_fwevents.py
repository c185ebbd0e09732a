"""Firewall audit records -> categories, and the detection's Finding / OCSF forms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudfw.export.ocsf import detection_finding
from cloudfw.model import Severity
from cloudfw.telemetry.detect import detect_firewall_event
from cloudfw.telemetry.events import FirewallEvent, file_ref

WFAS = "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
MSMPENG = "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18\\MsMpEng.exe"


def _ev(eid: int, channel: str = "Security", **kw: str) -> FirewallEvent:
    return FirewallEvent(
        file_ref("e.xml", 3, "1"), "windows", eid, channel=channel, host="w1", **kw
    )


@pytest.mark.parametrize(
    ("event", "category", "severity"),
    [
        (_ev(4946, rule_name="x"), "modify", Severity.MEDIUM),
        (_ev(4947), "modify", Severity.MEDIUM),
        (_ev(4948), "modify", Severity.MEDIUM),
        (_ev(4949), "modify", Severity.MEDIUM),
        (_ev(4950, setting_type="Enable Windows Defender Firewall", setting_value="No"), "disable",
         Severity.HIGH),
        (_ev(4950, setting_type="Enable Windows Defender Firewall", setting_value="Yes"),
         "hardened", Severity.INFO),
        (_ev(2003, WFAS, setting_type="Enable Windows Defender Firewall", setting_value="Yes"),
         "hardened", Severity.INFO),
        (_ev(5025), "disable", Severity.HIGH),
        (_ev(5034), "disable", Severity.HIGH),
        (_ev(2003, WFAS, setting_type="Enable Windows Firewall", setting_value="No"), "disable",
         Severity.HIGH),
        (_ev(2082, WFAS, setting_type="Log Dropped Packets", setting_value="No"), "modify",
         Severity.MEDIUM),
        (_ev(2004, WFAS, action="3", application_path="C:\\Users\\Public\\a.exe"), "allow_process",
         Severity.MEDIUM),
        (_ev(2071, WFAS, action="3"), "modify", Severity.MEDIUM),
        (_ev(2097, WFAS, action="2", application_path=MSMPENG), "modify", Severity.HIGH),
        (_ev(2097, WFAS, action="2", application_path="C:\\Tools\\game.exe"), "modify",
         Severity.MEDIUM),
        (_ev(2005, WFAS), "modify", Severity.MEDIUM),
        (_ev(2073, WFAS), "modify", Severity.MEDIUM),
        (_ev(2006, WFAS), "modify", Severity.MEDIUM),
        (_ev(2052, WFAS), "modify", Severity.MEDIUM),
        (_ev(2033, WFAS), "disable", Severity.HIGH),
        (_ev(13, SYSMON, setting_type="HKLM\\...\\FirewallPolicy\\PublicProfile\\EnableFirewall",
             setting_value="DWORD (0x00000000)"), "disable", Severity.HIGH),
        (_ev(13, SYSMON, setting_type="HKLM\\...\\FirewallPolicy\\PublicProfile\\EnableFirewall",
             setting_value="DWORD (0x00000001)"), "hardened", Severity.INFO),
        (_ev(13, SYSMON, setting_value="DWORD (0x00000001)",
             setting_type="HKLM\\...\\FirewallPolicy\\PublicProfile\\DisableNotifications"),
         "modify", Severity.MEDIUM),
        (FirewallEvent(file_ref("a.log", 1), "linux", 0, unit="firewalld"), "disable",
         Severity.HIGH),
        (FirewallEvent(file_ref("a.log", 1), "linux", 0, unit="nftables.service"), "disable",
         Severity.HIGH),
        (FirewallEvent(file_ref("a.log", 1), "linux", 0, unit="SuSEfirewall2.service"), "disable",
         Severity.HIGH),
    ],
)  # fmt: skip
def test_event_categories(event: FirewallEvent, category: str, severity: Severity) -> None:
    [det] = detect_firewall_event(event)
    assert (det.category, det.severity) == (category, severity)
    assert det.source == event.source
    if event.platform == "windows" and category != "hardened":
        assert det.techniques[0] == "T1686.003"


@pytest.mark.parametrize(
    "event",
    [
        _ev(4624),
        _ev(2002, WFAS),
        FirewallEvent(file_ref("a.log", 1), "linux", 0, unit="nginx.service"),
    ],
)
def test_events_that_are_nothing(event: FirewallEvent) -> None:
    assert detect_firewall_event(event) == []


def test_finding_and_ocsf() -> None:
    [det] = detect_firewall_event(_ev(5025))
    f = det.to_finding()
    assert f.check == "host-tamper[disable]" and f.severity is Severity.HIGH
    assert f.asset.resource_id == "w1" and f.asset.provider == "host"
    assert f.techniques == ("T1686.003", "T1562.004") and f.rule_keys == (
        "win-5025-service-stopped",
    )
    assert f.evidence["source"] == {"file": "e.xml", "line": 3, "record": "1"}
    o = detection_finding(det, "test", datetime(2026, 11, 1, tzinfo=UTC))
    assert (o["class_uid"], o["severity_id"]) == (2004, 4)
    assert [a["technique"]["uid"] for a in o["finding_info"]["attacks"]] == [
        "T1686.003",
        "T1562.004",
    ]
    assert o["resources"][0]["name"] == "w1"

"""Firewall audit records as detections: Windows Security 4946-4950/5025/5034, Windows Firewall
With Advanced Security 2003-2006/2033/2052/2071/2073/2097, Sysmon 12/13 on firewall policy
registry values, auditd SERVICE_STOP of a firewall unit (the services of ``rulebase``, one list with
the command-line rules: a firewall's stop is ``disable``, pflog's is a logging ``modify``,
netfilter-persistent's removes nothing).

Like ``rules``, the outcomes are data (``EVENT_RULES``); ``classify_firewall_event`` only picks the
variant an event's fields call for.
"""

from __future__ import annotations

import re

from cloudfw.model import Severity
from cloudfw.telemetry.events import FirewallEvent
from cloudfw.telemetry.rulebase import FIREWALL_SERVICES, LOGGING_SERVICES
from cloudfw.telemetry.rules import (
    ALLOW_PROCESS,
    DISABLE,
    HARDENED,
    MODIFY,
    SECURITY_TOOLS,
    T_HOST,
    T_WIN_VS_TOOLS,
    T_WINDOWS,
    Rule,
)


def _e(rid: str, category: str, reason: str, **kw: object) -> Rule:
    kw.setdefault("techniques", T_WINDOWS)
    return Rule(rid, "event", "", category, reason, **kw)  # type: ignore[arg-type]


EVENT_RULES: dict[str, Rule] = {
    "4946": _e("win-4946-rule-added", MODIFY, "a Windows Firewall rule was added (Security 4946)"),
    "4947": _e("win-4947-rule-modified", MODIFY,
               "a Windows Firewall rule was modified (Security 4947)"),
    "4948": _e("win-4948-rule-deleted", MODIFY,
               "a Windows Firewall rule was deleted (Security 4948)"),
    "4949": _e("win-4949-restored", MODIFY,
               "Windows Firewall settings were restored to defaults (Security 4949)"),
    "4950": _e("win-4950-setting", MODIFY, "a Windows Firewall setting changed (Security 4950)"),
    "4950-off": _e("win-4950-off", DISABLE,
                   "a Windows Firewall profile was turned off (Security 4950)"),
    "4950-on": _e("win-4950-on", HARDENED,
                  "a Windows Firewall profile was turned on (Security 4950)"),
    "5025": _e("win-5025-service-stopped", DISABLE,
               "the Windows Firewall service was stopped (Security 5025)"),
    "5034": _e("win-5034-driver-stopped", DISABLE,
               "the Windows Firewall driver was stopped (Security 5034)"),
    "2003": _e("wfas-2003-profile-setting", MODIFY,
               "a Windows Firewall profile setting changed (WFAS 2003/2082)"),
    "2003-off": _e("wfas-2003-off", DISABLE,
                   "a Windows Firewall profile was turned off (WFAS 2003/2082)"),
    "2003-on": _e("wfas-2003-on", HARDENED,
                  "a Windows Firewall profile was turned on (WFAS 2003/2082)"),
    "2004": _e("wfas-2004-rule-added", MODIFY,
               "a Windows Firewall rule was added (WFAS 2004/2071/2097)"),
    "2004-allow": _e("wfas-2004-allow-program", ALLOW_PROCESS,
                     "a Windows Firewall allow rule for a program was added (WFAS 2004/2071/2097)"),
    "2004-block-tool": _e("wfas-2004-block-tool", MODIFY,
                          "a Windows Firewall rule blocks a security tool (WFAS 2004/2071/2097)",
                          severity=Severity.HIGH, techniques=T_WIN_VS_TOOLS),
    "2005": _e("wfas-2005-rule-modified", MODIFY,
               "a Windows Firewall rule was modified (WFAS 2005/2073)"),
    "2006": _e("wfas-2006-rule-deleted", MODIFY,
               "a Windows Firewall rule was deleted (WFAS 2006/2052)"),
    "2033": _e("wfas-2033-all-deleted", DISABLE,
               "all Windows Firewall rules were deleted (WFAS 2033/2059)"),
    "sysmon-13-off": _e("sysmon-13-enablefirewall-0", DISABLE,
                        "the registry value EnableFirewall was set to 0 (Sysmon 13)"),
    "sysmon-13-on": _e("sysmon-13-enablefirewall-1", HARDENED,
                       "the registry value EnableFirewall was set to 1 (Sysmon 13)"),
    "sysmon-13": _e("sysmon-13-firewall-registry", MODIFY,
                    "a Windows Firewall policy registry value changed (Sysmon 12/13)"),
    "service-stop": _e("linux-service-stop", DISABLE,
                       "a firewall service was stopped (auditd SERVICE_STOP)", techniques=T_HOST),
    "service-stop-logging": _e("linux-service-stop-logging", MODIFY,
                               "pflog, pf's logging, was stopped (auditd SERVICE_STOP)",
                               techniques=T_HOST),
}  # fmt: skip

_ALIASES = {"2082": "2003", "2071": "2004", "2097": "2004", "2073": "2005", "2052": "2006",
            "2059": "2033"}  # fmt: skip
_OFF_SETTING = re.compile(r"(enable (windows (defender )?)?firewall|firewall state)", re.IGNORECASE)
_OFF_VALUE = re.compile(r"^\s*(no|off|false|0|disabled?)\s*$", re.IGNORECASE)
_ON_VALUE = re.compile(r"^\s*(yes|on|true|1|enabled?)\s*$", re.IGNORECASE)
_TOOL_PATH = re.compile(rf"(^|[\\/]){SECURITY_TOOLS}$", re.IGNORECASE)
# SERVICE_STOP unit -> what its stop means; netfilter-persistent is absent: its stop removes nothing
_UNIT_STOPS = {**dict.fromkeys(FIREWALL_SERVICES, "service-stop"),
               **dict.fromkeys(LOGGING_SERVICES, "service-stop-logging")}  # fmt: skip


def classify_firewall_event(ev: FirewallEvent) -> Rule | None:
    if ev.event_id in (12, 13) and "sysmon" in ev.channel.lower():
        value = ev.setting_value.strip().lower()
        enable = ev.setting_type.lower().endswith("\\enablefirewall")
        if enable and value in ("0", "dword (0x00000000)", "0x00000000"):
            return EVENT_RULES["sysmon-13-off"]
        if enable and value in ("1", "dword (0x00000001)", "0x00000001"):
            return EVENT_RULES["sysmon-13-on"]
        return EVENT_RULES["sysmon-13"]
    if ev.event_id == 0:  # auditd SERVICE_STOP
        meaning = _UNIT_STOPS.get(ev.unit.strip().lower().removesuffix(".service"))
        return EVENT_RULES[meaning] if meaning else None
    key = str(ev.event_id)
    key = _ALIASES.get(key, key)
    if key in ("4950", "2003") and _OFF_SETTING.search(ev.setting_type):
        if _OFF_VALUE.match(ev.setting_value):
            return EVENT_RULES[f"{key}-off"]
        if _ON_VALUE.match(ev.setting_value):
            return EVENT_RULES[f"{key}-on"]
    if key == "2004":
        app = ev.application_path.strip()
        if ev.action == "2" and app and _TOOL_PATH.search(app):
            return EVENT_RULES["2004-block-tool"]
        if ev.action == "3" and app:
            return EVENT_RULES["2004-allow"]
    return EVENT_RULES.get(key)

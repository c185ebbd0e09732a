"""`cmd /c start [/b] [/min] ["title"] ...`, `start` alone and `cmd /c` / `cmd /k` chains are
unwrapped before detection, through the CLI on generic JSON Lines and Sysmon records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telemetry_helpers import DetectCli, detect_one, detections, strongest

WRAPPED: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("cmd /c start /b netsh advfirewall set allprofiles state off", "disable", ("cmd /c", "start")),
    ('cmd.exe /c start "" /min netsh advfirewall set allprofiles state off', "disable",
     ("cmd /c", "start")),
    ('cmd /c start "fw" /b /wait netsh advfirewall firewall add rule name=x dir=in action=allow '
     "protocol=TCP localport=4444", "modify", ("cmd /c", "start")),
    ("start /b netsh advfirewall set currentprofile state off", "disable", ("start",)),
    ('start "" sc.exe stop MpsSvc', "disable", ("start",)),
    ("cmd /c start /D C:\\Windows\\System32 /high netsh firewall set opmode disable", "disable",
     ("cmd /c", "start")),
    ('cmd /c start /DC:\\Temp /NODE 1 /AFFINITY 0x3 netsh advfirewall set allprofiles state off',
     "disable", ("cmd /c", "start")),
    ('cmd /c start "" "C:\\Windows\\System32\\netsh.exe" advfirewall set allprofiles state off',
     "disable", ("cmd /c", "start")),
    ('cmd /c "start /b cmd /k netsh advfirewall set allprofiles state off"', "disable",
     ("cmd /c", "start", "cmd /c")),
    ('cmd.exe /q /c cmd.exe /k "sc stop MpsSvc"', "disable", ("cmd /c", "cmd /c")),
    ("cmd /c cmd /c netsh advfirewall set publicprofile state off", "disable",
     ("cmd /c", "cmd /c")),
    ('cmd.exe /c "whoami & start /b net stop mpssvc"', "disable", ("cmd /c", "start")),
    ('C:\\Windows\\system32\\cmd.exe /S /C ""netsh" advfirewall set allprofiles state off"',
     "disable", ("cmd /c",)),
    ("cmd /V:ON /E:ON /c netsh advfirewall set allprofiles state off", "disable", ("cmd /c",)),
    ("powershell -Command \"Start-Process cmd -ArgumentList '/c start /b netsh advfirewall set "
     "allprofiles state off' -WindowStyle Hidden\"", "disable",
     ("powershell -command", "Start-Process", "cmd /c", "start")),
    # look-alikes: a quoted first argument of start is the window title, not a program
    ('cmd /c start "netsh advfirewall set allprofiles state off"', None, ()),
    ("cmd /c start notepad C:\\notes\\netsh-advfirewall-state-off.txt", None, ()),
    ("cmd /c echo start /b netsh advfirewall set allprofiles state off", None, ()),
    ('cmd /c start "" /b ping -n 1 firewall.corp.example', None, ()),
]  # fmt: skip


@pytest.mark.parametrize(("line", "expected", "via"), WRAPPED)
def test_wrapped_command(
    detect_cli: DetectCli, tmp_path: Path, line: str, expected: str | None, via: tuple[str, ...]
) -> None:
    found = detect_one(detect_cli, tmp_path, "windows", line)
    top = strongest(found)
    if expected is None:
        assert found == [], f"look-alike fired: {line!r} -> {found}"
        return
    assert top is not None, f"missed: {line!r}"
    assert top["category"] == expected, (line, found)
    assert tuple(top["via"]) == via, (line, top["via"])


def test_sysmon_record_with_start(detect_cli: DetectCli, tmp_path: Path) -> None:
    data = {
        "Image": "C:\\Windows\\System32\\cmd.exe", "ProcessId": "7001", "ParentProcessId": "600",
        "CommandLine": '"C:\\Windows\\system32\\cmd.exe" /c start "" /min netsh advfirewall set '
                       "domainprofile state off",
        "User": "CORP\\svc_build", "UtcTime": "2026-11-21 08:00:00.000",
    }  # fmt: skip
    rec = {"winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1,
                      "computer_name": "WKS-7.corp.example", "event_data": data}}  # fmt: skip
    path = tmp_path / "sysmon.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    code, out, _ = detect_cli(str(path))
    [det] = detections(out)
    assert code == 1 and det["category"] == "disable" and det["pid"] == 7001
    assert det["command"] == "netsh advfirewall set domainprofile state off"
    assert det["via"] == ["cmd /c", "start"]

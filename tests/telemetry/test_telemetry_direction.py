"""Direction-aware Windows verbs: enabling or tightening is `hardened` (info, no technique, never
fails a run at the default --fail-on), disabling or weakening stays an alarm; CIM/WMI enumeration
of the firewall classes is enumeration (low)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telemetry_helpers import DetectCli, detect_lines, make_detect_cli, strongest, write_jsonl

FWP = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy"
POL = "HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
H, D, M, E = "hardened", "disable", "modify", "enumerate"

CASES: list[tuple[str, str | None]] = [
    ('powershell "Set-NetFirewallProfile -Profile Domain,Public,Private -Enabled True"', H),
    ('powershell -Command "Set-NetFirewallProfile -All -Enabled:$true"', H),
    ('powershell -Command "Set-NetFirewallProfile -DefaultInboundAction Block"', H),
    ('powershell -Command "Set-NetFirewallProfile -Name Public -DefaultInboundAction Block '
     '-LogBlocked True -LogFileName %SystemRoot%\\System32\\LogFiles\\Firewall\\pfirewall.log"', H),
    ('powershell -Command "Set-NetFirewallProfile -All -AllowInboundRules False '
     '-AllowUnicastResponseToMulticast False"', H),
    ("netsh advfirewall set allprofiles state on", H),
    ("netsh advfirewall set domainprofile firewallpolicy blockinbound,allowoutbound", H),
    ("netsh firewall set opmode mode=enable", H),
    ("netsh advfirewall set allprofiles logging droppedconnections enable", H),
    (f'reg add "{FWP}\\StandardProfile" /v EnableFirewall /t REG_DWORD /d 1 /f', H),
    (f'reg add "{POL}\\PublicProfile" /v DefaultInboundAction /t REG_DWORD /d 1 /f', H),
    ("powershell \"Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\"
     "SharedAccess\\Parameters\\FirewallPolicy\\DomainProfile' -Name EnableFirewall -Value 1\"", H),
    # disabling or weakening stays an alarm, also next to a hardening switch
    ('powershell -Command "Set-NetFirewallProfile -All -Enabled False"', D),
    ('powershell -Command "Set-NetFirewallProfile -DefaultInboundAction Allow"', D),
    ('powershell -Command "Set-NetFirewallProfile -Enabled True -DefaultInboundAction Allow"', D),
    ('powershell -Command "Set-NetFirewallProfile -Enabled True -LogBlocked False"', M),
    ('powershell -Command "Set-NetFirewallProfile -Profile Public -AllowLocalFirewallRules True"',
     M),
    ('powershell -Command "Set-NetFirewallProfile -DefaultOutboundAction Block"', M),
    ('powershell -Command "Set-NetFirewallProfile -LogFileName C:\\Users\\Public\\fw.log"', M),
    ("netsh advfirewall set allprofiles firewallpolicy blockinbound,blockoutbound", M),
    ("netsh advfirewall set allprofiles settings remotemanagement enable", M),
    ("netsh advfirewall set allprofiles state off", D),
    (f'reg add "{FWP}\\DomainProfile" /v DisableNotifications /t REG_DWORD /d 1 /f', M),
    (f'reg add "{FWP}\\DomainProfile" /v DefaultInboundAction /t REG_DWORD /d 0 /f', D),
    (f'reg add "{FWP}\\PublicProfile" /v EnableFirewall /t REG_DWORD /d 0 /f', D),
    # CIM / WMI
    ('powershell "Get-CimInstance -Namespace root/StandardCimv2 -ClassName MSFT_NetFirewallRule"',
     E),
    ('powershell "gcim -Namespace root\\StandardCimv2 -ClassName MSFT_NetFirewallProfile"', E),
    ('powershell "Get-WmiObject -Namespace root\\StandardCimv2 -Class MSFT_NetFirewallRule"', E),
    ('powershell "gwmi -Namespace root/SecurityCenter2 -Class FirewallProduct"', E),
    ("powershell \"Get-CimInstance -Namespace root/StandardCimv2 -Query 'SELECT * FROM "
     "MSFT_NetFirewallPortFilter'\"", E),
    ("wmic /namespace:\\\\root\\StandardCimv2 path MSFT_NetFirewallRule get DisplayName,Enabled",
     E),
    ("powershell \"Get-CimInstance -Namespace ROOT\\StandardCimv2 -ClassName MSFT_NetFirewallRule "
     "-Filter 'DisplayName=\\\"Remote Desktop - Shadow (TCP-In)\\\"' | Invoke-CimMethod "
     '-MethodName Enable"', M),
    ('powershell "Get-CimInstance Win32_OperatingSystem | Select-Object Version"', None),
    ('powershell "Get-WmiObject -Class Win32_Service -Filter \\"Name=\'Spooler\'\\""', None),
]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    lines = [c for c, _ in CASES]
    got = detect_lines(make_detect_cli(), tmp_path_factory.mktemp("dir"), "windows", lines)
    return dict(zip(lines, got.values(), strict=True))


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_direction(results: dict, line: str, expected: str | None) -> None:
    found = results[line]
    if expected is None:
        assert found == [], f"look-alike fired: {line!r} -> {found}"
        return
    top = strongest(found)
    assert top is not None and top["category"] == expected, (line, found)
    if expected == H:
        assert all(d["category"] == H for d in found), found
        assert top["severity"] == "info" and top["techniques"] == []
    if expected == E:
        assert top["severity"] == "low" and top["techniques"] == ["T1518.001"]


def test_hardened_does_not_fail_the_run(detect_cli: DetectCli, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "on.jsonl", [
        {"platform": "windows", "pid": 1, "cmdline": "netsh advfirewall set allprofiles state on"}
    ])  # fmt: skip
    code, out, err = detect_cli(f)
    assert code == 0 and '"category":"hardened"' in out and "1 detections" in err
    assert detect_cli(f, "--fail-on", "info")[0] == 1

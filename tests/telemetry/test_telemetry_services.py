"""Firewall services stopped or disabled, for every firewall the host parsers know, across the
service managers; starting them is `hardened` (info), other services are nothing."""

from __future__ import annotations

import pytest
from telemetry_helpers import check_case, detect_cases

D, H, E = "disable", "hardened", "enumerate"

CASES: list[tuple[str, str, str | None]] = [
    ("linux", "/etc/init.d/iptables stop", D),
    ("linux", "/etc/init.d/ip6tables stop", D),
    ("linux", "/etc/rc.d/init.d/iptables stop", D),
    ("linux", "sudo /etc/init.d/ufw stop", D),
    ("linux", "/etc/init.d/netfilter-persistent flush", D),
    ("linux", "/etc/init.d/firewalld stop", D),
    ("linux", "/etc/init.d/nftables stop", D),
    ("linux", "/etc/rc.d/pf stop", D),
    ("linux", "service firewalld stop", D),
    ("linux", "service netfilter-persistent flush", D),
    ("linux", "service SuSEfirewall2 stop", D),
    ("linux", "SuSEfirewall2 stop", D),
    ("linux", "/sbin/SuSEfirewall2 off", D),
    ("linux", "rcSuSEfirewall2 stop", D),
    ("linux", "systemctl stop SuSEfirewall2", D),
    ("linux", "systemctl disable SuSEfirewall2_init.service", D),
    ("linux", "/lib/ufw/ufw-init flush", D),
    ("linux", "/lib/ufw/ufw-init stop", D),
    ("linux", "rc-service iptables stop", D),
    ("linux", "rc-update del ufw default", D),
    ("linux", "chkconfig --del iptables", D),
    ("linux", "chkconfig iptables off", D),
    ("linux", "update-rc.d -f netfilter-persistent remove", D),
    ("linux", "systemctl mask --now nftables.service", D),
    ("linux", "systemctl kill firewalld", D),  # SIGTERM: firewalld stops and removes its rules
    ("linux", "systemctl stop shorewall", D),
    ("linux", "netfilter-persistent flush", D),
    ("linux", "sysrc pf_enable=NO", D),
    ("linux", "sh -c 'cd /; service iptables stop; SuSEfirewall2 stop'", D),
    ("macos", "launchctl bootout system /System/Library/LaunchDaemons/com.apple.alf.agent.plist",
     D),
    ("macos", "launchctl unload -w /System/Library/LaunchDaemons/com.apple.alf.agent.plist", D),
    ("macos", "sudo launchctl stop com.apple.alf", D),
    ("windows", "sc stop MpsSvc", D),
    ("windows", "sc.exe config mpssvc start= disabled", D),
    ("windows", 'sc config "MpsSvc" start=disabled', D),
    ("windows", "sc \\\\FS01 stop BFE", D),
    ("windows", "sc config mpsdrv start= disabled", D),
    ("windows", 'net stop "Windows Defender Firewall" /y', D),
    ("windows", "net stop bfe", D),
    ("windows", 'powershell "Stop-Service -Force -Name MpsSvc"', D),
    ("windows", 'powershell "Get-Service -Name MpsSvc | Stop-Service -Force"', D),
    ("windows", 'powershell "Set-Service -Name BFE -StartupType Disabled"', D),
    ("windows", 'powershell "Set-Service mpssvc -Status Stopped"', D),
    ("windows", 'powershell "Get-Service mpssvc | Set-Service -StartupType Disabled"', D),
    ("windows", "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\MpsSvc /v Start /t REG_DWORD "
     "/d 4 /f", D),
    ("windows", 'powershell "Set-ItemProperty -Path '
     'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\BFE -Name Start -Value 4"', D),
    ("windows", "wmic service where name='MpsSvc' call StopService", D),
    ("windows", "wmic service where \"name='mpssvc'\" call ChangeStartMode Disabled", D),
    # starting a firewall is hardening
    ("linux", "systemctl start firewalld", H),
    ("linux", "systemctl enable --now ufw", H),
    ("linux", "service iptables start", H),
    ("linux", "/etc/init.d/iptables start", H),
    ("linux", "SuSEfirewall2 start", H),
    ("windows", "net start mpssvc", H),
    ("windows", "sc config mpssvc start= auto", H),
    ("windows", 'powershell "Start-Service MpsSvc"', H),
    ("windows", 'powershell "Set-Service mpssvc -StartupType Automatic"', H),
    ("windows", 'powershell "Set-Service -Name mpssvc -Status Running"', H),
    # status queries are enumeration
    ("linux", "systemctl status nftables", E),
    ("linux", "/etc/init.d/iptables status", E),
    ("linux", "SuSEfirewall2 status", E),
    # look-alikes
    ("linux", "systemctl stop nginx", None),
    ("linux", "service cups stop", None),
    ("linux", "/etc/init.d/apache2 stop", None),
    ("linux", "/etc/init.d/networking stop", None),
    ("linux", "systemctl restart ufw", None),
    ("linux", "journalctl -u firewalld --since today", None),
    ("linux", "echo 'service iptables stop'", None),
    ("linux", "grep SuSEfirewall2 /var/log/messages", None),
    ("linux", "man ufw-init", None),
    ("linux", "sysrc sshd_enable=NO", None),
    ("windows", "sc query mpssvc", None),
    ("windows", "net user mpssvc", None),
    ("windows", 'powershell "Get-Service mpssvc | Select-Object Status"', None),
    ("windows", 'powershell "Get-Service spooler | Stop-Service -Force"', None),
    ("windows", "wmic service where name='Spooler' call StopService", None),
    ("windows", "sc stop wuauserv", None),
]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[dict]]:
    return detect_cases(tmp_path_factory.mktemp("svc"), CASES)


@pytest.mark.parametrize(("platform", "line", "expected"), CASES)
def test_service(results: dict, platform: str, line: str, expected: str | None) -> None:
    check_case(results[(platform, line)], line, expected)

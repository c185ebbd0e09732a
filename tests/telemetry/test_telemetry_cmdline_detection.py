"""Table-driven: real-world command lines per platform -> expected category (or nothing)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import Severity
from cloudfw.telemetry.detect import detect_process, passes_prefilter
from cloudfw.telemetry.events import ProcessEvent, file_ref
from cloudfw.telemetry.rules import (
    ALLOW_PROCESS,
    DISABLE,
    ENUMERATE,
    HARDENED,
    MODIFY,
    TOOLS_BY_NAME,
)


def _enc(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


NONE = None

MACOS: list[tuple[str, str | None]] = [
    ("pfctl -d", DISABLE),
    ("sudo pfctl -d", DISABLE),
    ("/sbin/pfctl -d", DISABLE),
    ("sudo -u root /sbin/pfctl -vd", DISABLE),
    ("pfctl -F all", DISABLE),
    ("pfctl -Fa -f /etc/pf.conf", MODIFY),  # flush, then load: a reload
    ("pfctl -F rules", DISABLE),
    ("pfctl -a pf-rules -F rules", MODIFY),
    ("pfctl -F states", MODIFY),
    ("pfctl -X 1844674407", MODIFY),
    ("pfctl -f /etc/pf.conf", MODIFY),
    ("pfctl -a pf-rules -f -", MODIFY),
    ("sh -c 'echo \"block in proto tcp from 1.2.3.4 to any\" | pfctl -a pf-rules -f -'", MODIFY),
    ("pfctl -t bruteforce -T delete 10.0.0.1", MODIFY),
    ("pfctl -s rules", ENUMERATE),
    ("pfctl -sr", ENUMERATE),
    ("pfctl -a pf-rules -s rules", ENUMERATE),
    ("pfctl -s info", ENUMERATE),
    ("pfctl -t bruteforce -T show", ENUMERATE),
    ("pfctl -nf /etc/pf.conf", NONE),  # syntax check only
    ("pfctl -n -f /etc/pf.conf", NONE),
    ("pfctl -e", HARDENED),
    ("pfctl -E", HARDENED),
    ("/usr/libexec/ApplicationFirewall/socketfilterfw --setglobalstate off", DISABLE),
    ("sudo /usr/libexec/ApplicationFirewall/socketfilterfw --setglobalstate off", DISABLE),
    ("socketfilterfw -k", DISABLE),
    ("socketfilterfw --setstealthmode off", MODIFY),
    ("socketfilterfw --setloggingmode off", MODIFY),
    ("socketfilterfw --setblockall off", MODIFY),
    ("socketfilterfw --setallowsigned on", MODIFY),
    ("socketfilterfw --setallowsignedapp on", MODIFY),
    ("socketfilterfw --setallowsigned off", HARDENED),
    ("socketfilterfw --add /tmp/.x/agent", ALLOW_PROCESS),
    ("socketfilterfw --unblockapp /Applications/Evil.app", ALLOW_PROCESS),
    ("socketfilterfw --remove /Applications/Foo.app", MODIFY),
    ("socketfilterfw --getglobalstate", ENUMERATE),
    ("socketfilterfw --listapps", ENUMERATE),
    ("socketfilterfw --setglobalstate on", HARDENED),
    ("socketfilterfw --blockapp /Applications/Foo.app", HARDENED),
    ("socketfilterfw --setstealthmode on", HARDENED),
    ("sudo defaults write /Library/Preferences/com.apple.alf globalstate -int 0", DISABLE),
    ("defaults write com.apple.alf globalstate 0", DISABLE),
    ("defaults write /Library/Preferences/com.apple.alf.plist globalstate -integer 0", DISABLE),
    ("defaults write /Library/Preferences/com.apple.alf firewallunload -int 1", DISABLE),
    ("defaults write /Library/Preferences/com.apple.alf stealthenabled -int 0", MODIFY),
    ("defaults write /Library/Preferences/com.apple.alf loggingenabled -bool false", MODIFY),
    ("defaults write /Library/Preferences/com.apple.alf allowsignedenabled -int 1", MODIFY),
    ("defaults write /Library/Preferences/com.apple.alf allowdownloadsignedenabled 1", MODIFY),
    ("defaults write /Library/Preferences/com.apple.alf globalstate -int 1", HARDENED),
    ("defaults write /Library/Preferences/com.apple.alf globalstate -int 2", HARDENED),
    ("defaults read /Library/Preferences/com.apple.alf", ENUMERATE),
    ("defaults write com.apple.finder AppleShowAllFiles -bool true", NONE),
    ("launchctl unload /System/Library/LaunchDaemons/com.apple.alf.agent.plist", DISABLE),
    ("sudo launchctl unload -w /System/Library/LaunchDaemons/com.apple.alf.agent.plist", DISABLE),
    ("launchctl bootout system /System/Library/LaunchDaemons/com.apple.pfctl.plist", DISABLE),
    ("launchctl disable system/com.apple.alf", DISABLE),
    ("sudo launchctl unload /Library/LaunchDaemons/at.obdev.littlesnitchd.plist", DISABLE),
    ("launchctl unload /Library/LaunchDaemons/com.objective-see.lulu.plist", DISABLE),
    ("launchctl load -w /Library/LaunchDaemons/at.obdev.littlesnitchd.plist", HARDENED),
    ("launchctl list com.apple.alf", ENUMERATE),
    ("launchctl unload /Library/LaunchAgents/com.google.keystone.agent.plist", NONE),
    ("killall socketfilterfw", DISABLE),
    ("sudo killall -9 LuLu", DISABLE),
    ("pkill -f 'Little Snitch'", DISABLE),
    ("systemextensionsctl uninstall VBG97UB4TA com.objective-see.lulu.extension", DISABLE),
    ("osascript -e 'do shell script \"/usr/libexec/ApplicationFirewall/socketfilterfw "
     "--setglobalstate off\" with administrator privileges'", DISABLE),
    ("osascript -e 'display dialog \"pfctl -d\"'", NONE),
    # look-alikes
    ("man pfctl", NONE),
    ("echo \"pfctl -d\"", NONE),
    ("cat /etc/pf.conf", NONE),
    ("grep -r socketfilterfw /var/log", NONE),
    ("which pfctl", NONE),
    ("vim /etc/pf.anchors/com.apple", NONE),
    ("less /usr/libexec/ApplicationFirewall/socketfilterfw", NONE),
    ("defaults read com.apple.dock", NONE),
]  # fmt: skip

LINUX: list[tuple[str, str | None]] = [
    ("iptables -F", DISABLE),
    ("sudo iptables -F", DISABLE),
    ("/usr/sbin/iptables --flush", DISABLE),
    ("iptables -F INPUT", DISABLE),
    ("ip6tables -F", DISABLE),
    ("iptables-legacy -F", DISABLE),
    ("iptables-nft -F", DISABLE),
    ("sh -c \"iptables-save > /tmp/iptables.rules; iptables -F\"", DISABLE),
    ("bash -lc 'iptables -P INPUT ACCEPT'", DISABLE),
    ("iptables -P INPUT ACCEPT", DISABLE),
    ("iptables --policy FORWARD ACCEPT", DISABLE),
    ("iptables -I INPUT -j ACCEPT", DISABLE),
    ("iptables -P INPUT DROP", HARDENED),
    ("iptables -P OUTPUT DROP", MODIFY),
    ("iptables -X", MODIFY),
    ("iptables -t nat -F", MODIFY),
    ("iptables -D OUTPUT -p tcp --dport 21 -j DROP", MODIFY),
    ("iptables -A INPUT -p tcp --dport 4444 -j ACCEPT", MODIFY),
    ("iptables -I INPUT 1 -s 10.0.0.0/8 -j ACCEPT", MODIFY),
    ("env PATH=/sbin nohup iptables -A INPUT -p tcp --dport 22 -j ACCEPT", MODIFY),
    ("timeout 10 iptables -A INPUT -p tcp --dport 22 -j ACCEPT", MODIFY),
    ("iptables -L", ENUMERATE),
    ("iptables -nvL", ENUMERATE),
    ("iptables -S", ENUMERATE),
    ("iptables -L -n --line-numbers", ENUMERATE),
    ("iptables-save", ENUMERATE),
    ("iptables-restore < /tmp/iptables.rules", MODIFY),
    ("iptables-restore --test /etc/iptables/rules.v4", NONE),
    ("nft flush ruleset", DISABLE),
    ("nft 'flush ruleset'", DISABLE),
    ("nft delete table inet filter", DISABLE),
    ("nft flush chain inet filter input", DISABLE),
    ("nft add rule inet filter input tcp dport 4444 accept", MODIFY),
    ("nft delete rule inet filter input handle 7", MODIFY),
    ("nft -f /etc/nftables.conf", MODIFY),
    ("nft list ruleset", ENUMERATE),
    ("nft -a list chain inet filter input", ENUMERATE),
    ("nft -c -f /etc/nftables.conf", NONE),
    ("ufw disable", DISABLE),
    ("sudo ufw --force disable", DISABLE),
    ("ufw --force reset", DISABLE),
    ("ufw default allow", DISABLE),
    ("ufw default allow incoming", DISABLE),
    ("ufw default allow outgoing", MODIFY),
    ("ufw logging off", MODIFY),
    ("ufw allow 4444/tcp", MODIFY),
    ("ufw prepend deny from 1.2.3.4", MODIFY),
    ("ufw delete 1", MODIFY),
    ("ufw status verbose", ENUMERATE),
    ("ufw status numbered", ENUMERATE),
    ("ufw enable", HARDENED),
    ("ufw --dry-run disable", NONE),
    ("/lib/ufw/ufw-init force-stop", DISABLE),
    ("firewall-cmd --set-default-zone=trusted", DISABLE),
    ("firewall-cmd --zone=trusted --add-interface=eth0", DISABLE),
    ("firewall-cmd --permanent --zone=public --set-target=ACCEPT", DISABLE),
    ("firewall-cmd --permanent --add-port=4444/tcp", MODIFY),
    ("firewall-cmd --remove-service=ssh", MODIFY),
    ("firewall-cmd --direct --add-rule ipv4 filter INPUT 0 -j ACCEPT", MODIFY),
    ("firewall-cmd --list-all", ENUMERATE),
    ("firewall-cmd --get-default-zone", ENUMERATE),
    ("firewall-cmd --state", ENUMERATE),
    ("firewall-cmd --reload", NONE),
    ("systemctl stop firewalld", DISABLE),
    ("systemctl disable --now firewalld.service", DISABLE),
    ("systemctl mask ufw", DISABLE),
    ("systemctl stop nftables", DISABLE),
    ("sudo systemctl stop ufw", DISABLE),
    ("service iptables stop", DISABLE),
    ("service pf stop", DISABLE),
    ("chkconfig iptables off", DISABLE),
    ("update-rc.d ufw disable", DISABLE),
    ("systemctl status firewalld", ENUMERATE),
    ("systemctl stop nginx", NONE),
    ("systemctl start firewalld", HARDENED),
    ("systemctl restart ufw", NONE),
    ("esxcli network firewall set --enabled false", DISABLE),
    ("esxcli network firewall set --default-action true", DISABLE),
    ("esxcli network firewall get", ENUMERATE),
    # look-alikes
    ("grep iptables /var/log/syslog", NONE),
    ("man iptables", NONE),
    ("which nft", NONE),
    ("vim /etc/iptables/rules.v4", NONE),
    ("cat /etc/sysconfig/iptables", NONE),
    ("echo 'iptables -F'", NONE),
    ("apt-get install -y iptables-persistent", NONE),
    ("dpkg -L ufw", NONE),
    ("journalctl -u firewalld", NONE),
    ("ls /etc/ufw", NONE),
    ("python3 /opt/scripts/check_iptables.py --flush", NONE),
]  # fmt: skip

WINDOWS: list[tuple[str, str | None]] = [
    ("netsh advfirewall set allprofiles state off", DISABLE),
    ("netsh advfirewall set currentprofile state off", DISABLE),
    ("netsh.exe advfirewall set publicprofile state off", DISABLE),
    ("C:\\Windows\\System32\\NETSH.EXE AdvFirewall Set AllProfiles State Off", DISABLE),
    ("netsh firewall set opmode disable", DISABLE),
    ("netsh firewall set opmode mode=disable", DISABLE),
    ("netsh advfirewall set allprofiles firewallpolicy allowinbound,allowoutbound", DISABLE),
    ("cmd.exe /c \"netsh advfirewall set allprofiles state off\"", DISABLE),
    ("cmd /c netsh advfirewall set allprofiles state off & whoami", DISABLE),
    ("netsh advfirewall firewall add rule name=\"atomic testing\" action=allow dir=in "
     "protocol=TCP localport=450", MODIFY),
    ("netsh advfirewall firewall add rule name=\"Open Port to Any\" dir=in protocol=tcp "
     "localport=3389 action=allow profile=any", MODIFY),
    ("netsh advfirewall firewall add rule name=\"Atomic Test\" dir=in action=allow "
     "program=\"C:\\Users\\bob\\AtomicTest.exe\" enable=yes", ALLOW_PROCESS),
    ("netsh firewall add allowedprogram C:\\Users\\Public\\svc.exe svc ENABLE", ALLOW_PROCESS),
    ("netsh advfirewall firewall add rule name=blk dir=out action=block "
     "program=\"C:\\Program Files\\Windows Defender\\MsMpEng.exe\"", MODIFY),
    ("netsh advfirewall firewall set rule group=\"remote desktop\" new enable=Yes", MODIFY),
    ("netsh advfirewall firewall delete rule name=\"atomic testing\" protocol=TCP localport=450",
     MODIFY),
    ("netsh advfirewall reset", MODIFY),
    ("netsh advfirewall set allprofiles logging droppedconnections disable", MODIFY),
    ("netsh advfirewall show allprofiles", ENUMERATE),
    ("netsh.exe advfirewall  show allprofiles", ENUMERATE),
    ("netsh advfirewall firewall show rule name=all", ENUMERATE),
    ("netsh firewall show state", ENUMERATE),
    ("netsh advfirewall set allprofiles state on", HARDENED),
    ("netsh interface ip show config", NONE),
    ("netsh wlan show profiles", NONE),
    ("powershell -Command \"Set-NetFirewallProfile -Profile Domain,Public,Private "
     "-Enabled False\"", DISABLE),
    ("powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "
     "\"Set-NetFirewallProfile -All -Enabled:$false\"", DISABLE),
    ("pwsh -c \"Set-NetFirewallProfile -DefaultInboundAction Allow\"", DISABLE),
    ("powershell -enc " + _enc("Set-NetFirewallProfile -All -Enabled False"), DISABLE),
    ("powershell.exe -nop -w hidden -EncodedCommand "
     + _enc("New-NetFirewallRule -DisplayName 'x' -Program C:\\Users\\Public\\a.exe"),
     ALLOW_PROCESS),
    ("powershell -Command \"New-NetFirewallRule -DisplayName 'RDPPORTLatest-TCP-In' -Profile "
     "'Public' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 4489\"", MODIFY),
    ("powershell -Command \"New-NetFirewallRule -DisplayName 'evil' -Direction Inbound "
     "-Program 'C:\\Users\\Public\\beacon.exe' -Action Allow\"", ALLOW_PROCESS),
    ("powershell -Command \"New-NetFirewallRule -DisplayName 'b' -Direction Outbound -Program "
     "'C:\\Program Files\\CrowdStrike\\CSFalconService.exe' -Action Block\"", MODIFY),
    ("powershell -Command \"Remove-NetFirewallRule -DisplayName 'New rule'\"", MODIFY),
    ("powershell -Command \"Disable-NetFirewallRule -DisplayGroup 'Windows Defender'\"", MODIFY),
    ("powershell -Command \"Set-NetFirewallRule -DisplayName 'x' -Enabled True\"", MODIFY),
    ("powershell -Command \"Get-NetFirewallProfile | Format-Table Name, Enabled\"", ENUMERATE),
    ("powershell -Command \"Get-NetFirewallRule | select DisplayName, Enabled\"", ENUMERATE),
    ("powershell Set-NetFirewallProfile -All -Enabled True", HARDENED),
    ("reg add \"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\"
     "Parameters\\FirewallPolicy\\PublicProfile\" /v \"EnableFirewall\" /t REG_DWORD /d 0 /f",
     DISABLE),
    ("reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\" /v "
     "EnableFirewall /t REG_DWORD /d 0 /f", DISABLE),
    ("reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\" /v "
     "EnableFirewall /t REG_DWORD /d 1 /f", HARDENED),
    ("reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\"
     "FirewallPolicy\\StandardProfile", ENUMERATE),
    ("powershell -Command \"New-ItemProperty 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\"
     "WindowsFirewall\\DomainProfile' -Name EnableFirewall -PropertyType DWORD -Value 0 -Force\"",
     DISABLE),
    ("powershell -Command \"Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\"
     "SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile' -Name EnableFirewall -Value 0\"",
     DISABLE),
    ("sc stop mpssvc", DISABLE),
    ("sc.exe config MpsSvc start= disabled", DISABLE),
    ("net stop mpssvc", DISABLE),
    ("net stop \"Windows Defender Firewall\" /y", DISABLE),
    ("net1 stop \"Base Filtering Engine\"", DISABLE),
    ("net start mpssvc", HARDENED),
    ("sc config mpssvc start= auto", HARDENED),
    ("powershell -Command \"Set-Service -Name MpsSvc -StartupType Disabled\"", DISABLE),
    ("powershell -Command \"Set-Service mpssvc -StartupType Automatic\"", HARDENED),
    ("net user mpssvc", NONE),
    ("powershell -Command \"Stop-Service -Name MpsSvc -Force\"", DISABLE),
    ("powershell -Command \"Start-Process netsh -ArgumentList 'advfirewall set allprofiles "
     "state off' -Verb RunAs\"", DISABLE),
    ("powershell -Command \"iex 'netsh advfirewall set allprofiles state off'\"", DISABLE),
    # look-alikes
    ("notepad.exe C:\\Users\\bob\\Desktop\\netsh advfirewall notes.txt", NONE),
    ("findstr /i firewall C:\\Windows\\Logs\\setup.log", NONE),
    ("cmd /c echo netsh advfirewall set allprofiles state off", NONE),
    ("powershell -Command \"Write-Host 'Set-NetFirewallProfile -Enabled False'\"", NONE),
    ("powershell -File C:\\scripts\\firewall-report.ps1", NONE),
    ("sc query mpssvc", NONE),
    ("reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", NONE),
]  # fmt: skip

CASES = (
    [("macos", c, e) for c, e in MACOS]
    + [("linux", c, e) for c, e in LINUX]
    + [("windows", c, e) for c, e in WINDOWS]
)


RANK = [DISABLE, MODIFY, ALLOW_PROCESS, ENUMERATE, HARDENED]


def _detect(platform: str, cmdline: str, prefilter: bool = True) -> list[str]:
    ev = ProcessEvent(file_ref("t.jsonl", 1), platform, cmdline=cmdline, pid=1)
    return [d.category for d in detect_process(ev, prefilter=prefilter)]


@pytest.mark.parametrize(("platform", "cmdline", "expected"), CASES)
def test_category(platform: str, cmdline: str, expected: str | None) -> None:
    got = _detect(platform, cmdline)
    if expected is None:
        assert got == [], f"look-alike fired: {cmdline!r} -> {got}"
    else:
        strongest = min(got, key=RANK.index) if got else None
        assert strongest == expected, f"{cmdline!r} -> {got}"


@pytest.mark.parametrize(("platform", "cmdline", "expected"), CASES)
def test_prefilter_never_hides_a_detection(
    platform: str, cmdline: str, expected: str | None
) -> None:
    assert _detect(platform, cmdline, prefilter=False) == _detect(platform, cmdline)
    if expected is not None:
        assert passes_prefilter(cmdline)


def test_argv_form_and_fields() -> None:
    ev = ProcessEvent(
        file_ref("t.jsonl", 7), "linux", host="web-1", pid=42, ppid=1, user="root",
        argv=("/usr/bin/sudo", "/usr/sbin/iptables", "-P", "INPUT", "ACCEPT"),
    )  # fmt: skip
    [det] = detect_process(ev)
    assert det.category == DISABLE
    assert det.severity is Severity.HIGH
    assert det.techniques == ("T1686", "T1562.004")
    assert det.analytic == "DS0018:Firewall Disable"
    assert det.via == ("sudo",)
    assert det.command == "/usr/sbin/iptables -P INPUT ACCEPT"
    assert det.source.line == 7 and det.host == "web-1" and det.pid == 42


def test_macos_analytic_and_windows_techniques() -> None:
    [mac] = detect_process(ProcessEvent(file_ref("t", 1), "macos", cmdline="pfctl -d"))
    assert mac.analytic == "AN0408" and mac.data_component == "DS0018:Firewall Disable"
    [win] = detect_process(
        ProcessEvent(
            file_ref("t", 1), "windows", cmdline="netsh advfirewall set allprofiles state off"
        )
    )
    assert win.techniques == ("T1686.003", "T1562.004")
    [enum] = detect_process(ProcessEvent(file_ref("t", 1), "linux", cmdline="iptables -L"))
    assert enum.techniques == ("T1518.001",) and enum.severity is Severity.LOW


def test_block_of_security_tool_is_high() -> None:
    line = (
        "netsh advfirewall firewall add rule name=x dir=out action=block "
        'program="C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\MsMpEng.exe"'
    )
    [det] = detect_process(ProcessEvent(file_ref("t", 1), "windows", cmdline=line))
    assert det.category == MODIFY and det.severity is Severity.HIGH
    assert "T1685" in det.techniques


def test_bpfdoor_redirect_rule() -> None:
    line = (
        "/sbin/iptables -t nat -I PREROUTING -p tcp -s 192.168.1.1 --dport 22 -j REDIRECT "
        "--to-ports 42392"
    )
    [det] = detect_process(ProcessEvent(file_ref("t", 1), "linux", cmdline=line))
    assert det.rule_id == "ipt-bpfdoor-redirect" and det.severity is Severity.HIGH
    assert "T1205" in det.techniques


def test_one_line_many_commands() -> None:
    line = "iptables-save > /tmp/r; iptables -F && ufw disable"
    got = _detect("linux", line)
    assert got == [ENUMERATE, DISABLE, DISABLE]


_TOOLS = sorted(TOOLS_BY_NAME)
_WORDS = ["-F", "-d", "-L", "disable", "off", "state", "allprofiles", "advfirewall", "set", "-s",
          "rules", "flush", "ruleset", "--setglobalstate", "-Enabled", "False", "add", "rule",
          "action=allow", "program=C:\\a.exe", "write", "com.apple.alf", "globalstate", "0",
          "stop", "firewalld", "-P", "INPUT", "ACCEPT", "-t", "nat", "x y", "'q'", ";", "&&",
          "mpssvc", "Windows Defender Firewall", "lulu", "HKLM\\x\\FirewallPolicy\\p",
          "/v", "EnableFirewall", "/d"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["linux", "macos", "windows"]),
    st.sampled_from(["", "sudo ", "/usr/sbin/", "C:\\Windows\\System32\\", "env A=1 "]),
    st.sampled_from(_TOOLS),
    st.lists(st.sampled_from(_WORDS), max_size=6),
)
def test_prefilter_property(platform: str, prefix: str, tool: str, words: list[str]) -> None:
    line = " ".join([prefix + tool, *words])
    assert _detect(platform, line, prefilter=False) == _detect(platform, line)

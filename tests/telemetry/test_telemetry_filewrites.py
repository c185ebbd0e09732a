"""Firewall configuration edited as a file: shell redirection, tee, sed -i, cp/mv/install/ln onto
it, truncate, rm, PowerShell Set-Content/Add-Content/Out-File/Remove-Item. Reading is nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from telemetry_helpers import DetectCli, detect_lines, make_detect_cli, strongest

from cloudfw.telemetry.fwfiles import firewall_file

LOG = "C:\\Windows\\System32\\LogFiles\\Firewall\\pfirewall.log"
ALF = "/Library/Preferences/com.apple.alf.plist"

# (platform, command line, expected category or None, expected rule id or "")
CASES: list[tuple[str, str, str | None, str]] = [
    ("linux", "sh -c 'echo \"# THIS IS A COMMENT\" >> /etc/ufw/user.rules'", "modify",
     "file-write"),
    ("linux", "bash -c \"echo '-A ufw-user-input -p tcp --dport 4444 -j ACCEPT' >> "
     "/etc/ufw/user.rules\"", "modify", "file-write"),
    ("linux", "sudo sh -c 'echo ENABLED=no > /etc/ufw/ufw.conf'", "disable", "file-ufw-off"),
    ("linux", "sed -i 's/ENABLED=yes/ENABLED=no/' /etc/ufw/ufw.conf", "disable", "file-ufw-off"),
    ("linux", "sed -i 's/ENABLED=no/ENABLED=yes/' /etc/ufw/ufw.conf", "hardened", "file-ufw-on"),
    ("linux", "sed -i 's/DEFAULT_INPUT_POLICY=\"DROP\"/DEFAULT_INPUT_POLICY=\"ACCEPT\"/' "
     "/etc/default/ufw", "disable", "file-ufw-default-accept"),
    ("linux", "sed -i.bak '/COMMIT/i -A INPUT -p tcp --dport 31337 -j ACCEPT' rules.v4", "modify",
     "file-write"),
    ("linux", "sed -i '/COMMIT/i -A INPUT -p tcp -m tcp --dport 8443 -j ACCEPT' "
     "/etc/iptables/rules.v4", "modify", "file-write"),
    ("linux", "sed -i -e 's/:INPUT DROP/:INPUT ACCEPT/' /etc/sysconfig/iptables", "disable",
     "file-ipt-accept"),
    ("linux", "sh -c \"echo '-A INPUT -p tcp --dport 2222 -j ACCEPT' | sudo tee -a "
     "/etc/iptables/rules.v4\"", "modify", "file-write"),
    ("linux", "sh -c \"printf 'ENABLED=no\\n' | tee /etc/ufw/ufw.conf > /dev/null\"", "disable",
     "file-ufw-off"),
    ("linux", "tee /etc/nftables.conf", "modify", "file-write"),
    ("linux", "cp /tmp/evil.rules /etc/iptables/rules.v4", "modify", "file-write"),
    ("linux", "cp -f /tmp/before.rules /etc/ufw/", "modify", "file-write"),
    ("linux", "install -m 0640 -o root /tmp/ip6 /etc/sysconfig/ip6tables", "modify", "file-write"),
    ("linux", "mv /tmp/nft.conf /etc/nftables.conf", "modify", "file-write"),
    ("linux", "mv -t /etc/nftables.d /tmp/50-open.nft", "modify", "file-write"),
    ("linux", "ln -sf /dev/null /etc/iptables/rules.v6", "modify", "file-write"),
    ("linux", "sh -c 'cat /tmp/r > /etc/sysconfig/ip6tables'", "modify", "file-write"),
    ("linux", "truncate -s 0 /etc/iptables/rules.v4", "modify", "file-write"),
    ("linux", "bash -c ': > /etc/ufw/user6.rules'", "modify", "file-write"),
    ("linux", "rm -f /etc/ufw/user.rules /etc/ufw/user6.rules", "modify", "file-delete"),
    ("linux", "rm -rf /etc/firewalld/zones/public.xml", "modify", "file-delete"),
    ("linux", "mv /etc/iptables/rules.v4 /root/rules.v4.off", "modify", "file-delete"),
    ("linux", "dd if=/tmp/x of=/etc/nftables.conf", "modify", "file-write"),
    ("linux", "perl -pi -e 's/policy drop/policy accept/' /etc/nftables.conf", "modify",
     "file-write"),
    ("linux", "cp /tmp/zone.xml /etc/firewalld/zones/public.xml", "modify", "file-write"),
    ("linux", "sh -c \"echo 'FW_SERVICES_EXT_TCP=\\\"22 4444\\\"' >> "
     "/etc/sysconfig/SuSEfirewall2\"",
     "modify", "file-write"),
    ("linux", "sed -i 's/^flush ruleset/#&/' /etc/nftables.conf", "modify", "file-write"),
    ("linux", "pwsh -c \"Add-Content -Path /etc/ufw/user.rules -Value "
     "'-A ufw-user-input -j ACCEPT'\"",
     "modify", "file-write"),
    ("macos", "sudo sh -c 'echo \"pass in quick all\" >> /etc/pf.anchors/com.apple'", "modify",
     "file-pf-alf"),
    ("macos", "sudo install -m 644 /tmp/pf.conf /etc/pf.conf", "modify", "file-pf-alf"),
    ("macos", "sed -i '' '/anchor pf-rules/d' /etc/pf.conf", "modify", "file-pf-alf"),
    ("macos", "mv /etc/pf.conf /etc/pf.conf.disabled", "modify", "file-pf-alf"),
    ("macos", "/usr/libexec/PlistBuddy -c \"Set :globalstate 0\" "
     "/Library/Preferences/com.apple.alf.plist", "disable", "file-alf-off"),
    ("macos", "plutil -replace globalstate -integer 0 /Library/Preferences/com.apple.alf.plist",
     "disable", "file-alf-off"),
    ("macos", "sudo rm /Library/Preferences/com.apple.alf.plist", "modify", "file-pf-alf"),
    ("windows", "powershell -c \"Remove-Item -Path C:\\Windows\\System32\\LogFiles\\Firewall\\"
     "pfirewall.log -Force\"", "modify", "file-win-log"),
    ("windows", "powershell -c \"Clear-Content C:\\Windows\\System32\\LogFiles\\Firewall\\"
     "pfirewall.log\"", "modify", "file-win-log"),
    ("windows", "powershell -c \"Set-Content -Path $env:windir\\System32\\LogFiles\\Firewall\\"
     "pfirewall.log -Value ''\"", "modify", "file-win-log"),
    ("windows", "powershell -c \"'x' | Out-File -FilePath C:\\Windows\\System32\\LogFiles\\"
     "Firewall\\pfirewall.log\"", "modify", "file-win-log"),
    ("windows", "powershell -c \"Remove-Item 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\"
     "SharedAccess\\Parameters\\FirewallPolicy\\FirewallRules' -Recurse -Force\"", "modify",
     "file-win-policy-delete"),
    ("windows", "cmd /c del /f /q C:\\Windows\\System32\\LogFiles\\Firewall\\pfirewall.log",
     "modify", "file-win-log"),
    ("windows", "cmd /c echo.>%windir%\\system32\\LogFiles\\Firewall\\pfirewall.log", "modify",
     "file-win-log"),
    # look-alikes: reading, or writing somewhere else
    ("linux", "cat /etc/ufw/user.rules", None, ""),
    ("linux", "grep -n ACCEPT /etc/iptables/rules.v4", None, ""),
    ("linux", "sed -n '1,40p' /etc/ufw/ufw.conf", None, ""),
    ("linux", "sed 's/ENABLED=yes/ENABLED=no/' /etc/ufw/ufw.conf", None, ""),
    ("linux", "sh -c \"sed -e 's/DROP/ACCEPT/' /etc/sysconfig/iptables > /tmp/iptables.test\"",
     None, ""),
    ("linux", "cp /etc/iptables/rules.v4 /root/backup/", None, ""),
    ("linux", "sh -c 'cat /etc/ufw/ufw.conf | tee /tmp/ufw.conf.copy'", None, ""),
    ("linux", "sh -c 'echo ENABLED=no >> /tmp/ufw.conf'", None, ""),
    ("linux", "diff /etc/nftables.conf /tmp/nftables.conf", None, ""),
    ("linux", "sha256sum /etc/iptables/rules.v4 /etc/iptables/rules.v6", None, ""),
    ("linux", "tar czf /backup/fw.tgz /etc/firewalld", None, ""),
    ("linux", "rsync -a /etc/ufw/ /srv/backup/ufw/", None, ""),
    ("linux", "ln -s /etc/ufw/user.rules /tmp/user.rules", None, ""),
    ("linux", "rm -f /tmp/rules.v4", None, ""),
    ("linux", "sed -i 's/worker_processes 2/worker_processes 4/' /etc/nginx/nginx.conf", None, ""),
    ("linux", "sh -c 'echo \"$(date) ufw check ok\" >> /var/log/fwcheck.log'", None, ""),
    ("linux", "vim /etc/iptables/rules.v4", None, ""),
    ("macos", "less /etc/pf.conf", None, ""),
    ("macos", "cp /etc/pf.conf /tmp/pf.conf.bak", None, ""),
    ("macos", "ls -l /etc/pf.anchors", None, ""),
    ("macos", "/usr/libexec/PlistBuddy -c \"Print :globalstate\" "
     "/Library/Preferences/com.apple.alf.plist", None, ""),
    ("macos", "plutil -p /Library/Preferences/com.apple.alf.plist", None, ""),
    ("macos", "stat -f %m /Library/Preferences/com.apple.alf.plist", None, ""),
    ("windows", "powershell -c \"Get-Content C:\\Windows\\System32\\LogFiles\\Firewall\\"
     "pfirewall.log -Tail 20\"", None, ""),
    ("windows", "cmd /c type C:\\Windows\\System32\\LogFiles\\Firewall\\pfirewall.log", None, ""),
    ("windows", f"cmd /c copy {LOG} C:\\Temp\\fw.log",
     None, ""),
    ("windows", f"powershell -c \"Copy-Item {LOG} "
     "-Destination C:\\Temp\\\"", None, ""),
    ("windows", "powershell -c \"Remove-Item C:\\Windows\\System32\\LogFiles\\Firewall\\"
     "pfirewall.log -WhatIf\"", None, ""),
    ("windows", "cmd /c echo done > C:\\Temp\\firewall-report.txt", None, ""),
]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, list[dict]]]:
    """All cases, one CLI run per platform (each line its own pid)."""
    run = make_detect_cli()
    tmp = tmp_path_factory.mktemp("fw")
    out = {}
    for plat in ("linux", "macos", "windows"):
        lines = [c for p, c, _, _ in CASES if p == plat]
        out[plat] = dict(zip(lines, detect_lines(run, tmp, plat, lines).values(), strict=True))
    return out


@pytest.mark.parametrize(("platform", "line", "expected", "rule"), CASES)
def test_file_write(
    results: dict, platform: str, line: str, expected: str | None, rule: str
) -> None:
    found = results[platform][line]
    if expected is None:
        assert found == [], f"look-alike fired: {line!r} -> {found}"
        return
    top = strongest(found)
    assert top is not None, f"missed: {line!r}"
    assert (top["category"], top["rule_id"]) == (expected, rule), (line, found)


def test_detection_shows_the_write(detect_cli: DetectCli, tmp_path: Path) -> None:
    [det] = detect_lines(
        detect_cli, tmp_path, "macos",
        [f"/usr/libexec/PlistBuddy -c 'Set :globalstate 0' {ALF}"],
    )[0]  # fmt: skip
    assert det["analytic"] == "AN0408" and det["severity"] == "high"
    assert det["techniques"] == ["T1686", "T1562.004"]
    [det] = detect_lines(
        detect_cli, tmp_path, "linux", ["sh -c 'echo \"# x\" >> /etc/ufw/user.rules'"]
    )[0]
    assert det["command"] == "echo '# x' >> /etc/ufw/user.rules"
    assert det["via"] == ["sh -c"] and det["severity"] == "medium"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/etc/../etc/pf.conf", "pf"),
        ("/private/etc/pf.anchors/com.apple", "pf"),
        ("/etc/ufw/", "ufw"),
        ("/etc/UFW/ufw.conf", "ufw-conf"),
        ("/etc/sysconfig/ip6tables-config", "iptables"),
        ("/etc/iptables.up.rules", "iptables"),
        ("rules.v4", "iptables"),
        ("./user6.rules", "ufw"),
        ("'/Library/Preferences/com.apple.alf.plist'", "alf"),
        ("%windir%\\System32\\LogFiles\\Firewall\\pfirewall.log", "windows-log"),
        (
            "Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall",
            "windows-policy",
        ),
        ("~/pf.conf", None),
        ("/home/bob/pf.conf", None),
        ("/etc/ufw.bak/user.rules", None),
        ("C:\\notes\\firewallpolicy\\x.txt", None),
        ("$HOME/rules.v4", None),
    ],
)
def test_firewall_file(path: str, kind: str | None) -> None:
    assert firewall_file(path) == kind

"""What a command really does, not what its words look like: dry runs change nothing, a flush that
reloads is a reload, a copy *away* from a firewall file writes no configuration, enabling through
a file is hardening like the verb, long options are their letters, a daemon killed without its
clean-up leaves its rules loaded, a rule loader's stop removes nothing, pf's logging is logging.
Every case runs through the real `cloudfw host detect` (generic JSON Lines, auditd)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telemetry_helpers import DetectCli, check_case, detect_cases, detections, strongest

D, M, H, E = "disable", "modify", "hardened", "enumerate"

CASES: list[tuple[str, str, str | None]] = [
    # -- pfctl: flush then load is a reload; -n parses only (it turns -F, -d, -e, -s off) -------
    ("macos", "pfctl -F all -f /etc/pf.conf", M),
    ("macos", "sudo pfctl -Fa -f /etc/pf.conf", M),
    ("macos", "pfctl -F rules -f /etc/pf.conf", M),
    ("macos", "pfctl -F all", D),
    ("macos", "pfctl -F rules -f /dev/null", D),
    ("macos", "pfctl -F all -f /etc/pf.conf -d", D),
    ("macos", "pfctl -n -F all", None),
    ("macos", "pfctl -nd", None),
    ("macos", "pfctl -a pf-rules -F rules -f -", M),
    # -- dry runs -----------------------------------------------------------------------------
    ("linux", "ufw --dry-run disable", None),
    ("linux", "ufw --dry-run default allow incoming", None),
    ("linux", "iptables-restore --test /etc/iptables/rules.v4", None),
    ("linux", "iptables-restore -nt /etc/iptables/rules.v4", None),
    ("linux", "iptables-restore --noflush /tmp/extra.rules", M),
    ("linux", "nft -c flush ruleset", None),
    ("linux", "nft --check --file /etc/nftables.conf", None),
    ("linux", "nft -cf /etc/nftables.conf", None),
    ("linux", "nft --file /etc/nftables.conf", M),
    ("windows", 'powershell -c "Set-NetFirewallProfile -Enabled False -WhatIf"', None),
    ("windows", 'powershell -c "Set-NetFirewallProfile -All -Enabled False -wi"', None),
    ("windows", 'powershell -c "Set-NetFirewallProfile -Enabled False -WhatIf:$true"', None),
    ("windows", 'powershell -c "Set-NetFirewallProfile -Enabled False -WhatIf:$false"', D),
    ("windows", "powershell -c \"Remove-NetFirewallRule -DisplayName 'Block 445' -WhatIf\"", None),
    ("windows", 'powershell -c "Get-Service MpsSvc | Stop-Service -WhatIf"', None),
    ("windows", 'powershell -c "Set-Service -Name MpsSvc -StartupType Disabled -WhatIf"', None),
    ("windows", "powershell -c \"Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\"
     "WindowsFirewall\\PublicProfile' -Name EnableFirewall -Value 0 -WhatIf\"", None),
    ("windows", 'powershell -c "Remove-Item C:\\Windows\\System32\\LogFiles\\Firewall\\'
     'pfirewall.log -WhatIf:$false"', M),
    # -- copying a firewall file away: the destination is no configuration ----------------------
    ("linux", "cp /etc/iptables/rules.v4 /etc/iptables/rules.v4.bak", None),
    ("linux", "cp -a /etc/ufw/user.rules /etc/ufw/user.rules.20261121_093000", None),
    ("linux", "cp /etc/firewalld/zones/public.xml /etc/firewalld/zones/public.xml.orig", None),
    ("linux", "cp /etc/nftables.conf /etc/nftables.conf~", None),
    ("linux", "cp /etc/iptables/rules.v4.bak /etc/iptables/rules.v4", M),
    ("linux", "mv /etc/iptables/rules.v4 /etc/iptables/rules.v4.bak", M),  # rules.v4 is gone
    # -- enabling through a file is hardening, like the verb ------------------------------------
    ("linux", "sed -i 's/ENABLED=no/ENABLED=yes/' /etc/ufw/ufw.conf", H),
    ("linux", "echo ENABLED=yes >> /etc/ufw/ufw.conf", H),
    ("linux", "echo ENABLED=yes > /etc/ufw/ufw.conf", M),  # the whole file: other settings go
    ("linux", "sed -i 's/ENABLED=no/ENABLED=yes/; s/LOGLEVEL=low/LOGLEVEL=off/' "
     "/etc/ufw/ufw.conf", M),
    ("linux", "sed -i 's/DEFAULT_INPUT_POLICY=\"ACCEPT\"/DEFAULT_INPUT_POLICY=\"DROP\"/' "
     "/etc/default/ufw", H),
    ("linux", "sed -i 's/DEFAULT_FORWARD_POLICY=\"DROP\"/DEFAULT_FORWARD_POLICY=\"ACCEPT\"/' "
     "/etc/default/ufw", M),
    ("linux", "sed -i 's/^:INPUT ACCEPT.*/:INPUT DROP [0:0]/' /etc/iptables/rules.v4", H),
    ("linux", "sed -i 's/^:OUTPUT ACCEPT/:OUTPUT DROP/' /etc/iptables/rules.v4", M),
    ("macos", "/usr/libexec/PlistBuddy -c 'Set :globalstate 1' "
     "/Library/Preferences/com.apple.alf.plist", H),
    ("macos", "/usr/bin/plutil -replace globalstate -integer 2 "
     "/Library/Preferences/com.apple.alf.plist", H),
    ("macos", "/usr/libexec/PlistBuddy -c 'Set :globalstate 1' -c 'Set :allowsignedenabled 1' "
     "/Library/Preferences/com.apple.alf.plist", M),
    ("linux", "esxcli network firewall set --enabled true", H),
    ("linux", "esxcli network firewall set --default-action false", H),
    ("linux", "esxcli network firewall set --enabled true --default-action true", D),
    # -- a service edited by hand: masking, .wants links, drop-ins ------------------------------
    ("linux", "ln -sf /dev/null /etc/systemd/system/firewalld.service", D),
    ("linux", "cp /dev/null /etc/systemd/system/nftables.service", D),
    ("linux", "rm /etc/systemd/system/multi-user.target.wants/ufw.service", D),
    ("linux", "ln -s /usr/lib/systemd/system/firewalld.service "
     "/etc/systemd/system/multi-user.target.wants/firewalld.service", H),
    ("linux", "tee /etc/systemd/system/firewalld.service.d/override.conf", M),
    ("linux", "ln -sf /dev/null /etc/systemd/system/nginx.service", None),
    ("linux", "echo FLUSH_ON_STOP=1 >> /etc/default/netfilter-persistent", M),
    # -- long options are their letters --------------------------------------------------------
    ("linux", "iptables --table nat -F", M),
    ("linux", "iptables --table=nat --flush", M),
    ("linux", "iptables --flush", D),
    ("linux", "iptables --fl INPUT", D),  # getopt_long takes an unambiguous prefix
    ("linux", "iptables --delete-chain ufw-user-input", M),
    ("linux", "iptables --policy INPUT ACCEPT", D),
    ("linux", "iptables --policy INPUT DROP", H),
    ("linux", "iptables --append INPUT -j ACCEPT", D),
    ("linux", "iptables --insert INPUT -p tcp --dport 22 -j ACCEPT", M),
    ("linux", "iptables --delete INPUT 3", M),
    ("linux", "iptables --list --numeric --verbose", E),
    # -- services: Debian's invoke-rc.d; netfilter-persistent (stop removes nothing unless
    #    FLUSH_ON_STOP=1); killing firewalld; pflog is pf's logging ---------------------------
    ("linux", "invoke-rc.d ufw stop", D),
    ("linux", "invoke-rc.d --force iptables stop", D),
    ("linux", "invoke-rc.d ufw status", E),
    ("linux", "netfilter-persistent stop", None),
    ("linux", "/etc/init.d/netfilter-persistent stop", None),
    ("linux", "service netfilter-persistent stop", None),
    ("linux", "systemctl stop netfilter-persistent", None),
    ("linux", "netfilter-persistent flush", D),
    ("linux", "systemctl disable netfilter-persistent", D),
    ("linux", "systemctl mask netfilter-persistent.service", D),
    ("linux", "netfilter-persistent start", H),
    ("linux", "service netfilter-persistent start", H),
    ("linux", "pkill -9 firewalld", M),
    ("linux", "killall -s KILL firewalld", M),
    ("linux", "pkill --signal SIGSTOP firewalld", M),
    ("linux", "systemctl kill --signal=SIGKILL firewalld", M),
    ("linux", "systemctl kill -s 9 firewalld.service", M),
    ("linux", "pkill firewalld", D),
    ("linux", "killall firewalld", D),
    ("linux", "systemctl kill firewalld", D),
    ("linux", "pkill -HUP firewalld", None),  # firewalld reloads on SIGHUP
    ("linux", "systemctl kill -s HUP firewalld", None),
    ("linux", "systemctl kill ufw", None),  # a oneshot unit: no process to signal
    ("linux", "pkill ufw", None),  # ufw is no daemon
    ("linux", "systemctl disable pflog", M),
    ("linux", "service pflog stop", M),
    ("linux", "/etc/rc.d/pflog stop", M),
    ("linux", "sysrc pflog_enable=NO", M),
    ("linux", "systemctl stop pflog pf", D),
    ("linux", "sysrc pflog_enable=YES", H),
    ("linux", "service pflog start", H),
    ("linux", "systemctl stop pflogsumm", None),
    # -- Windows: cmd's call, zero-padded reg values, CIM profiles through wmic ----------------
    ("windows", "cmd /c call netsh advfirewall set allprofiles state off", D),
    ("windows", 'cmd.exe /c "call netsh advfirewall set allprofiles state on"', H),
    ("windows", "cmd /c call :disable_fw", None),
    ("windows", "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\"
     "FirewallPolicy\\PublicProfile /v EnableFirewall /t REG_DWORD /d 00000000 /f", D),
    ("windows", "reg add HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile /v "
     "EnableFirewall /t REG_DWORD /d 00000001 /f", H),
    ("windows", "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\MpsSvc /v Start /t REG_DWORD "
     "/d 00000004 /f", D),
    ("windows", "wmic /namespace:\\\\root\\StandardCimv2 path MSFT_NetFirewallProfile set "
     "Enabled=0", D),
    ("windows", "wmic /namespace:\\\\root\\StandardCimv2 path MSFT_NetFirewallProfile set "
     "DefaultInboundAction=2", D),
    ("windows", "wmic /namespace:\\\\root\\StandardCimv2 path MSFT_NetFirewallProfile where "
     "\"Name='Public'\" set Enabled=1", H),
    ("windows", "wmic /namespace:\\\\root\\StandardCimv2 path MSFT_NetFirewallProfile set "
     "Enabled=1,LogBlocked=0", M),
    ("windows", "wmic /namespace:\\\\root\\StandardCimv2 path MSFT_NetFirewallProfile get "
     "Name,Enabled", E),
]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[dict]]:
    return detect_cases(tmp_path_factory.mktemp("sem"), CASES)


@pytest.mark.parametrize(("platform", "line", "expected"), CASES)
def test_semantics(results: dict, platform: str, line: str, expected: str | None) -> None:
    check_case(results[(platform, line)], line, expected)


def test_pflog_is_logging_in_every_form(results: dict) -> None:
    """Both service forms and the rc.conf knob give the same category and data component."""
    forms = ["systemctl disable pflog", "sysrc pflog_enable=NO", "service pflog stop"]
    tops = [strongest(results[("linux", f)]) for f in forms]
    assert {(t["category"], t["data_component"]) for t in tops if t} == {
        ("modify", "DS0018:Firewall Rule Modification")
    }, tops


# -- one service list: the command line and the auditd SERVICE_STOP record agree --------------


def _service_stop(unit: str, serial: int) -> str:
    return (
        f"type=SERVICE_STOP msg=audit(1763632812.{serial:03d}:{5000 + serial}): pid=1 uid=0 "
        "auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 "
        f'msg=\'unit={unit} comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? '
        "terminal=? res=success'\n"
    )


def _audit_exec(argv: list[str], serial: int) -> str:
    stamp = f"1763632900.{serial:03d}:{6000 + serial}"
    args = " ".join(f'a{i}="{a}"' for i, a in enumerate(argv))
    return (
        f"type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 "
        f"a2=3 a3=0 items=2 ppid=1 pid={7000 + serial} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 "
        f'egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="systemctl" exe="/usr/bin/systemctl" key=x\n'
        f"type=EXECVE msg=audit({stamp}): argc={len(argv)} {args}\n"
    )


# every firewall service the host parsers know, and what stopping it does
STOPS: dict[str, str | None] = {
    **dict.fromkeys(("firewalld", "ufw", "iptables", "ip6tables", "nftables", "shorewall",
                     "shorewall6", "SuSEfirewall2", "SuSEfirewall2_init", "pf"), D),
    "netfilter-persistent": None,  # FLUSH_ON_STOP=0 (the default): stop only warns
    "pflog": M,  # pf's logging
}  # fmt: skip
UNITS = list(STOPS)


def test_service_stop_records_and_commands_agree(detect_cli: DetectCli, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(
        "".join(_service_stop(f"{u}.service", k) for k, u in enumerate(UNITS))
        + "".join(_audit_exec(["systemctl", "stop", u], k) for k, u in enumerate(UNITS)),
        encoding="utf-8",
    )
    code, out, err = detect_cli(str(log), "--fail-on", "info")
    assert code in (0, 1), err
    by_record: dict[str, list[dict[str, Any]]] = {}
    by_command: dict[str, list[dict[str, Any]]] = {}
    for d in detections(out):
        if d["cmdline"] == "SERVICE_STOP":
            by_record.setdefault(d["command"].removesuffix(".service"), []).append(d)  # unit
        else:
            by_command.setdefault(d["command"].split()[-1], []).append(d)
    for unit in UNITS:
        rec, cmd = strongest(by_record.get(unit, [])), strongest(by_command.get(unit, []))
        assert (rec and rec["category"], cmd and cmd["category"]) == (STOPS[unit],) * 2, unit

"""Windows command-line detections as data: netsh, reg, sc/net, wmic and PowerShell (NetSecurity,
services, registry provider, CIM/WMI). See ``rulebase`` for how a rule matches.

Direction matters: turning a profile, its default-block inbound policy, its logging or the
firewall service *on* is ``hardened`` (info); off or looser is an alarm. Block rules stay
``modify``: a block rule can silence a security tool (``*-block-tool`` rules make that high), and a
default *outbound* block can too, so neither counts as hardening.
"""

from __future__ import annotations

from cloudfw.model import Severity
from cloudfw.telemetry.rulebase import (
    ALLOW_PROCESS,
    DISABLE,
    ENUMERATE,
    HARDENED,
    MODIFY,
    PROGRAM_DIR,
    PS_WHATIF,
    SECURITY_TOOLS,
    T_WIN_VS_TOOLS,
    Rule,
    Tool,
    family_tool,
    make_rule,
)

_t, _r = family_tool, make_rule
_W = PS_WHATIF  # every cmdlet here that changes something honours -WhatIf: it then changes nothing

WINDOWS_TOOLS: tuple[Tool, ...] = (
    _t("netsh", "netsh", "windows", icase=True),
    _t("reg", "reg", "windows", icase=True),
    _t("winservice", "sc net net1", "windows", icase=True),
    _t("wmic", "wmic", "windows", icase=True),
    _t("psstop", "stop-service spsv suspend-service", "windows", icase=True, piped=True,
       dry_run=_W),
    _t("psstart", "start-service sasv resume-service", "windows", icase=True, piped=True,
       dry_run=_W),
    _t("psset", "set-service", "windows", icase=True, piped=True, dry_run=_W),
    _t("psprofile", "set-netfirewallprofile", "windows", icase=True, dry_run=_W),
    _t("psrule", "new-netfirewallrule set-netfirewallrule remove-netfirewallrule "
       "disable-netfirewallrule enable-netfirewallrule copy-netfirewallrule "
       "rename-netfirewallrule set-netfirewallapplicationfilter set-netfirewallportfilter "
       "set-netfirewalladdressfilter set-netfirewallsetting", "windows", icase=True, dry_run=_W),
    _t("psenum", "get-netfirewallprofile get-netfirewallrule show-netfirewallrule "
       "get-netfirewallsetting get-netfirewallportfilter get-netfirewallapplicationfilter "
       "get-netfirewalladdressfilter get-netfirewallservicefilter", "windows", icase=True),
    _t("pscim", "get-ciminstance gcim get-wmiobject gwmi get-cimassociatedinstance", "windows",
       icase=True),
    _t("pscimchange", "invoke-cimmethod icim set-ciminstance remove-ciminstance new-ciminstance "
       "set-wmiinstance swmi remove-wmiobject rwmi invoke-wmimethod iwmi", "windows", icase=True,
       piped=True, dry_run=_W),
    _t("psregistry", "set-itemproperty new-itemproperty sp remove-itemproperty rp "
       "clear-itemproperty clp", "windows", icase=True, dry_run=_W),
)  # fmt: skip

# Service names and display names: Windows Defender Firewall (MpsSvc; SharedAccess before Vista),
# its driver (mpsdrv) and the Base Filtering Engine it needs.
_SERVICES = (r"(mpssvc|mpsdrv|bfe|sharedaccess|windows (defender )?firewall( authorization driver)?"
             r"|base filtering engine)")  # fmt: skip
_SERVICE_KEYS = r"\\services\\(mpssvc|mpsdrv|bfe|sharedaccess)"
_SVC = rf"[ ,]{_SERVICES}[ ,]"  # the service among the arguments or the piped stage
_FW_REG = r"(firewallpolicy|windowsfirewall)"
_TRUE = r"(\$?true|1|yes)"
_FALSE = r"(\$?false|0|no)"
_PROFILE_SWITCHES = (
    r"(allowinboundrules|allowlocalfirewallrules|allowlocalipsecrules"
    r"|allowunicastresponsetomulticast|allowuserapps|allowuserports|notifyonlisten)"
)
_REG_ON_VALUES = (r"(enablefirewall|defaultinboundaction|donotallowexceptions|logdroppedpackets"
                  r"|logsuccessfulconnections)")  # fmt: skip
_CIM_FW = r"(msft_netfirewall|firewallproduct)"
# reg.exe reads /d of a REG_DWORD as a number: 0, 00000000 and 0x0 are all zero
_ZERO, _ONE, _FOUR = r"(0+|0x0+)", r"(0*1|0x0*1)", r"(0*4|0x0*4)"
# MSFT_NetFirewallProfile (NetSecurity): Enabled is a GpoBoolean (False 0, True 1, NotConfigured
# 2), DefaultInboundAction an Action (NotConfigured 0, Allow 2, Block 4)
_WMIC_PROFILE_SET = r"^(?=.*msft_netfirewallprofile )(?=.* set )"

WINDOWS_RULES: tuple[Rule, ...] = (
    # -- netsh -----------------------------------------------------------------------------------
    _r("netsh-off", "netsh", r" advfirewall set [a-z]*profiles? state (off|disable) ", DISABLE,
       "netsh turns a Windows Firewall profile off"),
    _r("netsh-opmode-off", "netsh", r" firewall set opmode (mode=)?disable", DISABLE,
       "netsh (legacy) turns the Windows Firewall off"),
    _r("netsh-allow-inbound", "netsh",
       r" advfirewall set [a-z]*profiles? firewallpolicy allowinbound",
       DISABLE, "netsh makes a profile allow all inbound traffic"),
    _r("netsh-block-tool", "netsh",
       rf"^(?=.* firewall add rule )(?=.* action=block )"
       rf"(?=.* program={PROGRAM_DIR}{SECURITY_TOOLS} )",
       MODIFY, "netsh blocks the network traffic of a security tool", severity=Severity.HIGH,
       techniques=T_WIN_VS_TOOLS),
    _r("netsh-allow-program", "netsh",
       r"(^(?=.* firewall (add|set) rule )(?=.* program=)(?=.* action=allow )| firewall add "
       r"allowedprogram )", ALLOW_PROCESS, "netsh allows a program through the Windows Firewall"),
    _r("netsh-logging-off", "netsh", r" advfirewall set [a-z]*profiles? logging [a-z]+ disable ",
       MODIFY, "netsh turns Windows Firewall logging off"),
    _r("netsh-reset", "netsh", r" advfirewall (reset|import) ", MODIFY,
       "netsh resets or replaces the Windows Firewall policy"),
    _r("netsh-on", "netsh", r" (advfirewall set [a-z]*profiles? (state on|firewallpolicy "
       r"block(inbound|inboundalways),allowoutbound|logging (droppedconnections|allowedconnections)"
       r" enable|settings (localfirewallrules|localconsecrules|unicastresponsetomulticast"
       r"|remotemanagement) disable)|firewall set opmode (mode=)?enable) ", HARDENED,
       "netsh turns a Windows Firewall profile, its inbound block or its logging on"),
    _r("netsh-rule", "netsh", r" (advfirewall firewall (add|set|delete) rule|firewall (add|set|"
       r"delete) (portopening|allowedprogram|service|icmpsetting|multicastbroadcastresponse)"
       r"|advfirewall set|firewall set) ", MODIFY,
       "netsh changes Windows Firewall rules or settings"),
    _r("netsh-show", "netsh", r" (advfirewall|firewall) (.* )?(show|dump|export) ", ENUMERATE,
       "netsh reads the Windows Firewall configuration"),
    # -- reg.exe ---------------------------------------------------------------------------------
    _r("reg-fw-off", "reg",
       rf"^(?=.* add [^ ]*{_FW_REG})(?=.* /v (enablefirewall|defaultinboundaction) )"
       rf"(?=.* /d {_ZERO} )", DISABLE,
       "reg add sets EnableFirewall (or DefaultInboundAction) to 0"),
    _r("reg-svc-disable", "reg", rf"^(?=.* add [^ ]*{_SERVICE_KEYS} )(?=.* /v start )"
       rf"(?=.* /d {_FOUR} )", DISABLE,
       "reg add disables the Windows Firewall service, its driver or the Base Filtering Engine"),
    _r("reg-fw-allow-app", "reg", r"^(?=.* add [^ ]*firewallrules )(?=.*action=allow)(?=.*\|app=)",
       ALLOW_PROCESS, "reg add writes a Windows Firewall allow rule for a program"),
    _r("reg-fw-on", "reg", rf"^(?=.* add [^ ]*{_FW_REG})(?=.* /v {_REG_ON_VALUES} )"
       rf"(?=.* /d {_ONE} )", HARDENED,
       "reg add turns the Windows Firewall, its inbound block or its logging on"),
    _r("reg-fw-change", "reg", rf" (add|delete|import) [^ ]*{_FW_REG}", MODIFY,
       "reg changes Windows Firewall policy values"),
    _r("reg-fw-query", "reg", rf" (query|export) [^ ]*{_FW_REG}", ENUMERATE,
       "reg reads Windows Firewall policy values"),
    # -- PowerShell registry provider -------------------------------------------------------------
    _r("psreg-fw-off", "psregistry",
       rf"^(?=.*{_FW_REG})(?=.* (enablefirewall|defaultinboundaction) )(?=.* ({_ZERO}|\$false) )",
       DISABLE, "PowerShell sets the registry value EnableFirewall to 0"),
    _r("psreg-svc-disable", "psregistry",
       rf"^(?=.*{_SERVICE_KEYS} )(?=.* -name start )(?=.* -value (4|0x0*4) )", DISABLE,
       "PowerShell disables the Windows Firewall service, its driver or the Base Filtering Engine"),
    _r("psreg-fw-on", "psregistry",
       rf"^(?=.*{_FW_REG})(?=.* {_REG_ON_VALUES} )(?=.* -value (1|\$true|0x0*1) )", HARDENED,
       "PowerShell turns the Windows Firewall, its inbound block or its logging on"),
    _r("psreg-fw-change", "psregistry", _FW_REG, MODIFY,
       "PowerShell changes Windows Firewall registry values"),
    # -- services --------------------------------------------------------------------------------
    _r("win-svc-stop", "winservice", rf"( (stop|delete|pause) {_SERVICES} "
       rf"|^(?=.* config {_SERVICES} )(?=.*(start= ?| )disabled ))", DISABLE,
       "the Windows Firewall service (MpsSvc) or Base Filtering Engine is stopped or disabled"),
    _r("win-svc-manual", "winservice", rf"^(?=.* config {_SERVICES} )(?=.*(start= ?| )demand )",
       MODIFY, "the Windows Firewall service no longer starts at boot (start= demand)"),
    _r("win-svc-start", "winservice", rf"( (start|continue) {_SERVICES} "
       rf"|^(?=.* config {_SERVICES} )(?=.*(start= ?| )(auto|delayed-auto|boot|system) ))",
       HARDENED, "the Windows Firewall service is started or set to start at boot"),
    _r("wmic-svc-stop", "wmic", rf"^(?=.* service )(?=.*{_SERVICES})(?=.* call (stopservice"
       r"|pauseservice|delete|changestartmode \"?disabled))", DISABLE,
       "wmic stops or disables the Windows Firewall service or Base Filtering Engine"),
    _r("wmic-svc-start", "wmic", rf"^(?=.* service )(?=.*{_SERVICES})(?=.* call (startservice"
       r"|changestartmode \"?auto))", HARDENED, "wmic starts the Windows Firewall service"),
    _r("wmic-profile-off", "wmic", rf"{_WMIC_PROFILE_SET}(?=.*[ ,](enabled ?= ?[\"']?(0|false)"
       r"|defaultinboundaction ?= ?[\"']?2)[\"']?( |,))", DISABLE,
       "wmic turns a Windows Firewall profile off (Enabled=0) or to allow inbound"),
    _r("wmic-profile-on", "wmic", r"^(?=.*msft_netfirewallprofile ).* set ((enabled ?= ?[\"']?"
       r"(1|true)|defaultinboundaction ?= ?[\"']?4)[\"']?[ ,]*)+$", HARDENED,
       "wmic turns a Windows Firewall profile (or its inbound block) on"),
    _r("wmic-fw-change", "wmic", rf"{_CIM_FW}.* (call|set|delete|create) ", MODIFY,
       "wmic changes Windows Firewall objects"),
    _r("wmic-fw-enum", "wmic", _CIM_FW, ENUMERATE, "wmic reads Windows Firewall objects"),
    _r("ps-svc-stop", "psstop", _SVC, DISABLE,
       "Stop-Service stops the Windows Firewall service (MpsSvc) or Base Filtering Engine"),
    _r("ps-svc-disable", "psset", rf"^(?=.*{_SVC})(?=.* (-startuptype disabled|-status "
       r"(stopped|paused)) )", DISABLE,
       "Set-Service stops or disables the Windows Firewall service or Base Filtering Engine"),
    _r("ps-svc-manual", "psset", rf"^(?=.*{_SVC})(?=.* -startuptype manual )", MODIFY,
       "Set-Service: the Windows Firewall service no longer starts at boot"),
    _r("ps-svc-enable", "psset", rf"^(?=.*{_SVC})(?=.* (-startuptype (automatic|"
       r"automaticdelayedstart|boot|system)|-status running) )", HARDENED,
       "Set-Service starts the Windows Firewall service or sets it to start at boot"),
    _r("ps-svc-start", "psstart", _SVC, HARDENED, "Start-Service starts the Windows Firewall"),
    # -- PowerShell NetSecurity ------------------------------------------------------------------
    _r("ps-profile-off", "psprofile", rf" -enabled {_FALSE} ", DISABLE,
       "Set-NetFirewallProfile turns a Windows Firewall profile off"),
    _r("ps-profile-allow", "psprofile", r" -defaultinboundaction allow ", DISABLE,
       "Set-NetFirewallProfile makes a profile allow all inbound traffic"),
    _r("ps-profile-weaken", "psprofile", rf" -(log(allowed|blocked|ignored) {_FALSE}"
       rf"|{_PROFILE_SWITCHES} {_TRUE}|(enabled|defaultinboundaction) notconfigured"
       r"|defaultoutboundaction [a-z]+|logfilename (?![^ ]*\\logfiles\\firewall\\)[^ ]+) ",
       MODIFY, "Set-NetFirewallProfile loosens profile settings (logging, local rules, "
       "notifications, outbound policy, log file)"),
    _r("ps-profile-on", "psprofile", rf" -(enabled {_TRUE}|defaultinboundaction block"
       rf"|log(allowed|blocked|ignored) {_TRUE}|{_PROFILE_SWITCHES} {_FALSE}) ", HARDENED,
       "Set-NetFirewallProfile turns a profile, its inbound block or its logging on"),
    _r("ps-block-tool", "psrule",
       rf"^(?=.* -action block )(?=.* -program {PROGRAM_DIR}{SECURITY_TOOLS} )", MODIFY,
       "a firewall rule blocks the network traffic of a security tool", severity=Severity.HIGH,
       techniques=T_WIN_VS_TOOLS),
    _r("ps-allow-program", "psrule", r" -program ", ALLOW_PROCESS,
       "a firewall rule allows a program (New-NetFirewallRule defaults to -Action Allow)",
       unless=r" -action block "),
    _r("ps-rule-change", "psrule", r"^", MODIFY, "a NetSecurity cmdlet changes firewall rules"),
    _r("ps-enum", "psenum", r"^", ENUMERATE, "a NetSecurity cmdlet reads the firewall"),
    _r("ps-cim-enum", "pscim", _CIM_FW, ENUMERATE,
       "a CIM/WMI query reads Windows Firewall rules, profiles or products"),
    _r("ps-cim-change", "pscimchange", _CIM_FW, MODIFY,
       "a CIM/WMI call changes Windows Firewall rules or profiles"),
)  # fmt: skip

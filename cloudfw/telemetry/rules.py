"""Command-line detections as data: tool family -> argument pattern -> category, severity, reason.

How a rule matches: the command's arguments (after wrapper peeling, see ``cmdline``) are normalized
into one string ``" a1 a2 ... "`` (each token surrounded by single spaces):

- ``Tool.optstring`` expands getopt clusters (``pfctl -nf x`` -> ``-n -f x``, ``-Fa`` -> ``-F a``);
- ``Tool.icase`` lower-cases (Windows tools, PowerShell parameters, ``defaults`` domains...);
- ``Tool.resplit`` re-splits tokens on blanks (``nft 'flush ruleset'`` -> ``flush ruleset``);
- PowerShell ``-Param:value`` becomes ``-param value``.

``Rule.match`` is a regular expression searched in that string (``Rule.unless`` vetoes). Within a
family, rules are tried in order and the first match wins, so the table lists ``disable`` before
``modify`` before ``allow_process`` before ``enumerate``. A command no rule matches is nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudfw.model import Severity

DISABLE = "disable"
MODIFY = "modify"
ALLOW_PROCESS = "allow_process"
ENUMERATE = "enumerate"
BEACON = "bpf_trigger"  # AN0464 correlation (see correlate.py)

CATEGORIES = (DISABLE, MODIFY, ALLOW_PROCESS, ENUMERATE, BEACON)

DEFAULT_SEVERITY = {
    DISABLE: Severity.HIGH,
    MODIFY: Severity.MEDIUM,
    ALLOW_PROCESS: Severity.MEDIUM,
    ENUMERATE: Severity.LOW,
    BEACON: Severity.HIGH,
}

DATA_COMPONENT = {
    DISABLE: "DS0018:Firewall Disable",
    MODIFY: "DS0018:Firewall Rule Modification",
    ALLOW_PROCESS: "DS0018:Firewall Rule Modification",
    ENUMERATE: "DS0018:Firewall Enumeration",
    BEACON: "DS0018:Firewall Metadata",
}

# ATT&CK v19 id first, then the legacy id people still search for.
T_HOST = ("T1686", "T1562.004")
T_WINDOWS = ("T1686.003", "T1562.004")
T_TOOLS = ("T1685", "T1562.001")
T_WIN_VS_TOOLS = ("T1686.003", "T1685", "T1562.004", "T1562.001")
T_DISCOVERY = ("T1518.001",)
T_BPFDOOR = ("T1686", "T1562.004", "T1205")
T_SOCKET_FILTER = ("T1205.002", "T1205")

SECURITY_TOOLS = (
    r"(msmpeng|mssense|sensecncproxy|senseir|nissrv|mpcmdrun|mpdefendercoreservice|csfalcon\w*"
    r"|falcon\w*|cb|cbdefense|repmgr|sentinel\w*|cylance\w*|elastic-agent|elastic-endpoint"
    r"|winlogbeat|xagt|taniumclient|sysmon(64)?|splunkd|osqueryd|cyserver|qualysagent|sophos\w*"
    r"|ekrn|avp|bdagent|mcshield|wazuh-agent|ossec-agent)(\.exe)?"
)
_PROGRAM = r"(.*[\\/])?"


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool family: the program names it answers to and how its arguments are normalized."""

    family: str
    names: frozenset[str]
    platform: str  # macos | linux | windows | any
    icase: bool = False
    optstring: str = ""
    resplit: bool = False
    analytic: str = ""  # "AN0408" for macOS pf/ALF; else the DS0018 data component


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    family: str
    match: str
    category: str
    reason: str
    unless: str = ""
    severity: Severity | None = None
    techniques: tuple[str, ...] = ()
    analytic: str = ""
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    compiled_unless: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.match))
        object.__setattr__(
            self, "compiled_unless", re.compile(self.unless) if self.unless else None
        )


def _t(family: str, names: str, platform: str, **kw: object) -> Tool:
    return Tool(family, frozenset(names.split()), platform, **kw)  # type: ignore[arg-type]


TOOLS: tuple[Tool, ...] = (
    _t("pfctl", "pfctl", "macos", optstring="a:AdD:eEqf:F:ghi:k:K:Lm:MnNOo:Pp:rRs:St:T:vx:X:z",
       analytic="AN0408"),
    _t("socketfilterfw", "socketfilterfw", "macos", icase=True, analytic="AN0408"),
    _t("defaults", "defaults", "macos", icase=True, analytic="AN0408"),
    _t("launchctl", "launchctl", "macos", icase=True),
    _t("killall", "killall pkill", "any", icase=True),
    _t("systemextensionsctl", "systemextensionsctl", "macos", icase=True),
    _t("iptables", "iptables ip6tables iptables-legacy ip6tables-legacy iptables-nft ip6tables-nft "
       "xtables-legacy-multi xtables-nft-multi", "linux",
       optstring="t:A:C:D:I:R:LSFZN:XP:E:p:s:d:j:g:i:o:m:c:wW:nvx46h"),
    _t("iptables-restore", "iptables-restore ip6tables-restore iptables-legacy-restore "
       "iptables-nft-restore ip6tables-legacy-restore ip6tables-nft-restore", "linux"),
    _t("iptables-save", "iptables-save ip6tables-save iptables-legacy-save iptables-nft-save",
       "linux"),
    _t("nft", "nft", "linux", resplit=True),
    _t("ufw", "ufw", "linux", icase=True),
    _t("ufw-init", "ufw-init", "linux", icase=True),
    _t("firewall-cmd", "firewall-cmd firewall-offline-cmd", "linux", icase=True),
    _t("services", "systemctl service chkconfig update-rc.d rc-service rc-update", "linux",
       icase=True),
    _t("esxcli", "esxcli", "any", icase=True),
    _t("netsh", "netsh", "windows", icase=True),
    _t("reg", "reg", "windows", icase=True),
    _t("winservice", "sc net net1", "windows", icase=True),
    _t("psservice", "stop-service spsv set-service", "windows", icase=True),
    _t("psprofile", "set-netfirewallprofile", "windows", icase=True),
    _t("psrule", "new-netfirewallrule set-netfirewallrule remove-netfirewallrule "
       "disable-netfirewallrule enable-netfirewallrule copy-netfirewallrule "
       "rename-netfirewallrule set-netfirewallapplicationfilter set-netfirewallportfilter "
       "set-netfirewalladdressfilter set-netfirewallsetting", "windows", icase=True),
    _t("psenum", "get-netfirewallprofile get-netfirewallrule show-netfirewallrule "
       "get-netfirewallsetting get-netfirewallportfilter get-netfirewallapplicationfilter "
       "get-netfirewalladdressfilter get-netfirewallservicefilter", "windows", icase=True),
    _t("psregistry", "set-itemproperty new-itemproperty sp", "windows", icase=True),
)  # fmt: skip

_OFF = r"(off|0|false|no|disable|disabled)"
_ALF = r"[^ ]*com\.apple\.alf(\.plist)?"
_SECFW = r"[^ ]*com\.apple\.security\.firewall(\.plist)?"
_TYPE = r"(-(int|integer|bool|boolean|string) )?"
_APPLE_DAEMONS = r"com\.apple\.(alf|pfctl)"
_THIRD_PARTY = r"(at\.obdev\.littlesnitch|littlesnitch|little snitch|com\.objective-see\.lulu|lulu)"
_LINUX_UNITS = r"(firewalld|ufw|iptables|ip6tables|nftables|netfilter-persistent|shorewall|pf)"
_LD_STOP = r" (unload|bootout|disable|remove|stop|kill) .*"
_WIN_SERVICES = r"(mpssvc|bfe|sharedaccess|windows (defender )?firewall|base filtering engine)"
_FW_REG = r"(firewallpolicy|windowsfirewall)"


def _r(rid: str, family: str, match: str, category: str, reason: str, **kw: object) -> Rule:
    return Rule(rid, family, match, category, reason, **kw)  # type: ignore[arg-type]


RULES: tuple[Rule, ...] = (
    # -- macOS pf (AN0408) -------------------------------------------------------------------
    _r("pf-disable", "pfctl", r" -d ", DISABLE, "pfctl -d disables the pf packet filter"),
    _r("pf-anchor-flush", "pfctl", r"^(?=.* -a [^ ]+ )(?=.* -F )", MODIFY,
       "pfctl flushes the rules of one anchor"),
    _r("pf-flush-rules", "pfctl", r" -F (a|al|all|r|ru|rul|rule|rules) ", DISABLE,
       "pfctl -F flushes every pf rule"),
    _r("pf-flush", "pfctl", r" -F ", MODIFY, "pfctl -F flushes pf state, NAT or tables"),
    _r("pf-release-token", "pfctl", r" -X ", MODIFY,
       "pfctl -X releases a pf enable reference; pf turns off when none is held"),
    _r("pf-load", "pfctl", r" -f ", MODIFY, "pfctl -f loads a new pf rule set", unless=r" -n "),
    _r("pf-table", "pfctl", r" -T (a|ad|add|d|de|del|dele|delet|delete|r|re|rep|repl|repla|replac"
       r"|replace|f|fl|flu|flus|flush|k|ki|kil|kill|l|lo|loa|load|e|ex|exp|expire) ", MODIFY,
       "pfctl -T changes the addresses of a pf table"),
    _r("pf-show", "pfctl", r" -(s [^ ]+|T (show|test|sh|t)) ", ENUMERATE,
       "pfctl -s/-T show lists pf rules, tables or state"),
    # -- macOS Application Firewall (AN0408) ---------------------------------------------------
    _r("alf-off", "socketfilterfw", rf" --setglobalstate {_OFF} ", DISABLE,
       "socketfilterfw turns the Application Firewall off"),
    _r("alf-kill", "socketfilterfw", r" -k ", DISABLE,
       "socketfilterfw -k kills the Application Firewall daemon"),
    _r("alf-blockall-off", "socketfilterfw", rf" --setblockall {_OFF} ", MODIFY,
       "socketfilterfw stops blocking all incoming connections"),
    _r("alf-stealth-off", "socketfilterfw", rf" --setstealthmode {_OFF} ", MODIFY,
       "socketfilterfw turns stealth mode off"),
    _r("alf-logging-off", "socketfilterfw", rf" --setloggingmode {_OFF} ", MODIFY,
       "socketfilterfw turns Application Firewall logging off"),
    _r("alf-allow-signed", "socketfilterfw", r" --setallowsigned(app)? ", MODIFY,
       "socketfilterfw lets all signed software accept connections",
       unless=rf" --setallowsigned(app)? {_OFF} "),
    _r("alf-add-app", "socketfilterfw", r" --(add|unblockapp) ", ALLOW_PROCESS,
       "socketfilterfw allows a program to accept incoming connections"),
    _r("alf-remove-app", "socketfilterfw", r" --remove ", MODIFY,
       "socketfilterfw removes a program's firewall entry"),
    _r("alf-get", "socketfilterfw", r" --(get[a-z]*|listapps) ", ENUMERATE,
       "socketfilterfw reads the Application Firewall configuration"),
    _r("alf-defaults-off", "defaults", rf" write {_ALF} globalstate {_TYPE}(0|false|no) ",
       DISABLE, "defaults write sets the Application Firewall globalstate to 0 (off)"),
    _r("alf-defaults-unload", "defaults",
       rf" write {_ALF} firewallunload {_TYPE}(1|true|yes) ", DISABLE,
       "defaults write makes the Application Firewall unload"),
    _r("alf-profile-off", "defaults", rf" write {_SECFW} enablefirewall {_TYPE}(0|false|no) ",
       DISABLE, "defaults write turns the firewall payload off"),
    _r("alf-defaults-weaken", "defaults",
       rf" write ({_ALF} (stealthenabled|loggingenabled)"
       rf"|{_SECFW} (enablestealthmode|enablelogging))"
       rf" {_TYPE}(0|false|no) ", MODIFY,
       "defaults write turns Application Firewall stealth mode or logging off"),
    _r("alf-defaults-signed", "defaults",
       rf" write ({_ALF} (allowsignedenabled|allowdownloadsignedenabled)|{_SECFW} allowsigned)"
       rf" {_TYPE}(1|true|yes) ", MODIFY,
       "defaults write lets signed software through the Application Firewall"),
    _r("alf-defaults-exception", "defaults",
       rf" write {_ALF} (exceptions|applications|explicitauths) ", ALLOW_PROCESS,
       "defaults write adds an Application Firewall exception"),
    _r("alf-defaults-delete", "defaults", rf" delete ({_ALF}|{_SECFW}) ", MODIFY,
       "defaults delete removes Application Firewall settings"),
    _r("alf-defaults-read", "defaults", rf" read(-type)? ({_ALF}|{_SECFW}) ", ENUMERATE,
       "defaults read reads the Application Firewall settings"),
    # -- macOS launchd, third-party firewalls --------------------------------------------------
    _r("launchd-apple-fw", "launchctl", rf"{_LD_STOP}{_APPLE_DAEMONS}",
       DISABLE, "launchctl stops the Application Firewall or pf daemon", analytic="AN0408"),
    _r("launchd-3p-fw", "launchctl", rf"{_LD_STOP}{_THIRD_PARTY}",
       DISABLE, "launchctl stops a third-party firewall (Little Snitch / LuLu)",
       techniques=T_TOOLS),
    _r("launchd-fw-list", "launchctl", rf" (list|print|blame) .*({_APPLE_DAEMONS}|{_THIRD_PARTY})",
       ENUMERATE, "launchctl inspects a firewall daemon"),
    _r("kill-alf", "killall", r" [^ ]*(socketfilterfw|firewalld|ufw)( |$)", DISABLE,
       "killall/pkill stops a firewall daemon"),
    _r("kill-3p-fw", "killall", rf" [^ ]*{_THIRD_PARTY}", DISABLE,
       "killall/pkill stops a third-party firewall (Little Snitch / LuLu)", techniques=T_TOOLS),
    _r("sysext-3p-fw", "systemextensionsctl", rf" uninstall .*{_THIRD_PARTY}", DISABLE,
       "systemextensionsctl removes a third-party firewall's network extension",
       techniques=T_TOOLS),
    # -- Linux iptables --------------------------------------------------------------------------
    _r("ipt-bpfdoor-redirect", "iptables",
       r"^(?=.* -t nat )(?=.* -j REDIRECT )(?=.* --to-ports? 4[23]\d\d\d)", MODIFY,
       "iptables NAT redirect to a high port in 42xxx/43xxx, as BPFDoor's bind shell does",
       severity=Severity.HIGH, techniques=T_BPFDOOR),
    _r("ipt-flush-nat", "iptables", r"^(?=.* -t (nat|mangle|raw|security) )(?=.* (-F|--flush) )",
       MODIFY, "iptables flushes a NAT/mangle/raw chain"),
    _r("ipt-flush", "iptables", r" (-F|--flush) ", DISABLE, "iptables -F removes filter rules"),
    _r("ipt-policy-accept", "iptables", r" (-P|--policy) (INPUT|FORWARD) ACCEPT ", DISABLE,
       "iptables sets the default policy of an inbound chain to ACCEPT"),
    _r("ipt-accept-all", "iptables", r"^ (-I|--insert|-A|--append) INPUT (1 )?-j ACCEPT $", DISABLE,
       "iptables accepts every inbound packet"),
    _r("ipt-policy", "iptables", r" (-P|--policy) ", MODIFY, "iptables changes a chain policy"),
    _r("ipt-change", "iptables", r" (-A|--append|-I|--insert|-D|--delete|-R|--replace"
       r"|-N|--new-chain|-X|--delete-chain|-E|--rename-chain|-Z|--zero) ", MODIFY,
       "iptables changes rules"),
    _r("ipt-list", "iptables", r" (-L|--list|-S|--list-rules|-C|--check) ", ENUMERATE,
       "iptables lists rules"),
    _r("ipt-restore", "iptables-restore", r".", MODIFY, "iptables-restore replaces rules",
       unless=r" (-t|--test) "),
    _r("ipt-restore-stdin", "iptables-restore", r"^ $", MODIFY, "iptables-restore replaces rules"),
    _r("ipt-save", "iptables-save", r"^", ENUMERATE, "iptables-save dumps the rule set"),
    # -- nftables --------------------------------------------------------------------------------
    _r("nft-flush-ruleset", "nft", r" flush ruleset ", DISABLE, "nft flushes the whole rule set",
       unless=r" (-c|--check) "),
    _r("nft-delete-table", "nft", r" (delete|destroy|flush) (table|chain) ", DISABLE,
       "nft removes a table or every rule of a chain", unless=r" (-c|--check) "),
    _r("nft-policy-accept", "nft", r" chain .* policy accept", DISABLE,
       "nft sets a base chain's policy to accept", unless=r" (-c|--check) "),
    _r("nft-change", "nft", r" ((add|insert|replace|create|delete|destroy|reset|rename) "
       r"(rule|chain|table|set|map|element|counter|quota)|-f) ", MODIFY, "nft changes rules",
       unless=r" (-c|--check) "),
    _r("nft-list", "nft", r" (list|monitor) ", ENUMERATE, "nft lists the rule set"),
    # -- ufw -------------------------------------------------------------------------------------
    _r("ufw-disable", "ufw", r" (disable|reset) ", DISABLE, "ufw disables or resets the firewall",
       unless=r" --dry-run "),
    _r("ufw-default-allow", "ufw", r" default (allow|accept) (incoming |in |routed )?$", DISABLE,
       "ufw sets the default inbound policy to allow", unless=r" --dry-run "),
    _r("ufw-logging-off", "ufw", r" logging off ", MODIFY, "ufw turns logging off",
       unless=r" --dry-run "),
    _r("ufw-change", "ufw", r" (allow|deny|reject|limit|delete|insert|prepend|route|default) ",
       MODIFY, "ufw changes rules", unless=r" --dry-run "),
    _r("ufw-status", "ufw", r" (status|show|app (list|info)) ", ENUMERATE, "ufw shows rules"),
    _r("ufw-init-stop", "ufw-init", r" (force-stop|stop|flush-all) ", DISABLE,
       "ufw-init stops the firewall"),
    # -- firewalld -------------------------------------------------------------------------------
    _r("fwd-trusted", "firewall-cmd", r" --set-default-zone(=| )trusted ", DISABLE,
       "firewall-cmd makes the trusted (accept-all) zone the default"),
    _r("fwd-trusted-if", "firewall-cmd",
       r"^(?=.* --zone(=| )trusted )(?=.* --(add|change)-(interface|source)(=| ))", DISABLE,
       "firewall-cmd puts an interface or source in the trusted (accept-all) zone"),
    _r("fwd-target-accept", "firewall-cmd", r" --set-target(=| )accept ", DISABLE,
       "firewall-cmd makes a zone accept everything"),
    _r("fwd-change", "firewall-cmd", r" --((add|remove)-(port|service|rich-rule|source|source-port"
       r"|forward-port|masquerade|protocol|interface|icmp-block|icmp-block-inversion)"
       r"|direct .*--(add|remove|remove-rules|passthrough)|set-log-denied|new-zone|delete-zone"
       r"|set-default-zone|change-(interface|zone|source))", MODIFY, "firewall-cmd changes rules"),
    _r("fwd-list", "firewall-cmd", r" --((list|get|query|info)-[a-z-]+|state)",
       ENUMERATE, "firewall-cmd lists the configuration"),
    # -- services (systemd, SysV, OpenRC) ---------------------------------------------------------
    _r("svc-stop", "services", rf"( (stop|disable|mask|kill) (.* )?{_LINUX_UNITS}(\.service)? "
       rf"| {_LINUX_UNITS}(\.service)? (stop|onestop|disable|off|remove|del|delete|force-stop) )",
       DISABLE, "a firewall service is stopped or disabled"),
    _r("svc-status", "services",
       rf" (status|is-active|is-enabled|show) .*{_LINUX_UNITS}(\.service)? "
       rf"| {_LINUX_UNITS} status ", ENUMERATE, "a firewall service's state is queried"),
    # -- ESXi ------------------------------------------------------------------------------------
    _r("esxi-off", "esxcli", r" network firewall set .*(--enabled(=| )(false|0)|--default-action"
       r"(=| )(true|1|pass))", DISABLE, "esxcli turns the ESXi firewall off or to pass"),
    _r("esxi-change", "esxcli", r" network firewall (ruleset (set|allowedip)|set|unload) ", MODIFY,
       "esxcli changes the ESXi firewall"),
    _r("esxi-list", "esxcli", r" network firewall (get|ruleset (list|rule list)) ", ENUMERATE,
       "esxcli lists the ESXi firewall"),
    # -- Windows netsh ---------------------------------------------------------------------------
    _r("netsh-off", "netsh", r" advfirewall set [a-z]*profiles? state (off|disable) ", DISABLE,
       "netsh turns a Windows Firewall profile off"),
    _r("netsh-opmode-off", "netsh", r" firewall set opmode (mode=)?disable", DISABLE,
       "netsh (legacy) turns the Windows Firewall off"),
    _r("netsh-allow-inbound", "netsh",
       r" advfirewall set [a-z]*profiles? firewallpolicy allowinbound",
       DISABLE, "netsh makes a profile allow all inbound traffic"),
    _r("netsh-block-tool", "netsh",
       rf"^(?=.* firewall add rule )(?=.* action=block )(?=.* program={_PROGRAM}{SECURITY_TOOLS} )",
       MODIFY, "netsh blocks the network traffic of a security tool", severity=Severity.HIGH,
       techniques=T_WIN_VS_TOOLS),
    _r("netsh-allow-program", "netsh",
       r"(^(?=.* firewall (add|set) rule )(?=.* program=)(?=.* action=allow )| firewall add "
       r"allowedprogram )", ALLOW_PROCESS, "netsh allows a program through the Windows Firewall"),
    _r("netsh-logging-off", "netsh", r" advfirewall set [a-z]*profiles? logging [a-z]+ disable ",
       MODIFY, "netsh turns Windows Firewall logging off"),
    _r("netsh-reset", "netsh", r" advfirewall (reset|import) ", MODIFY,
       "netsh resets or replaces the Windows Firewall policy"),
    _r("netsh-rule", "netsh", r" (advfirewall firewall (add|set|delete) rule|firewall (add|set|"
       r"delete) (portopening|allowedprogram|service|icmpsetting|multicastbroadcastresponse)"
       r"|advfirewall set ) ", MODIFY, "netsh changes Windows Firewall rules or settings"),
    _r("netsh-show", "netsh", r" (advfirewall|firewall) (.* )?(show|dump|export) ", ENUMERATE,
       "netsh reads the Windows Firewall configuration"),
    # -- Windows registry ------------------------------------------------------------------------
    _r("reg-fw-off", "reg",
       rf"^(?=.* add [^ ]*{_FW_REG})(?=.* /v (enablefirewall|defaultinboundaction) )"
       r"(?=.* /d (0|0x0+) )", DISABLE,
       "reg add sets EnableFirewall (or DefaultInboundAction) to 0"),
    _r("reg-fw-allow-app", "reg", r"^(?=.* add [^ ]*firewallrules )(?=.*action=allow)(?=.*\|app=)",
       ALLOW_PROCESS, "reg add writes a Windows Firewall allow rule for a program"),
    _r("reg-fw-change", "reg", rf" (add|delete|import) [^ ]*{_FW_REG}", MODIFY,
       "reg changes Windows Firewall policy values"),
    _r("reg-fw-query", "reg", rf" (query|export) [^ ]*{_FW_REG}", ENUMERATE,
       "reg reads Windows Firewall policy values"),
    _r("psreg-fw-off", "psregistry",
       rf"^(?=.*{_FW_REG})(?=.* (enablefirewall|defaultinboundaction) )(?=.* (0|\$false|0x0+) )",
       DISABLE, "PowerShell sets the registry value EnableFirewall to 0"),
    _r("psreg-fw-change", "psregistry", _FW_REG, MODIFY,
       "PowerShell changes Windows Firewall registry values"),
    # -- Windows services ------------------------------------------------------------------------
    _r("win-svc-stop", "winservice", rf"( (stop|delete) {_WIN_SERVICES} "
       rf"|^(?=.* config {_WIN_SERVICES} )(?=.* disabled ))", DISABLE,
       "the Windows Firewall service (MpsSvc) or Base Filtering Engine is stopped or disabled"),
    _r("ps-svc-disable", "psservice", rf"^(?=.* {_WIN_SERVICES} )(?=.* disabled )", DISABLE,
       "Set-Service disables the Windows Firewall service (MpsSvc) or Base Filtering Engine"),
    _r("ps-svc-stop", "psservice", rf"^ (-name |-displayname )?{_WIN_SERVICES} ", DISABLE,
       "Stop-Service stops the Windows Firewall service (MpsSvc) or Base Filtering Engine",
       unless=r" -startuptype "),
    # -- PowerShell NetSecurity ------------------------------------------------------------------
    _r("ps-profile-off", "psprofile", r" -enabled (\$?false|0|no) ", DISABLE,
       "Set-NetFirewallProfile turns a Windows Firewall profile off"),
    _r("ps-profile-allow", "psprofile", r" -defaultinboundaction allow ", DISABLE,
       "Set-NetFirewallProfile makes a profile allow all inbound traffic"),
    _r("ps-profile-weaken", "psprofile", r" -(log(blocked|allowed|ignored) (\$?false|0|no)"
       r"|notifyonlisten|allowinboundrules|allowlocalfirewallrules|allowunicastresponsetomulticast"
       r"|allowuserapps|allowuserports|logfilename|logmaxsizekilobytes|defaultoutboundaction) ",
       MODIFY, "Set-NetFirewallProfile changes profile settings"),
    _r("ps-block-tool", "psrule",
       rf"^(?=.* -action block )(?=.* -program {_PROGRAM}{SECURITY_TOOLS} )", MODIFY,
       "a firewall rule blocks the network traffic of a security tool", severity=Severity.HIGH,
       techniques=T_WIN_VS_TOOLS),
    _r("ps-allow-program", "psrule", r" -program ", ALLOW_PROCESS,
       "a firewall rule allows a program (New-NetFirewallRule defaults to -Action Allow)",
       unless=r" -action block "),
    _r("ps-rule-change", "psrule", r"^", MODIFY, "a NetSecurity cmdlet changes firewall rules"),
    _r("ps-enum", "psenum", r"^", ENUMERATE, "a NetSecurity cmdlet reads the firewall"),
)  # fmt: skip

TOOLS_BY_NAME: dict[str, Tool] = {n: t for t in TOOLS for n in t.names}
RULES_BY_FAMILY: dict[str, tuple[Rule, ...]] = {
    t.family: tuple(r for r in RULES if r.family == t.family) for t in TOOLS
}


# Every command line a rule can match contains one of these lower-case substrings, or is a
# PowerShell line that ``PREFILTER_ENCODED`` matches (-EncodedCommand hides everything else).
# ``detect`` skips the full parse for other lines: the fast path (plain substring tests; a regex
# alternation is ten times slower). tests/telemetry check that every positive case passes it.
PREFILTER_WORDS: tuple[str, ...] = (
    "tables", "firewall", "netsh", "nft", "ufw", "pfctl", "socketfilterfw", "com.apple.alf",
    "launchctl", "systemextensionsctl", "snitch", "lulu", "netfilter", "shorewall", "service pf",
    "chkconfig", "update-rc", "rc-update", "esxcli", "mpssvc", "bfe", "sharedaccess", "^",
    "base filtering",
)  # fmt: skip
PREFILTER_ENCODED = r"(powershell|pwsh)[^ ]*\s.*[-/]e"

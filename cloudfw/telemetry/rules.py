"""Command-line detections as data: tool family -> argument pattern -> category, severity, reason.

The macOS, Linux and cross-platform families are here, the Windows ones in ``rules_windows``,
writes to firewall configuration files in ``fwfiles``; ``rulebase`` says how a rule matches.
``tool_for`` finds a command's family: by the program's base name (``TOOLS_BY_NAME``), or, for an
init script (``/etc/init.d/ufw stop``, ``/etc/rc.d/pf stop``), by its directory.
"""

from __future__ import annotations

import re

from cloudfw.model import Severity
from cloudfw.telemetry.rulebase import (
    ALARMS,
    ALLOW_PROCESS,
    BEACON,
    CATEGORIES,
    DATA_COMPONENT,
    DEFAULT_SEVERITY,
    DISABLE,
    ENUMERATE,
    FIREWALL_DAEMONS,
    FIREWALL_SERVICES,
    HARDENED,
    LOGGING_SERVICES,
    MODIFY,
    RULE_LOADERS,
    SECURITY_TOOLS,
    T_BPFDOOR,
    T_DISCOVERY,
    T_HOST,
    T_SOCKET_FILTER,
    T_TOOLS,
    T_WIN_VS_TOOLS,
    T_WINDOWS,
    Rule,
    Tool,
    family_tool,
    long_options,
    make_rule,
    names_rx,
)
from cloudfw.telemetry.rules_windows import WINDOWS_RULES, WINDOWS_TOOLS

__all__ = [
    "ALARMS",
    "ALLOW_PROCESS",
    "BEACON",
    "CATEGORIES",
    "DATA_COMPONENT",
    "DEFAULT_SEVERITY",
    "DISABLE",
    "ENUMERATE",
    "HARDENED",
    "INIT_SCRIPT",
    "MODIFY",
    "PREFILTER_ENCODED",
    "PREFILTER_WORDS",
    "RULES",
    "RULES_BY_FAMILY",
    "SECURITY_TOOLS",
    "TOOLS",
    "TOOLS_BY_NAME",
    "T_BPFDOOR",
    "T_DISCOVERY",
    "T_HOST",
    "T_SOCKET_FILTER",
    "T_TOOLS",
    "T_WINDOWS",
    "T_WIN_VS_TOOLS",
    "Rule",
    "Tool",
    "tool_for",
]  # fmt: skip

_t, _r = family_tool, make_rule

# getopt_long tables of the tools whose rules read options: iptables(8), iptables-restore(8), nft(8)
_IPT_LONG = long_options(
    "append=A check=C delete=D insert=I replace=R list=L list-rules=S flush=F zero=Z new-chain=N "
    "delete-chain=X policy=P rename-chain=E table=t protocol=p source=s src=s destination=d dst=d "
    "jump=j goto=g in-interface=i out-interface=o match=m numeric=n verbose=v exact=x wait=w "
    "ipv4=4 ipv6=6 fragment=f set-counters=c help=h version=V"
)
_IPT_RESTORE_LONG = long_options(
    "test=t noflush=n counters=c verbose=v table=T wait=w help=h version=V binary=b modprobe=M"
)
_NFT_LONG = long_options(
    "check=c file=f handle=a echo=e json=j numeric=n stateless=s interactive=i includepath=I "
    "define=D terse=t debug=d optimize=o help=h version=v"
)

POSIX_TOOLS: tuple[Tool, ...] = (
    # pfctl -n parses only: it also turns -d, -e, -F and -s off (pfctl.c: "turn off options")
    _t("pfctl", "pfctl", "macos", optstring="a:AdD:eEqf:F:ghi:k:K:Lm:MnNOo:Pp:rRs:St:T:vx:X:z",
       analytic="AN0408", dry_run=r" -n "),
    _t("socketfilterfw", "socketfilterfw", "macos", icase=True, analytic="AN0408"),
    _t("defaults", "defaults", "macos", icase=True, analytic="AN0408"),
    _t("launchctl", "launchctl", "macos", icase=True),
    _t("killall", "killall pkill", "any", icase=True),
    _t("systemextensionsctl", "systemextensionsctl", "macos", icase=True),
    _t("iptables", "iptables ip6tables iptables-legacy ip6tables-legacy iptables-nft ip6tables-nft "
       "xtables-legacy-multi xtables-nft-multi", "linux",
       optstring="t:A:C:D:I:R:LSFZN:XP:E:p:s:d:j:g:i:o:m:c:wW:nvx46h", long_options=_IPT_LONG),
    _t("iptables-restore", "iptables-restore ip6tables-restore iptables-legacy-restore "
       "iptables-nft-restore ip6tables-legacy-restore ip6tables-nft-restore", "linux",
       optstring="bcvVthnwWM:T:", long_options=_IPT_RESTORE_LONG, dry_run=r" -t "),
    _t("iptables-save", "iptables-save ip6tables-save iptables-legacy-save iptables-nft-save",
       "linux"),
    _t("nft", "nft", "linux", resplit=True, optstring="hvVcf:iI:D:jnNsaetyo",
       long_options=_NFT_LONG, dry_run=r" -c "),
    _t("ufw", "ufw", "linux", icase=True, dry_run=r" --dry-run "),
    _t("ufw-init", "ufw-init", "linux", icase=True),
    _t("firewall-cmd", "firewall-cmd firewall-offline-cmd", "linux", icase=True),
    _t("services", "systemctl service invoke-rc.d chkconfig update-rc.d rc-service rc-update",
       "linux", icase=True),
    _t("netfilter-persistent", "netfilter-persistent", "linux", icase=True),
    _t("susefirewall2", "susefirewall2 rcsusefirewall2", "linux", icase=True),
    _t("sysrc", "sysrc", "any", icase=True),
    _t("esxcli", "esxcli", "any", icase=True),
)  # fmt: skip

_OFF = r"(off|0|false|no|disable|disabled)"
_ALF = r"[^ ]*com\.apple\.alf(\.plist)?"
_SECFW = r"[^ ]*com\.apple\.security\.firewall(\.plist)?"
_TYPE = r"(-(int|integer|bool|boolean|string) )?"
_APPLE_DAEMONS = r"com\.apple\.(alf|pfctl)"
_THIRD_PARTY = r"(at\.obdev\.littlesnitch|littlesnitch|little snitch|com\.objective-see\.lulu|lulu)"
# Every firewall the host parsers read, by its service (unit, init script, rc) names, and by what
# stopping it does (rulebase: FIREWALL_SERVICES, RULE_LOADERS, LOGGING_SERVICES).
_UNITS = names_rx(FIREWALL_SERVICES)
_LOADERS = names_rx(RULE_LOADERS)
_LOGGERS = names_rx(LOGGING_SERVICES)
_ANY_UNIT = names_rx(FIREWALL_SERVICES + RULE_LOADERS + LOGGING_SERVICES)
_DAEMONS = names_rx(FIREWALL_DAEMONS)
_SVC_OFF = r"(stop|disable|mask|del|delete|--del)"  # systemctl stop X, chkconfig --del X, ...
_SVC_OFF_AFTER = r"(stop|onestop|disable|off|remove|del|delete|force-stop|flush|onedisable)"
_BOOT_OFF = r"(disable|mask|del|delete|--del)"  # no longer started at boot
_BOOT_OFF_AFTER = r"(disable|off|remove|del|delete|flush|onedisable)"
# Signals a daemon cannot clean up after (SIGKILL, SIGSTOP) or does not (SIGQUIT, SIGABRT, SIGSEGV:
# Python's default action); SIGHUP makes firewalld reload, 0 only tests; SIGTERM/SIGINT (the
# default) make it stop and remove its rules (CleanupOnExit=yes).
_SIG_NOCLEANUP = r"((sig)?(kill|stop|quit|abrt|segv)|9|19|3|6|11)"
_SIG_HARMLESS = r"((sig)?(hup|usr1|usr2|winch|cont)|0|1|10|12)"


def _signal(sig: str) -> str:
    return rf" (-{sig}|(-s|--signal)(=| ){sig}) "


def _service(verbs: str, units: str, verbs_after: str) -> str:
    """``systemctl|service|rc-update VERB [...] UNIT`` or ``service|init-script UNIT VERB``."""
    return rf"( {verbs} (.* )?{units}(\.service)? | {units}(\.service)? {verbs_after} )"


_NO_CLEANUP = ("without its clean-up: its rules stay loaded, but no change (firewall-cmd, "
               "fail2ban bans, panic mode) is applied until it runs again")  # fmt: skip


_NO = r"[\"']?(no|false|off|0)[\"']?"
_LD_STOP = r" (unload|bootout|disable|remove|stop|kill) .*"


POSIX_RULES: tuple[Rule, ...] = (
    # -- macOS pf (AN0408) -------------------------------------------------------------------
    _r("pf-disable", "pfctl", r" -d ", DISABLE, "pfctl -d disables the pf packet filter"),
    _r("pf-load-empty", "pfctl", r"^(?!.* -a )(?=.* -f /dev/null )", DISABLE,
       "pfctl loads an empty rule set: pf passes everything"),
    _r("pf-anchor-flush", "pfctl", r"^(?=.* -a [^ ]+ )(?=.* -F )", MODIFY,
       "pfctl flushes the rules of one anchor"),
    # pfctl flushes before it loads (-F, then -f): "-F all -f /etc/pf.conf" is a reload
    _r("pf-reload", "pfctl", r"^(?=.* -F )(?=.* -f )", MODIFY,
       "pfctl flushes and reloads the pf rule set from a file (runtime table entries and states "
       "are dropped)"),
    _r("pf-flush-rules", "pfctl", r" -F (a|al|all|r|ru|rul|rule|rules) ", DISABLE,
       "pfctl -F flushes every pf rule"),
    _r("pf-flush", "pfctl", r" -F ", MODIFY, "pfctl -F flushes pf state, NAT or tables"),
    _r("pf-release-token", "pfctl", r" -X ", MODIFY,
       "pfctl -X releases a pf enable reference; pf turns off when none is held"),
    _r("pf-load", "pfctl", r" -f ", MODIFY, "pfctl -f loads a new pf rule set"),
    _r("pf-table", "pfctl", r" -T (a|ad|add|d|de|del|dele|delet|delete|r|re|rep|repl|repla|replac"
       r"|replace|f|fl|flu|flus|flush|k|ki|kil|kill|l|lo|loa|load|e|ex|exp|expire) ", MODIFY,
       "pfctl -T changes the addresses of a pf table"),
    _r("pf-show", "pfctl", r" -(s [^ ]+|T (show|test|sh|t)) ", ENUMERATE,
       "pfctl -s/-T show lists pf rules, tables or state"),
    _r("pf-enable", "pfctl", r" -[eE] ", HARDENED, "pfctl -e/-E turns the pf packet filter on"),
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
    _r("alf-on", "socketfilterfw", rf" --(set(globalstate|blockall|stealthmode|loggingmode) on"
       rf"|setallowsigned(app)? {_OFF}|blockapp) ", HARDENED,
       "socketfilterfw turns the Application Firewall (or a stricter setting) on"),
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
    _r("alf-defaults-on", "defaults", rf" write {_ALF} (globalstate {_TYPE}(1|2)"
       rf"|(stealthenabled|loggingenabled) {_TYPE}(1|true|yes)) ", HARDENED,
       "defaults write turns the Application Firewall, stealth mode or logging on"),
    # -- macOS launchd, third-party firewalls --------------------------------------------------
    _r("launchd-apple-fw", "launchctl", rf"{_LD_STOP}{_APPLE_DAEMONS}",
       DISABLE, "launchctl stops the Application Firewall or pf daemon", analytic="AN0408"),
    _r("launchd-3p-fw", "launchctl", rf"{_LD_STOP}{_THIRD_PARTY}",
       DISABLE, "launchctl stops a third-party firewall (Little Snitch / LuLu)",
       techniques=T_TOOLS),
    _r("launchd-fw-load", "launchctl", rf" (load|bootstrap|enable|start) .*({_APPLE_DAEMONS}"
       rf"|{_THIRD_PARTY})", HARDENED, "launchctl starts a firewall daemon"),
    _r("launchd-fw-list", "launchctl", rf" (list|print|blame) .*({_APPLE_DAEMONS}|{_THIRD_PARTY})",
       ENUMERATE, "launchctl inspects a firewall daemon"),
    _r("kill-fw-nocleanup", "killall",
       rf"^(?=.* [^ ]*{_DAEMONS}( |$))(?=.*{_signal(_SIG_NOCLEANUP)})", MODIFY,
       f"killall/pkill kills the firewall daemon {_NO_CLEANUP}"),
    _r("kill-alf", "killall", rf" [^ ]*(socketfilterfw|{_DAEMONS})( |$)", DISABLE,
       "killall/pkill stops a firewall daemon (firewalld removes its rules on SIGTERM)",
       unless=_signal(_SIG_HARMLESS)),
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
    # (long options arrive as their letters: --table nat --flush is -t nat -F)
    _r("ipt-flush-nat", "iptables", r"^(?=.* -t (nat|mangle|raw|security) )(?=.* -F )",
       MODIFY, "iptables flushes a NAT/mangle/raw chain"),
    _r("ipt-flush", "iptables", r" -F ", DISABLE, "iptables -F removes filter rules"),
    _r("ipt-policy-accept", "iptables", r" -P (INPUT|FORWARD) ACCEPT ", DISABLE,
       "iptables sets the default policy of an inbound chain to ACCEPT"),
    _r("ipt-accept-all", "iptables", r"^ (-I|-A) INPUT (1 )?-j ACCEPT $", DISABLE,
       "iptables accepts every inbound packet"),
    _r("ipt-policy-drop", "iptables", r" -P (INPUT|FORWARD) (DROP|REJECT) ", HARDENED,
       "iptables sets the default policy of an inbound chain to DROP"),
    _r("ipt-policy", "iptables", r" -P ", MODIFY, "iptables changes a chain policy"),
    _r("ipt-change", "iptables", r" -(A|I|D|R|N|X|E|Z) ", MODIFY, "iptables changes rules"),
    _r("ipt-list", "iptables", r" -(L|S|C) ", ENUMERATE, "iptables lists rules"),
    _r("ipt-restore", "iptables-restore", r".", MODIFY, "iptables-restore replaces rules"),
    _r("ipt-restore-stdin", "iptables-restore", r"^ $", MODIFY, "iptables-restore replaces rules"),
    _r("ipt-save", "iptables-save", r"^", ENUMERATE, "iptables-save dumps the rule set"),
    # -- nftables --------------------------------------------------------------------------------
    _r("nft-flush-ruleset", "nft", r" flush ruleset ", DISABLE, "nft flushes the whole rule set"),
    _r("nft-delete-table", "nft", r" (delete|destroy|flush) (table|chain) ", DISABLE,
       "nft removes a table or every rule of a chain"),
    _r("nft-policy-accept", "nft", r" chain .* policy accept", DISABLE,
       "nft sets a base chain's policy to accept"),
    _r("nft-change", "nft", r" ((add|insert|replace|create|delete|destroy|reset|rename) "
       r"(rule|chain|table|set|map|element|counter|quota)|-f) ", MODIFY, "nft changes rules"),
    _r("nft-list", "nft", r" (list|monitor) ", ENUMERATE, "nft lists the rule set"),
    # -- ufw -------------------------------------------------------------------------------------
    _r("ufw-disable", "ufw", r" (disable|reset) ", DISABLE, "ufw disables or resets the firewall"),
    _r("ufw-default-allow", "ufw", r" default (allow|accept) (incoming |in |routed )?$", DISABLE,
       "ufw sets the default inbound policy to allow"),
    _r("ufw-logging-off", "ufw", r" logging off ", MODIFY, "ufw turns logging off"),
    _r("ufw-on", "ufw", r" (enable |logging (on|low|medium|high|full) |default (deny|reject) "
       r"(incoming |in )?$)", HARDENED, "ufw turns the firewall, its logging or default deny on"),
    _r("ufw-change", "ufw", r" (allow|deny|reject|limit|delete|insert|prepend|route|default) ",
       MODIFY, "ufw changes rules"),
    _r("ufw-status", "ufw", r" (status|show|app (list|info)) ", ENUMERATE, "ufw shows rules"),
    _r("ufw-init-stop", "ufw-init", r" (force-stop|stop|flush|flush-all) ", DISABLE,
       "ufw-init stops the firewall or flushes its rules"),
    _r("ufw-init-start", "ufw-init", r" start ", HARDENED, "ufw-init starts the firewall"),
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
    # -- services (systemd, SysV init scripts, OpenRC, FreeBSD rc) ---------------------------
    _r("svc-stop", "services", _service(_SVC_OFF, _UNITS, _SVC_OFF_AFTER), DISABLE,
       "a firewall service is stopped, disabled or flushed"),
    _r("svc-kill-nocleanup", "services", rf"^(?=.* kill (.* )?{_DAEMONS}(\.service)? )"
       rf"(?=.*{_signal(_SIG_NOCLEANUP)})", MODIFY, f"the firewall daemon is killed {_NO_CLEANUP}"),
    _r("svc-kill", "services", rf" kill (.* )?{_DAEMONS}(\.service)? ", DISABLE,
       "the firewall daemon is sent SIGTERM: it stops and removes its rules (CleanupOnExit)",
       unless=_signal(_SIG_HARMLESS)),
    _r("svc-loader-off", "services", _service(_BOOT_OFF, _LOADERS, _BOOT_OFF_AFTER), DISABLE,
       "netfilter-persistent no longer loads the saved rules at boot, or flushes them"),
    _r("svc-log-stop", "services", _service(_SVC_OFF, _LOGGERS, _SVC_OFF_AFTER), MODIFY,
       "pflog, pf's logging, is stopped or disabled: logged packets are no longer recorded"),
    _r("svc-status", "services",
       rf" (status|is-active|is-enabled|show) .*{_ANY_UNIT}(\.service)? "
       rf"| {_ANY_UNIT} status ", ENUMERATE, "a firewall service's state is queried"),
    _r("svc-start", "services",
       _service("(start|enable|unmask|add)", _ANY_UNIT, "(start|onestart|enable|on)"), HARDENED,
       "a firewall service (or its logging) is started or enabled"),
    _r("nfp-flush", "netfilter-persistent", r" flush ", DISABLE,
       "netfilter-persistent flush removes every iptables/ip6tables rule"),
    _r("nfp-save", "netfilter-persistent", r" save ", MODIFY,
       "netfilter-persistent save replaces the rules loaded at boot with the running ones"),
    _r("nfp-start", "netfilter-persistent", r" start ", HARDENED,
       "netfilter-persistent start loads the saved rules"),
    _r("susefw-stop", "susefirewall2", r" (stop|off) ", DISABLE,
       "SuSEfirewall2 stops the firewall"),
    _r("susefw-open", "susefirewall2", r" open ", MODIFY, "SuSEfirewall2 opens a port or service"),
    _r("susefw-status", "susefirewall2", r" status ", ENUMERATE, "SuSEfirewall2 shows its state"),
    _r("susefw-start", "susefirewall2", r" start ", HARDENED, "SuSEfirewall2 starts the firewall"),
    _r("sysrc-pf-off", "sysrc", rf" pf_enable={_NO} ", DISABLE,
       "sysrc keeps pf from starting at boot (pf_enable=NO)"),
    _r("sysrc-pflog-off", "sysrc", rf" pflog_enable={_NO} ", MODIFY,
       "sysrc keeps pflog, pf's logging, from starting at boot"),
    _r("sysrc-pf-on", "sysrc", r" pf(log)?_enable=[\"']?(yes|true|on|1)[\"']? ", HARDENED,
       "sysrc starts pf (or its logging) at boot"),
    # -- ESXi ------------------------------------------------------------------------------------
    _r("esxi-off", "esxcli", r" network firewall set .*(--enabled(=| )(false|0)|--default-action"
       r"(=| )(true|1|pass))", DISABLE, "esxcli turns the ESXi firewall off or to pass"),
    _r("esxi-on", "esxcli", r"^ network firewall set( --(enabled(=| )(true|1)|default-action"
       r"(=| )(false|0|drop)))+ $", HARDENED,
       "esxcli turns the ESXi firewall on (or its default action to drop)"),
    _r("esxi-change", "esxcli", r" network firewall (ruleset (set|allowedip)|set|unload) ", MODIFY,
       "esxcli changes the ESXi firewall"),
    _r("esxi-list", "esxcli", r" network firewall (get|ruleset (list|rule list)) ", ENUMERATE,
       "esxcli lists the ESXi firewall"),
)  # fmt: skip

TOOLS: tuple[Tool, ...] = POSIX_TOOLS + WINDOWS_TOOLS
RULES: tuple[Rule, ...] = POSIX_RULES + WINDOWS_RULES
TOOLS_BY_NAME: dict[str, Tool] = {n: t for t in TOOLS for n in t.names}
RULES_BY_FAMILY: dict[str, tuple[Rule, ...]] = {
    t.family: tuple(r for r in RULES if r.family == t.family) for t in TOOLS
}
# ``/etc/init.d/ufw stop`` is ``service ufw stop``: the script's name is the first argument.
INIT_SCRIPT = _t("services", "", "linux", icase=True, program_arg=True)
_INIT_DIR = re.compile(r"^(/etc(/rc\.d)?/init\.d|/etc/rc\.d|/usr/local/etc/rc\.d)/[^/]+$")


def tool_for(program: str, name: str) -> Tool | None:
    """The family a program belongs to: an init script by its directory, else by base name."""
    if program.startswith("/") and _INIT_DIR.match(program):
        return INIT_SCRIPT
    return TOOLS_BY_NAME.get(name)


# Every command line a rule can match contains one of these lower-case substrings, or is a
# PowerShell line that ``PREFILTER_ENCODED`` matches (-EncodedCommand hides everything else).
# ``detect`` skips the full parse for other lines: the fast path (plain substring tests; a regex
# alternation is ten times slower, and each word costs every line a test, so one short word
# covers a family: "pf" is pfctl, pf.conf, pf.anchors, rc.d/pf, pf_enable; "rules" is rules.v4
# and user.rules). tests/telemetry check that every positive case passes it.
PREFILTER_WORDS: tuple[str, ...] = (
    "tables", "firewall", "netsh", "nft", "ufw", "pf", "socketfilterfw", "com.apple.alf",
    "launchctl", "systemextensionsctl", "snitch", "lulu", "netfilter", "shorewall", "chkconfig",
    "update-rc", "rc-update", "esxcli", "mpssvc", "mpsdrv", "bfe", "sharedaccess", "^",
    "base filtering", "rules",
)  # fmt: skip
PREFILTER_ENCODED = r"(powershell|pwsh)[^ ]*\s.*[-/]e"

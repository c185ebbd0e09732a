"""The vocabulary of the command-line detections: categories, severities, ATT&CK ids, and the two
record types the rule tables (``rules``, ``rules_windows``, ``fwfiles``) are made of.

How a rule matches: the command's arguments (after wrapper peeling, see ``cmdline``) are normalized
into one string ``" a1 a2 ... "`` (each token surrounded by single spaces):

- ``Tool.long_options`` turns GNU long options into their letters, ``=value`` and unique prefixes
  included, as ``getopt_long`` reads them (``iptables --table=nat --flush`` -> ``-t nat -F``);
- ``Tool.optstring`` expands getopt clusters (``pfctl -nf x`` -> ``-n -f x``, ``-Fa`` -> ``-F a``);
- ``Tool.icase`` lower-cases (Windows tools, PowerShell parameters, ``defaults`` domains...);
- ``Tool.resplit`` re-splits tokens on blanks (``nft 'flush ruleset'`` -> ``flush ruleset``);
- ``Tool.program_arg`` puts the program's own name first (``/etc/init.d/ufw stop`` -> ``ufw stop``);
- ``Tool.piped`` appends the pipeline stage feeding the command after ``<|``
  (``Get-Service MpsSvc | Stop-Service`` -> `` <| get-service mpssvc ``);
- PowerShell ``-Param:value`` becomes ``-param value``.

A command ``Tool.dry_run`` matches changes nothing (``pfctl -n``, ``nft -c``, ``ufw --dry-run``,
``iptables-restore --test``, PowerShell ``-WhatIf``) and no rule is tried. Otherwise ``Rule.match``
is a regular expression searched in that string (``Rule.unless`` vetoes). Within a family, rules
are tried in order and the first match wins, so a table lists ``disable`` before ``modify`` before
``allow_process`` before ``enumerate`` before ``hardened`` (a command that both tightens and
weakens is an alarm). A command no rule matches is nothing.
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
HARDENED = "hardened"  # a firewall turned on or tightened: reported at info, not an alarm

CATEGORIES = (DISABLE, MODIFY, ALLOW_PROCESS, ENUMERATE, BEACON, HARDENED)
ALARMS = frozenset({DISABLE, MODIFY, ALLOW_PROCESS, ENUMERATE, BEACON})

DEFAULT_SEVERITY = {
    DISABLE: Severity.HIGH,
    MODIFY: Severity.MEDIUM,
    ALLOW_PROCESS: Severity.MEDIUM,
    ENUMERATE: Severity.LOW,
    BEACON: Severity.HIGH,
    HARDENED: Severity.INFO,
}

DATA_COMPONENT = {
    DISABLE: "DS0018:Firewall Disable",
    MODIFY: "DS0018:Firewall Rule Modification",
    ALLOW_PROCESS: "DS0018:Firewall Rule Modification",
    ENUMERATE: "DS0018:Firewall Enumeration",
    BEACON: "DS0018:Firewall Metadata",
    HARDENED: "DS0018:Firewall Metadata",
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
PROGRAM_DIR = r"(.*[\\/])?"

# -- the firewall services, one list (``rules`` service verbs, ``fwfiles`` unit files, ``fwevents``
# SERVICE_STOP records), by what stopping them does -------------------------------------------
# Stopping one of these removes its rules (the unit's ExecStop / the init script's stop flushes).
FIREWALL_SERVICES = ("firewalld", "ufw", "iptables", "ip6tables", "nftables", "shorewall",
                     "shorewall6", "susefirewall2", "susefirewall2_init", "susefirewall2_setup",
                     "pf")  # fmt: skip
# Loads the saved rules at boot and removes nothing when stopped: Debian's netfilter-persistent
# "stop" flushes only with FLUSH_ON_STOP=1 in /etc/default/netfilter-persistent (default 0: it
# prints a warning). Disabling it at boot, or ``flush``, is what removes rules.
RULE_LOADERS = ("netfilter-persistent",)
# A firewall's logging, not its filtering: stopping it is a logging impairment (``modify``).
LOGGING_SERVICES = ("pflog",)
# Services with a running daemon, which ``systemctl kill`` / ``pkill`` can reach; the others are
# oneshot units (``RemainAfterExit``) with no process left to signal.
FIREWALL_DAEMONS = ("firewalld",)


def names_rx(names: tuple[str, ...]) -> str:
    """``(a|b|...)``: a regular-expression alternation of literal names, longest first."""
    return "(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"


# PowerShell's -WhatIf (alias -wi, any unique prefix; ``-WhatIf:$false`` runs): nothing happens.
PS_WHATIF = r" -(wi|wh|wha|what|whati|whatif) (?!(\$false|0) )"


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
    program_arg: bool = False
    piped: bool = False
    long_options: tuple[tuple[str, str], ...] = ()  # ("table", "-t"), ...
    dry_run: str = ""  # a regex on the normalized arguments: the command changes nothing
    compiled_dry_run: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "compiled_dry_run", re.compile(self.dry_run) if self.dry_run else None
        )

    def long_option(self, token: str) -> list[str]:
        """``--table=nat`` -> ``["-t", "nat"]``, ``--fl`` -> ``["-F"]`` (an unambiguous prefix, as
        ``getopt_long`` takes it); a token that is no known long option is kept."""
        name, eq, value = token[2:].partition("=")
        letters = {s for n, s in self.long_options if n == name}
        if not letters:
            letters = {s for n, s in self.long_options if n.startswith(name)}
        if len(letters) != 1 or not name:
            return [token]
        return [letters.pop(), value] if eq else [letters.pop()]


def long_options(spec: str) -> tuple[tuple[str, str], ...]:
    """``"table=t flush=F"`` -> ``(("table", "-t"), ("flush", "-F"))``."""
    return tuple((n, "-" + s) for n, s in (w.split("=") for w in spec.split()))


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


def family_tool(family: str, names: str, platform: str, **kw: object) -> Tool:
    return Tool(family, frozenset(names.split()), platform, **kw)  # type: ignore[arg-type]


def make_rule(rid: str, family: str, match: str, category: str, reason: str, **kw: object) -> Rule:
    return Rule(rid, family, match, category, reason, **kw)  # type: ignore[arg-type]

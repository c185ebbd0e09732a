"""The vocabulary of the command-line detections: categories, severities, ATT&CK ids, and the two
record types the rule tables (``rules``, ``rules_windows``, ``fwfiles``) are made of.

How a rule matches: the command's arguments (after wrapper peeling, see ``cmdline``) are normalized
into one string ``" a1 a2 ... "`` (each token surrounded by single spaces):

- ``Tool.optstring`` expands getopt clusters (``pfctl -nf x`` -> ``-n -f x``, ``-Fa`` -> ``-F a``);
- ``Tool.icase`` lower-cases (Windows tools, PowerShell parameters, ``defaults`` domains...);
- ``Tool.resplit`` re-splits tokens on blanks (``nft 'flush ruleset'`` -> ``flush ruleset``);
- ``Tool.program_arg`` puts the program's own name first (``/etc/init.d/ufw stop`` -> ``ufw stop``);
- ``Tool.piped`` appends the pipeline stage feeding the command after ``<|``
  (``Get-Service MpsSvc | Stop-Service`` -> `` <| get-service mpssvc ``);
- PowerShell ``-Param:value`` becomes ``-param value``.

``Rule.match`` is a regular expression searched in that string (``Rule.unless`` vetoes). Within a
family, rules are tried in order and the first match wins, so a table lists ``disable`` before
``modify`` before ``allow_process`` before ``enumerate`` before ``hardened`` (a command that both
tightens and weakens is an alarm). A command no rule matches is nothing.
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

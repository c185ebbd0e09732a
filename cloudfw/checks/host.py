"""Host-only checks: ``firewall-disabled``, ``firewall-state-unknown``, ``stealth-off``,
``allow-signed``, ``app-allowed``.

They read what the host parsers put in the model: `RuleSet.enabled`, the default ingress action
and whether it is reachable, application-targeted allow rules (``app:<path or bundle id>``), and
the ALF settings carried as asset tags (``alf.stealth``, ``alf.allow_signed``,
``alf.allow_downloads_signed``). Rule sets tagged ``hook`` other than ``input`` (forward and
output chains) are not judged for "filters nothing".

`host_findings(rulesets)` runs them all; `HOST_CHECKS` holds their metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from cloudfw.checks.base import make_finding
from cloudfw.checks.meta import ENABLED, CheckMeta
from cloudfw.model import (
    DEFAULT_KEY,
    Action,
    Direction,
    Finding,
    RuleSet,
    Severity,
)

FAMILY_KEY = "(other-family)"  # the parsers' "this chain never sees IPv6/IPv4" placeholder
HOST_TECHNIQUES = ("T1686", "T1562.004")
WINDOWS_TECHNIQUES = ("T1686.003", "T1562.004")


def _meta(id: str, title: str, severity: Severity, risk: str, remediation: str) -> CheckMeta:
    return CheckMeta(
        id=id,
        title=title,
        severity=severity,
        risk=risk,
        remediation=remediation,
        compliance=MappingProxyType({}),
        techniques=HOST_TECHNIQUES,
        params=MappingProxyType({"enabled": ENABLED}),
    )


FIREWALL_DISABLED = _meta(
    "firewall-disabled",
    "Host firewall disabled or filtering nothing",
    Severity.HIGH,
    "With the host firewall off (or admitting all inbound traffic by default) every listening "
    "service is reachable by whoever can route to the host; disabling it is a common step "
    "before lateral movement (ATT&CK T1686 / T1562.004).",
    "Turn the firewall on (socketfilterfw --setglobalstate on; pfctl -e; ufw enable; "
    "Set-NetFirewallProfile -Enabled True) and make the default inbound action block/drop.",
)
FIREWALL_STATE_UNKNOWN = _meta(
    "firewall-state-unknown",
    "Host firewall state not known",
    Severity.MEDIUM,
    "The snapshot describes the firewall's settings but not whether it is on (netsh output "
    "without its State row, a localized or unreadable state, pfctl -s info without a known "
    "status): everything it would filter may be reachable, and an auditor cannot call the host "
    "clean.",
    "Collect the state again (netsh advfirewall show allprofiles state, Get-NetFirewallProfile, "
    "pfctl -s info, or cloudfw host collector) and check the firewall is on.",
)
STEALTH_OFF = _meta(
    "stealth-off",
    "macOS firewall stealth mode is off",
    Severity.LOW,
    "Without stealth mode the Mac answers ICMP echo and closed-port probes, which lets scanners "
    "find it.",
    "socketfilterfw --setstealthmode on (or EnableStealthMode in the firewall MDM payload).",
)
ALLOW_SIGNED = _meta(
    "allow-signed",
    "macOS firewall auto-allows signed software",
    Severity.MEDIUM,
    "Any signed program, including signed malware or a signed tool an attacker drops, may "
    "accept incoming connections without a prompt.",
    "socketfilterfw --setallowsigned off and --setallowsignedapp off (AllowSigned=false in MDM).",
)
APP_ALLOWED = _meta(
    "app-allowed",
    "Application allowed to accept incoming connections",
    Severity.LOW,
    "A per-application exception lets that program accept connections from the network; an "
    "exception for a program in a user-writable or temporary location is a persistence trick.",
    "Review the exception and remove it (socketfilterfw --remove / --blockapp; "
    "Remove-NetFirewallRule) unless the application must serve the network.",
)
HOST_CHECKS: Mapping[str, CheckMeta] = MappingProxyType(
    {
        m.id: m
        for m in (FIREWALL_DISABLED, FIREWALL_STATE_UNKNOWN, STEALTH_OFF, ALLOW_SIGNED, APP_ALLOWED)
    }
)
_SUSPICIOUS = re.compile(
    r"(^/tmp/|^/private/tmp/|^/var/tmp/|^/Users/Shared/|/Downloads/|\\temp\\|\\appdata\\|"
    r"\\users\\public\\|\\downloads\\|^/dev/shm/)",
    re.I,
)


def _finding(
    meta: CheckMeta,
    rs: RuleSet,
    msg: str,
    severity: Severity | None = None,
    rule_keys: tuple[str, ...] = (),
    **kw: object,
) -> Finding:
    f = make_finding(meta, rs.asset, msg, severity=severity, rule_keys=rule_keys, evidence=dict(kw))
    if rs.asset.resource_type.startswith("windows-firewall"):
        f = replace(f, techniques=WINDOWS_TECHNIQUES)
    return f


def firewall_disabled(rs: RuleSet) -> list[Finding]:
    if rs.enabled and not rs.default_ingress.permits:
        return []  # the common case, decided before building anything
    tags = rs.asset.tag_map()
    name = rs.asset.label()
    if not rs.enabled:
        # pf is off on stock macOS, where the Application Firewall is the host firewall.
        sev = Severity.MEDIUM if rs.asset.resource_type == "pf" else Severity.HIGH
        return [
            _finding(
                FIREWALL_DISABLED,
                rs,
                f"{name}: the firewall is disabled.",
                sev,
                direction="ingress",
                state=tags.get("status", "disabled"),
            )
        ]
    if tags.get("hook", "input") != "input" or not rs.default_ingress.permits:
        return []
    blocks = [
        r
        for r in rs.rules_for(Direction.INGRESS)
        if r.enabled and r.action is Action.DENY and r.key != FAMILY_KEY
    ]
    if not any(b.peers.public() for b in blocks):
        return [
            _finding(
                FIREWALL_DISABLED,
                rs,
                f"{name}: the default inbound action is allow and no rule blocks "
                "anything: the firewall filters nothing.",
                Severity.HIGH,
            )
        ]
    if DEFAULT_KEY in rs.allowed(Direction.INGRESS).rule_keys():
        return [
            _finding(
                FIREWALL_DISABLED,
                rs,
                f"{name}: the default inbound action is allow; only traffic that a "
                "rule blocks explicitly is filtered.",
                Severity.MEDIUM,
            )
        ]
    return []


STATE_NOT_COLLECTED = "not collected"  # the ``status`` tag of a firewall read from its config


def state_qualified(f: Finding, rs: RuleSet) -> Finding:
    """A finding on a firewall whose on/off state the snapshot lacks (a ``pf.conf`` without
    ``pfctl -s info``) holds only if the firewall is on: it says so, and where the platform
    leaves that firewall off unless someone turns it on (tag ``off_by_default``: pf on macOS)
    it is graded one step lower."""
    tags = rs.asset.tag_map()
    if tags.get("status") != STATE_NOT_COLLECTED:
        return f
    msg = f.message if f.message.endswith(".") else f.message + "."
    ev = dict(f.evidence) if isinstance(f.evidence, dict) else {}
    ev["firewall_state"] = STATE_NOT_COLLECTED
    off = tags.get("off_by_default")
    if off is None:
        note = " This holds while the firewall is on: its state is not in the snapshot."
        return replace(f, message=msg + note, evidence=ev)
    note = (
        f" This holds only if the firewall was turned on ({off} leaves it off by default; its "
        "state is not in the snapshot): graded one step lower."
    )
    lower = Severity(max(int(f.severity) - 1, int(Severity.INFO)))
    return replace(f, message=msg + note, severity=lower, evidence=ev)


def firewall_state_unknown(rs: RuleSet) -> list[Finding]:
    """A Windows profile whose settings were read without its state, or pf whose ``pfctl -s
    info`` status is neither Enabled nor Disabled."""
    tags = rs.asset.tag_map()
    kind = rs.asset.resource_type
    unknown = (kind.startswith("windows-firewall") and tags.get("enabled") == "unknown") or (
        kind == "pf" and tags.get("status") == "unknown"
    )
    if not unknown:
        return []
    return [
        _finding(
            FIREWALL_STATE_UNKNOWN,
            rs,
            f"{rs.asset.label()}: whether the firewall is on is not in the snapshot; its rules "
            "are judged as if it were on.",
            direction="ingress",
            state="unknown",
        )
    ]


def alf_settings(rs: RuleSet) -> list[Finding]:
    out: list[Finding] = []
    if not rs.enabled or not rs.asset.tags:
        return out
    tags = rs.asset.tag_map()
    if not any(k.startswith("alf.") for k in tags):
        return out
    name = rs.asset.label()
    if tags.get("alf.stealth") == "off":
        out.append(_finding(STEALTH_OFF, rs, f"{name}: stealth mode is off."))
    if tags.get("alf.globalstate") == "2":
        return out  # block all incoming: auto-allow settings do not apply
    for tag, what, key in (
        ("alf.allow_signed", "built-in signed software", "allow-signed"),
        ("alf.allow_downloads_signed", "downloaded signed software", "allow-downloads-signed"),
    ):
        if tags.get(tag) == "on":
            out.append(
                _finding(
                    ALLOW_SIGNED,
                    rs,
                    f"{name}: {what} may accept incoming connections automatically.",
                    rule_keys=(key,) if any(r.key == key for r in rs.rules) else (),
                    setting=tag,
                )
            )
    return out


def app_allowed(rs: RuleSet) -> list[Finding]:
    out: list[Finding] = []
    if not rs.enabled:
        return out
    for r in rs.rules:
        if not r.targets:
            continue
        apps = sorted(t[4:] for t in r.targets if t.startswith("app:") and not t.endswith(")"))
        if (
            not apps
            or not r.enabled
            or not r.action.permits
            or r.direction is not Direction.INGRESS
        ):
            continue
        if not r.peers.is_internet() and r.peers.public().is_empty():
            continue
        suspicious = any(_SUSPICIOUS.search(a) for a in apps)
        where = " (in a user-writable or temporary location)" if suspicious else ""
        out.append(
            _finding(
                APP_ALLOWED,
                rs,
                f"{rs.asset.label()}: {', '.join(apps)} may accept incoming "
                f"connections ({r.protocol_label}/{r.ports_label}){where}.",
                Severity.MEDIUM if suspicious else Severity.LOW,
                rule_keys=(r.key,),
                apps=apps,
            )
        )
    return out


def host_findings(
    rulesets: Iterable[RuleSet], disabled: frozenset[str] = frozenset()
) -> list[Finding]:
    """Every host-check finding over ``rulesets``; ``disabled`` names check ids turned off."""
    out: list[Finding] = []
    for rs in rulesets:
        if "firewall-disabled" not in disabled:
            out.extend(state_qualified(f, rs) for f in firewall_disabled(rs))
        if "firewall-state-unknown" not in disabled:
            out.extend(firewall_state_unknown(rs))
        alf = [f for f in alf_settings(rs) if f.check not in disabled]
        out.extend(alf)
        if "app-allowed" not in disabled:
            out.extend(app_allowed(rs))
    return out


__all__ = [
    "HOST_CHECKS", "firewall_disabled", "firewall_state_unknown", "host_findings",
    "state_qualified",
]  # fmt: skip

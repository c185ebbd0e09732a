"""The ``firewall-enumeration`` detection: who mapped the firewalls, judged per principal.
Pure: the scan history arrives as a :class:`History`, the clock is never read.

A principal's enumeration records (`cloudfw.events.reads`) are sorted (so the verdict never
depends on the order the logs arrived in) and judged in a sliding window of
``policy.enumeration.window``: two calls are in one window when less than ``window`` apart.
Signals, each explained in the finding's evidence:

* ``spread``: reads in ``regions`` or more regions, or ``accounts`` or more accounts, within one
  window (mapping every security group of an organization);
* ``denied``: ``denied`` or more reads refused for lack of permission within one window (keys
  probing what they may read);
* ``new-principal`` / ``new-source-ip``: a principal never seen enumerating in the scan history,
  or a known one calling from an address it never enumerated from (judged only once the history
  holds enumeration records);
* ``offensive-tool``: a user agent of offensive tooling (Pacu, Kali/Parrot/Pentoo builds of the
  AWS CLI, Stratus Red Team, CloudFox ...).

A principal whose every read carries a known scanner's user agent (ScoutSuite, Prowler,
Steampipe, Cloud Custodian, cloudfw itself, AWS Config) is ``info`` with the tag
``known-scanner``, and nothing at all when every one of its principals matches the baseline's
``approved_principals``. Otherwise one signal is ``low``, two (or an offensive tool) ``medium``,
three or more ``high``; a rule the same principal opened within ``correlation`` after the reads
raises it one level (at most ``high``) and is named in the evidence. User agents are what the
caller says: they tell tools apart, they prove nothing.
"""

from __future__ import annotations

import ipaddress
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import NamedTuple

from cloudfw.events.posture import OPENING, event_asset
from cloudfw.events.serialize import format_time, port_text
from cloudfw.model import Asset, ChangeEvent, EnumerationEvent, Finding, Severity
from cloudfw.policy.config import EnumerationPolicy

CHECK_ID = "firewall-enumeration"
TITLE = "Firewall configuration enumerated"
#: ATT&CK v19: Security Software Discovery (unchanged id); the DS0018 data component it reads
TECHNIQUES = ("T1518.001",)
DATA_COMPONENT = "DS0018:Firewall Enumeration"
RISK = (
    "Someone mapped the firewalls (security groups, NACLs, firewall policies) across regions or "
    "accounts, from an identity or address not seen doing so before, or with refused calls or "
    "offensive tooling: the reconnaissance that precedes opening a path with stolen keys "
    "(ATT&CK T1518.001, data source DS0018 Firewall: enumeration)."
)
REMEDIATION = (
    "Confirm with the principal's owner that the reads were theirs; if not, disable its keys or "
    "sessions and review what it changed next. Approve scanners by adding their principals to "
    "`approved_principals`; tune `policy.enumeration` for your estate."
)
COMPLIANCE = ("NIST-800-53:SI-4", "NIST-800-53:AU-6")
#: user-agent substrings (lower case) of offensive tooling
OFFENSIVE_AGENTS = (
    "pacu", "distrib#kali", "kali", "parrot", "pentoo", "stratus-red-team", "cloudfox",
    "weirdaal", "enumerate-iam", "cloudgoat",
)  # fmt: skip
#: user-agent substrings (lower case) of known posture scanners and AWS services that read
KNOWN_SCANNERS = (
    "scout suite", "scout-suite", "scoutsuite", "prowler", "apn_1826889", "steampipe",
    "cloudcustodian", "cloud-custodian", "cloudfw", "config.amazonaws.com",
    "securityhub.amazonaws.com", "access-analyzer.amazonaws.com",
)  # fmt: skip
LEVELS = (Severity.LOW, Severity.MEDIUM, Severity.HIGH)


def principal_key(principal: str) -> str:
    """The identity a principal's reads are judged under: an AWS assumed-role session ARN
    (``arn:aws:sts::A:assumed-role/Role/session``) is its role (``.../assumed-role/Role``), so
    each new session name is not a new principal; anything else as written."""
    if principal.startswith("arn:") and ":assumed-role/" in principal:
        head, _, rest = principal.partition(":assumed-role/")
        return f"{head}:assumed-role/{rest.split('/', 1)[0]}"
    return principal


@dataclass(frozen=True)
class History:
    """What earlier ``cloudfw events`` runs stored: the (provider, principal key) pairs and
    (provider, principal key, source ip) triples seen enumerating, in ``scans`` scans."""

    principals: frozenset[tuple[str, str]] = frozenset()
    sources: frozenset[tuple[str, str, str]] = frozenset()
    scans: int = 0

    @staticmethod
    def from_rows(rows: Iterable[tuple[str, str, str]], scans: int) -> History:
        """``(provider, principal, source_ip)`` rows as the store holds them."""
        triples = {(p, principal_key(who), ip) for p, who, ip in rows}
        return History(frozenset((p, k) for p, k, _ in triples), frozenset(triples), scans)


class _Call(NamedTuple):
    """One read, compact (strings interned): what the windows and the evidence need."""

    t: float
    api: str
    region: str
    account: str
    ip: str
    agent: str
    denied: bool
    principal: str


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _dur(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Window:
    """The calls ``calls[lo:hi]`` of one principal (sorted), as a signal's evidence."""

    lo: int
    hi: int
    score: tuple[int, ...] = ()

    def span(self, calls: Sequence[_Call]) -> dict[str, object]:
        part = calls[self.lo : self.hi]
        return {
            "start": _iso(part[0].t),
            "end": _iso(part[-1].t),
            "calls": len(part),
            "regions": sorted({c.region for c in part if c.region}),
            "accounts": sorted({c.account for c in part if c.account}),
            "denied": sum(c.denied for c in part),
        }


def best_windows(calls: Sequence[_Call], width: float) -> tuple[Window, Window]:
    """The window with the widest spread (most regions, then accounts, then calls) and the one
    with the most refused calls, over ``calls`` sorted by time; the earliest wins a tie. A
    window holds calls less than ``width`` seconds after its first."""
    regions: Counter[str] = Counter()
    accounts: Counter[str] = Counter()
    denied = 0
    spread = Window(0, 1, (-1,))
    refused = Window(0, 1, (-1,))
    lo = 0
    for hi, c in enumerate(calls):
        regions[c.region] += 1
        accounts[c.account] += 1
        denied += c.denied
        while c.t - calls[lo].t >= width:
            old = calls[lo]
            for counter, k in ((regions, old.region), (accounts, old.account)):
                counter[k] -= 1
                if not counter[k]:
                    del counter[k]
            denied -= old.denied
            lo += 1
        n = hi + 1 - lo
        s = (len(regions.keys() - {""}), len(accounts.keys() - {""}), n)
        if s > spread.score:
            spread = Window(lo, hi + 1, s)
        if (denied, n) > refused.score:
            refused = Window(lo, hi + 1, (denied, n))
    return spread, refused


def _matches(agent: str, markers: Iterable[str]) -> str:
    low = agent.lower()
    return next((m for m in markers if m and m in low), "")


@dataclass
class Detector:
    """Collects enumeration records (streamed: only a compact tuple per read is kept), then
    judges them with :meth:`findings`."""

    _calls: dict[tuple[str, str], list[_Call]] = field(default_factory=dict)

    def add(self, ev: EnumerationEvent) -> None:
        i = sys.intern
        call = _Call(
            ev.time.timestamp(), i(ev.event_name), i(ev.region), i(ev.account), i(ev.source_ip),
            i(ev.user_agent), ev.denied, i(ev.principal),
        )  # fmt: skip
        self._calls.setdefault((ev.provider, principal_key(ev.principal)), []).append(call)

    def findings(
        self,
        policy: EnumerationPolicy,
        history: History | None = None,
        approved: Sequence[str] = (),
        changes: Sequence[ChangeEvent] = (),
    ) -> list[Finding]:
        """One finding per principal with a signal (see the module docstring). ``changes``:
        the run's change events, for rules the principal opened after its reads."""
        opened: dict[tuple[str, str], list[ChangeEvent]] = {}
        for ev in changes:
            if ev.success and ev.action in OPENING and ev.rule_action in ("", "allow"):
                opened.setdefault((ev.provider, principal_key(ev.principal)), []).append(ev)
        out = []
        for key in sorted(self._calls):
            calls = sorted(self._calls[key])
            f = _judge(key, calls, policy, history, approved, opened.get(key, []))
            if f is not None:
                out.append(f)
        return out


def detect(
    events: Iterable[EnumerationEvent],
    policy: EnumerationPolicy,
    history: History | None = None,
    approved: Sequence[str] = (),
    changes: Sequence[ChangeEvent] = (),
) -> list[Finding]:
    d = Detector()
    for ev in events:
        d.add(ev)
    return d.findings(policy, history, approved, changes)


def _home_account(provider: str, principal: str, calls: Sequence[_Call]) -> str:
    parts = principal.split(":")
    if provider == "aws" and len(parts) > 4 and parts[4].isdigit():
        return parts[4]
    counts = Counter(c.account for c in calls if c.account)
    return min(counts, key=lambda a: (-counts[a], a)) if counts else ""


def _signals(
    key: tuple[str, str], calls: Sequence[_Call], policy: EnumerationPolicy,
    history: History | None,
) -> tuple[list[dict[str, object]], list[str]]:  # fmt: skip
    """The signals (name, why, window) and the addresses new for the principal."""
    out: list[dict[str, object]] = []
    spread, refused = best_windows(calls, policy.window.total_seconds())
    n_regions, n_accounts, _ = spread.score
    if n_regions >= policy.regions or n_accounts >= policy.accounts:
        span = spread.span(calls)
        seconds = calls[spread.hi - 1].t - calls[spread.lo].t
        spread_in = " and ".join(
            f"{n} {what}" for n, what in ((n_regions, "regions"), (n_accounts, "accounts")) if n > 1
        )
        why = f"{span['calls']} reads across {spread_in} within {_dur(seconds)}"
        out.append({"signal": "spread", "why": why, "window": span})
    if refused.score[0] >= policy.denied:
        span = refused.span(calls)
        why = f"{refused.score[0]} reads refused (access denied) of {span['calls']} in one window"
        out.append({"signal": "denied", "why": why, "window": span})
    ips = sorted({c.ip for c in calls if _is_ip(c.ip)})
    new_ips: list[str] = []
    if history is not None and history.scans:
        provider, who = key
        if (provider, who) not in history.principals:
            new_ips = ips
            why = f"never seen enumerating in {history.scans} earlier events scan(s)"
            out.append({"signal": "new-principal", "why": why})
        else:
            new_ips = [ip for ip in ips if (provider, who, ip) not in history.sources]
            if new_ips:
                why = f"first enumeration from {', '.join(new_ips)} in the scan history"
                out.append({"signal": "new-source-ip", "why": why})
    tools = sorted({m for c in calls if (m := _matches(c.agent, _offensive(policy)))})
    if tools:
        why = "user agent of offensive tooling: " + ", ".join(tools)
        out.append({"signal": "offensive-tool", "why": why})
    return out, new_ips


def _offensive(policy: EnumerationPolicy) -> tuple[str, ...]:
    return OFFENSIVE_AGENTS + tuple(a.lower() for a in policy.offensive_agents)


def _scanners(policy: EnumerationPolicy) -> tuple[str, ...]:
    return KNOWN_SCANNERS + tuple(a.lower() for a in policy.scanner_agents)


def _followed(calls: Sequence[_Call], opened: Sequence[ChangeEvent], within: timedelta) -> list[
    ChangeEvent
]:  # fmt: skip
    first, last = calls[0].t, calls[-1].t + within.total_seconds()
    return sorted((e for e in opened if first <= e.time.timestamp() <= last), key=lambda e: e.time)


def _change_text(ev: ChangeEvent, after: float) -> str:
    what = " ".join(port_text(p) for p in ev.ports) or "a rule"
    peers = f" from {' '.join(ev.peers)}" if ev.peers else ""
    return (f"{_dur(max(after, 0))} later {ev.event_name} opened {event_asset(ev).label()} "
            f"{ev.direction or ''} {what}{peers}").replace("  ", " ")  # fmt: skip


def _judge(
    key: tuple[str, str], calls: list[_Call], policy: EnumerationPolicy,
    history: History | None, approved: Sequence[str], opened: Sequence[ChangeEvent],
) -> Finding | None:  # fmt: skip
    provider, who = key
    signals, new_ips = _signals(key, calls, policy, history)
    if not signals:
        return None
    principals = sorted({c.principal for c in calls})
    agents = Counter(c.agent for c in calls)
    scanner = not any(s["signal"] == "offensive-tool" for s in signals) and all(
        _matches(a, _scanners(policy)) for a in agents
    )
    tags: list[str] = []
    followed = _followed(calls, opened, policy.correlation)
    if scanner:
        if approved and all(any(fnmatchcase(p, g) for g in approved) for p in principals):
            return None
        severity, tags = Severity.INFO, ["known-scanner"]
    else:
        names = {str(s["signal"]) for s in signals}
        level = 0 if len(names) == 1 else (1 if len(names) == 2 else 2)
        if "offensive-tool" in names:
            level = max(level, 1)
        if followed:
            level, tags = min(level + 1, 2), ["followed-by-change"]
        severity = LEVELS[level]
    apis = Counter(c.api for c in calls)
    api_text = ", ".join(f"{a} x{n}" for a, n in sorted(apis.items(), key=lambda x: (-x[1], x[0])))
    sources = sorted({c.ip for c in calls if c.ip})
    where = f" from new address {', '.join(new_ips)}" if new_ips else ""
    message = (f"{who}: {len(calls)} firewall read(s) ({api_text}){where}: "
               + "; ".join(str(s["why"]) for s in signals))  # fmt: skip
    if followed:
        message += "; " + _change_text(followed[0], followed[0].time.timestamp() - calls[-1].t)
    if scanner:
        message += " (known scanner user agent)"
    evidence: dict[str, object] = {
        "principal": who,
        "principals": principals,
        "calls": len(calls),
        "first": _iso(calls[0].t),
        "last": _iso(calls[-1].t),
        "apis": dict(sorted(apis.items())),
        "regions": sorted({c.region for c in calls if c.region}),
        "accounts": sorted({c.account for c in calls if c.account}),
        "denied": sum(c.denied for c in calls),
        "source_ips": sources,
        "new_source_ips": new_ips,
        "user_agents": [a for a, _ in sorted(agents.items(), key=lambda x: (-x[1], x[0]))[:5]],
        "signals": signals,
        "tags": tags,
        "thresholds": _thresholds(policy),
        "history": _history_text(history),
        "data_component": DATA_COMPONENT,
        "followed_by": [_change_ref(e) for e in followed],
    }
    asset = Asset(provider, _home_account(provider, who, calls), "", "principal", who)
    return Finding(
        check=CHECK_ID, severity=severity, asset=asset, message=message,
        techniques=TECHNIQUES, compliance=COMPLIANCE, risk=RISK, remediation=REMEDIATION,
        evidence=evidence,
    )  # fmt: skip


def _thresholds(policy: EnumerationPolicy) -> dict[str, object]:
    return {
        "window": _dur(policy.window.total_seconds()),
        "regions": policy.regions,
        "accounts": policy.accounts,
        "denied": policy.denied,
        "correlation": _dur(policy.correlation.total_seconds()),
    }


def _history_text(history: History | None) -> str:
    if history is None:
        return "not judged: no scan history (--no-store)"
    if not history.scans:
        return "not judged: no enumeration records in the scan history yet"
    return f"judged against {history.scans} earlier events scan(s)"


def _change_ref(ev: ChangeEvent) -> dict[str, object]:
    return {
        "event_id": ev.event_id,
        "event_name": ev.event_name,
        "resource_id": ev.resource_id,
        "when": format_time(ev),
        "any_peer": ev.any_peer,
    }


def link_changes(findings: Sequence[Finding], recon: Sequence[Finding]) -> list[Finding]:
    """Each finding whose ``evidence.change`` (the change that opened its rule) is one a
    ``firewall-enumeration`` finding was followed by, with ``evidence.enumeration`` naming that
    finding: the reconnaissance next to the rule it led to."""
    by_event: dict[str, Mapping[str, object]] = {}
    for r in recon:
        followed, signals = r.evidence.get("followed_by"), r.evidence.get("signals")
        summary = {
            "finding": r.key, "severity": r.severity.label, "principal": r.asset.resource_id,
            "signals": [s["signal"] for s in signals] if isinstance(signals, list) else [],
            "message": r.message,
        }  # fmt: skip
        for ref in followed if isinstance(followed, list) else []:
            by_event.setdefault(str(ref["event_id"]), summary)
    out = []
    for f in findings:
        change = f.evidence.get("change")
        eid = change.get("event_id") if isinstance(change, Mapping) else None
        hit = by_event.get(str(eid)) if eid else None
        out.append(f if hit is None else _with(f, {"enumeration": hit}))
    return out


def _with(f: Finding, extra: Mapping[str, object]) -> Finding:
    import dataclasses

    return dataclasses.replace(f, evidence={**f.evidence, **extra})

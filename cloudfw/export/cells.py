"""What the human formats (table, HTML, Markdown, CSV, SARIF and JUnit text) write in a cell.

Peers and protocols go through the one renderer in `cloudfw.model.humanize`; the JSON report and
the machine fields of SARIF/OCSF keep the exact values. Finding messages are written by the
checks; `message_text` only rewrites, for display, what makes them unreadable: a long run of
CIDRs (``from 1.0.0.0/8, 2.0.0.0/7, …`` -> ``from internet``) and, where asked, ARM resource ids
(``/subscriptions/…/networkSecurityGroups/nsg-web (nsg-web)`` -> ``nsg-web``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cloudfw.model import Asset, Coverage, Finding
from cloudfw.model.humanize import EXCEPT, tokens_text, traffic_text

#: resource ids longer than this (ARM ids, GCP paths) are shown by name
LONG_ID = 24

_V4 = r"(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?"
_V6 = r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,7}/\d{1,3}"
_TOKEN = rf"(?:{_V4}|{_V6})"
#: two or more addresses / CIDRs in a comma list, not inside a longer word
_RUN = re.compile(rf"(?<![\w.:/-]){_TOKEN}(?:, {_TOKEN})+(?![\w:/]|\.\d)")
#: what follows a list that a check already cut ("a, b, c and 28 more", "a, b, +3 more")
_CUT = re.compile(r"(?: and \d+ more|, \+\d+ more)")
_ARM = re.compile(
    r"/subscriptions/(?:[^\s/,;()'\"]+/)*(?P<name>[^\s/,;()'\".]+(?:\.[^\s/,;()'\".]+)*)"
    r"(?P<dup> \((?P=name)\))?"
)


def resource_name(a: Asset) -> str:
    """The resource as people recognise it: long ids (ARM ids, GCP paths) by their name."""
    if len(a.resource_id) > LONG_ID:
        return a.name or a.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return a.label()


def short_ids(text: str) -> str:
    """ARM resource ids in ``text`` shortened to their names (``id (name)`` to ``name``)."""
    return _ARM.sub(lambda m: m.group("name"), text)


def compact_peer_runs(text: str, limit: int | None = None) -> str:
    """Each long comma list of CIDRs in ``text`` written by the peer renderer (when shorter)."""

    def one(m: re.Match[str]) -> str:
        if text[: m.start()].endswith(EXCEPT) or _CUT.match(text, m.end()):
            return m.group(0)  # a rendering's exception list, or the head of a cut list
        rendered = tokens_text(m.group(0).split(", "), limit)
        return rendered if len(rendered) < len(m.group(0)) else m.group(0)

    return _RUN.sub(one, text)


def message_text(f: Finding, limit: int | None = None, short: bool = False) -> str:
    """``f.message`` for display: peer runs compacted (cut at ``limit``), ARM ids shortened when
    ``short``."""
    text = compact_peer_runs(f.message, limit)
    return short_ids(text) if short else text


def rule_name(key: str, a: Asset) -> str:
    """A rule key without the rule set's id in front (``acl-1:ingress:100`` -> ``ingress:100``)."""
    prefix = a.resource_id + ":"
    return key[len(prefix) :] if key.startswith(prefix) and len(key) > len(prefix) else key


def rules_cell(f: Finding) -> str:
    """The first responsible rule, and how many more there are."""
    if not f.rule_keys:
        return ""
    first = rule_name(f.rule_keys[0], f.asset)
    return first if len(f.rule_keys) == 1 else f"{first} +{len(f.rule_keys) - 1} more"


def peers_cell(f: Finding, limit: int | None = None, width: int | None = None) -> str:
    return tokens_text(f.peers, limit, width)


def traffic_cell(f: Finding) -> str:
    return traffic_text(f.protocol, f.ports) if f.protocol else ""


MAX_INCOMPLETE_LINES = 20


def incomplete_lines(failed: Sequence[Coverage]) -> list[str]:
    """One line per reason: scopes that failed for the same reason share it ("gcp:p1 and 99 more
    scopes: REASON"), and past `MAX_INCOMPLETE_LINES` reasons the rest are counted (every scope
    stays in the snapshot's and the report's coverage)."""
    by_reason: dict[str, list[str]] = {}
    for c in failed:
        by_reason.setdefault(c.reason, []).append(c.scope)
    lines = []
    for reason, scopes in by_reason.items():
        more = len(scopes) - 1
        who = scopes[0] if not more else f"{scopes[0]} and {more} more scope{'s' * (more > 1)}"
        lines.append(f"{who}: {reason}")
    if len(lines) > MAX_INCOMPLETE_LINES:
        rest = len(lines) - MAX_INCOMPLETE_LINES + 1
        lines = [*lines[: MAX_INCOMPLETE_LINES - 1],
                 f"... and {rest} more reasons (every scope is in the coverage)"]  # fmt: skip
    return lines

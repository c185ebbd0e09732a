"""macOS Application Firewall (ALF): ``com.apple.alf.plist`` (XML or binary), ``socketfilterfw``
output and ``system_profiler SPFirewallDataType`` (text or ``-json``).

Each source yields facts (``alf.globalstate``, ``alf.stealth``, ``alf.allow_signed``,
``alf.allow_downloads_signed``, ``alf.logging``) and application entries; `alf_ruleset` turns the
merged facts of one host into one APP_LEVEL rule set.
"""

from __future__ import annotations

import json
import plistlib
import re
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import AppEntry, HostPart, check_lines, decode_text, host_asset
from cloudfw.model import (
    Action,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
    SourceRef,
    parse_protocol,
)

NAME = "alf"
_ON = {"1", "on", "enabled", "yes", "true"}
_OFF = {"0", "off", "disabled", "no", "false"}
SOCKETS = parse_protocol("tcp") | parse_protocol("udp")  # ALF filters TCP/UDP sockets per app
APP_PORTS = "ports: whichever the application listens on (not in the snapshot)"
_MODES = {"allow all": "0", "limit": "1", "specific services": "1", "block all": "2"}


def _flag(word: str) -> str:
    w = word.strip().strip(".").lower()
    return "on" if w in _ON else "off" if w in _OFF else "unknown"


# -- plist -----------------------------------------------------------------------------------


def sniff_plist(data: bytes) -> bool:
    return data.startswith(b"bplist00") or (b"<plist" in data[:512] and b"globalstate" in data)


def parse_plist(data: bytes, location: str, host: str) -> list[HostPart]:
    try:
        doc = plistlib.loads(data)
    except Exception as exc:  # plistlib raises several unrelated types
        raise HostParseError(location, f"not a readable property list: {exc}") from None
    if not isinstance(doc, dict) or "globalstate" not in doc:
        raise HostParseError(location, "property list has no 'globalstate' key")
    facts = {"alf.globalstate": str(_integer(doc, "globalstate", location))}
    for key, fact in (
        ("stealthenabled", "alf.stealth"),
        ("loggingenabled", "alf.logging"),
        ("allowsignedenabled", "alf.allow_signed"),
        ("allowdownloadsignedenabled", "alf.allow_downloads_signed"),
    ):
        if key in doc:
            facts[fact] = _flag(str(_integer(doc, key, location)))
    apps: list[AppEntry] = []
    for i, e in enumerate(_list(doc, "exceptions", location)):
        path = str(e.get("path") or e.get("bundleid") or f"exception #{i}")
        apps.append(
            AppEntry(path, state_allows(e.get("state")), _ref(location, f"exceptions[{i}]"))
        )
    for i, e in enumerate(_list(doc, "applications", location)):
        name = str(e.get("bundleid") or _alias_path(e.get("alias")) or f"application #{i}")
        apps.append(
            AppEntry(name, state_allows(e.get("state")), _ref(location, f"applications[{i}]"))
        )
    for i, e in enumerate(_list(doc, "explicitauths", location)):
        apps.append(
            AppEntry(
                str(e.get("id", f"explicitauth #{i}")), True, _ref(location, f"explicitauths[{i}]")
            )
        )
    return [HostPart(host=host, facts=facts, apps=apps, sources=[location])]


def _integer(doc: dict[str, Any], key: str, location: str) -> int:
    """An integer (or boolean) plist value; anything else is a located error, not a guess."""
    v = doc[key]
    if isinstance(v, bool | int):
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    raise HostParseError(location, f"plist key {key!r}: expected an integer, got {v!r}")


def _ref(location: str, record: str) -> SourceRef:
    return SourceRef("record", location, record=record)


def _list(doc: dict[str, Any], key: str, location: str) -> list[dict[str, Any]]:
    v = doc.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise HostParseError(location, f"plist key {key!r} is not a list of dictionaries")
    return v


def state_allows(state: object) -> bool:
    """ALF entry states: 2 and 4 block incoming connections; 0, 1 and 3 allow them."""
    try:
        return int(str(state)) not in (2, 4)
    except ValueError:
        return True


def _alias_path(alias: object) -> str:
    if not isinstance(alias, bytes):
        return ""
    m = re.search(rb"(/(?:Applications|System|Library|usr|opt|Users)/[\x20-\x7e]+?\.app)", alias)
    return m.group(1).decode("ascii", "replace") if m else ""


# -- socketfilterfw --------------------------------------------------------------------------


def sniff_socketfilterfw(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace")
    return bool(
        re.search(
            r"Firewall is \w+.*\(State = \d\)|total number of apps = \d|^Stealth mode|"
            r"Automatically allow (built-in |downloaded )?signed|Log mode is",
            head,
            re.I | re.M,
        )
    )


_SFW = [
    (re.compile(r"\(State = (\d)\)"), "alf.globalstate", None),
    (re.compile(r"block all state set to (\w+)", re.I), "alf.block_all", _flag),
    (re.compile(r"allow (?:built-in )?signed software (\w+)", re.I), "alf.allow_signed", _flag),
    (
        re.compile(r"allow downloaded signed software (\w+)", re.I),
        "alf.allow_downloads_signed",
        _flag,
    ),
    (re.compile(r"stealth mode (?:is )?(\w+)", re.I), "alf.stealth", _flag),
    (re.compile(r"log mode is (\w+)", re.I), "alf.logging", _flag),
    (re.compile(r"log option is (\w+)", re.I), "alf.logging_option", None),
]
_APP_NUM = re.compile(r"^\s*(\d+)\s*:\s*(.+?)\s*$")
_APP_STATE = re.compile(r"^\s*\(\s*(Allow|Block) incoming connections\s*\)\s*$", re.I)
_APP_KOLIDE = re.compile(r"^\s*(\S.*?)\s*\(state:\s*(\d+)\)\s*$")


def parse_socketfilterfw(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    facts: dict[str, str] = {}
    apps: list[AppEntry] = []
    pending: tuple[str, int] | None = None
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        m = _APP_STATE.match(s)
        if m:
            if pending is None:
                raise HostParseError(location, "application state without an application", i)
            name, at = pending
            apps.append(
                AppEntry(name, m.group(1).lower() == "allow", SourceRef("file", location, at))
            )
            pending = None
            continue
        if pending is not None:
            raise HostParseError(location, f"application {pending[0]!r} has no state line", i)
        if re.search(r"total number of apps", s, re.I):
            continue
        matched = False
        for rx, key, conv in _SFW:
            mm = rx.search(s)
            if mm:
                facts[key] = conv(mm.group(1)) if conv else mm.group(1).lower()
                matched = True
                break
        if matched:
            continue
        m = _APP_NUM.match(s)
        if m:
            pending = (m.group(2), i)
            continue
        m = _APP_KOLIDE.match(s)
        if m:
            apps.append(
                AppEntry(m.group(1), state_allows(m.group(2)), SourceRef("file", location, i))
            )
            continue
        if "cannot be modified from command line" in s or s.startswith("Firewall"):
            continue
        raise HostParseError(location, f"unrecognized socketfilterfw output {s[:60]!r}", i)
    if pending is not None:
        raise HostParseError(location, f"application {pending[0]!r} has no state (truncated?)")
    if facts.pop("alf.block_all", "off") == "on" and facts.get("alf.globalstate") == "1":
        facts["alf.globalstate"] = "2"
    if not facts and not apps:
        raise HostParseError(location, "no socketfilterfw settings found", 1)
    return [HostPart(host=host, facts=facts, apps=apps, sources=[location])]


# -- system_profiler -------------------------------------------------------------------------


def sniff_system_profiler(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace")
    return "SPFirewallDataType" in head or "Firewall Settings:" in head


def parse_system_profiler(data: bytes, location: str, host: str) -> list[HostPart]:
    text = decode_text(data, location)
    if text.lstrip().startswith("{"):
        return _sp_json(text, location, host)
    facts: dict[str, str] = {}
    apps: list[AppEntry] = []
    section = ""
    for i, line in enumerate(check_lines(text, location), 1):
        s = line.strip()
        if not s or s in ("Firewall:", "Firewall Settings:"):
            continue
        key, sep, val = s.partition(":")
        val = val.strip()
        k = key.strip().lower()
        if sep and not val and k in ("applications", "services"):
            section = k
            continue
        if not sep:
            raise HostParseError(location, f"unrecognized system_profiler line {s[:60]!r}", i)
        if k == "mode":
            facts["alf.globalstate"] = _mode(val, location, i)
        elif k == "firewall logging":
            facts["alf.logging"] = _flag(val)
        elif k == "stealth mode":
            facts["alf.stealth"] = _flag(val)
        elif k in ("allow signed", "automatically allow built-in software"):
            facts["alf.allow_signed"] = _flag(val)
        elif section == "applications":
            apps.append(
                AppEntry(key.strip(), "allow" in val.lower(), SourceRef("file", location, i))
            )
        elif section == "services" or k == "source":
            continue
        else:
            raise HostParseError(location, f"unrecognized system_profiler field {key!r}", i)
    if "alf.globalstate" not in facts:
        raise HostParseError(location, "no firewall 'Mode:' line in system_profiler output")
    return [HostPart(host=host, facts=facts, apps=apps, sources=[location])]


def _mode(val: str, location: str, line: int | None) -> str:
    v = val.lower().replace("_", " ")
    for word, state in _MODES.items():
        if word in v:
            return state
    raise HostParseError(location, f"unknown firewall mode {val!r}", line)


def _sp_json(text: str, location: str, host: str) -> list[HostPart]:
    try:
        doc = json.loads(text)
        items = doc["SPFirewallDataType"]
    except (ValueError, KeyError, TypeError) as exc:
        raise HostParseError(location, f"not system_profiler -json output: {exc}") from None
    facts: dict[str, str] = {}
    apps: list[AppEntry] = []
    for n, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        for k, v in item.items():
            kl, vs = k.lower(), str(v).lower()
            if "globalstate" in kl:
                facts["alf.globalstate"] = _mode(
                    vs.replace("limit connections", "limit"), location, None
                )
            elif "stealth" in kl:
                facts["alf.stealth"] = "on" if vs.endswith(("yes", "on", "enabled", "1")) else "off"
            elif "logging" in kl:
                facts["alf.logging"] = "on" if vs.endswith(("yes", "on", "enabled", "1")) else "off"
            elif "applications" in kl and isinstance(v, dict):
                for app, st in v.items():
                    ref = SourceRef("record", location, record=f"SPFirewallDataType[{n}].{k}.{app}")
                    apps.append(AppEntry(app, "allow" in str(st).lower(), ref))
    if "alf.globalstate" not in facts:
        raise HostParseError(location, "no firewall global state in system_profiler JSON")
    return [HostPart(host=host, facts=facts, apps=apps, sources=[location])]


# -- rule set --------------------------------------------------------------------------------


def alf_ruleset(host: str, facts: dict[str, str], apps: list[AppEntry]) -> RuleSet:
    state = facts.get("alf.globalstate", "unknown")
    tags = {k: v for k, v in facts.items() if k.startswith("alf.")}
    block_all = state == "2"
    rules: list[Rule] = []
    unique = {a.app: a for a in apps}  # a later source wins (files are read in manifest order)
    for n, a in enumerate(unique.values(), 1):
        rules.append(
            Rule(
                key=f"app:{a.app}",
                direction=Direction.INGRESS,
                action=Action.ALLOW if a.allowed else Action.DENY,
                protocols=SOCKETS,
                order=n,
                enabled=not (block_all and a.allowed),
                targets=frozenset({f"app:{a.app}"}),
                description=a.app + (" (ignored: block all incoming)" if block_all else ""),
                origin=a.source,
                unresolved=APP_PORTS if a.allowed else "",
            )
        )
    if facts.get("alf.allow_signed") == "on" and not block_all:
        rules.append(
            Rule(
                key="allow-signed",
                direction=Direction.INGRESS,
                action=Action.ALLOW,
                protocols=SOCKETS,
                order=len(rules) + 1,
                targets=frozenset({"app:(signed)"}),
                description="built-in signed software is allowed automatically",
                unresolved=APP_PORTS,
            )
        )
    if facts.get("alf.allow_downloads_signed") == "on" and not block_all:
        rules.append(
            Rule(
                key="allow-downloads-signed",
                direction=Direction.INGRESS,
                action=Action.ALLOW,
                protocols=SOCKETS,
                order=len(rules) + 1,
                targets=frozenset({"app:(downloaded-signed)"}),
                description="downloaded signed software is allowed automatically",
                unresolved=APP_PORTS,
            )
        )
    log = facts.get("alf.logging", "unknown")
    return RuleSet(
        asset=host_asset(host, "alf", "alf", tags),
        semantics=EvalSemantics.APP_LEVEL,
        rules=tuple(rules),
        default_ingress=Action.DENY,
        default_egress=Action.ALLOW,
        logging=Logging.ON if log == "on" else Logging.OFF if log == "off" else Logging.UNKNOWN,
        enabled=state != "0",
    )

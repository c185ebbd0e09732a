"""osquery results logs (JSON lines): snapshot, event (``added``/``removed``) and batch
(``diffResults``) forms, for the ``alf``, ``alf_exceptions``, ``alf_explicit_auths``,
``iptables`` and ``windows_firewall_rules`` tables. One log may hold many hosts
(``hostIdentifier``, or ``hostname`` in older docs). The table is recognized by its columns,
so any query name works. Event rows are replayed in order; a snapshot replaces what came before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.alf import state_allows
from cloudfw.hosts.parsers.base import LOOPBACK, AppEntry, HostPart, check_lines, decode_text
from cloudfw.hosts.parsers.chains import EVERYTHING, ChainRule, ChainTable, build_ruleset
from cloudfw.hosts.parsers.iptables import BUILTINS
from cloudfw.hosts.parsers.windows import rule_from_record
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    ANY_V6,
    AddressError,
    AddressSet,
    Box,
    PortError,
    RuleSet,
    SourceRef,
    parse_ports,
    parse_protocol,
)

NAME = "osquery"
Row = tuple[tuple[str, str], ...]


def sniff(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace").lstrip()
    return (
        head.startswith("{")
        and ('"hostIdentifier"' in head or '"calendarTime"' in head)
        and ('"columns"' in head or '"snapshot"' in head or '"diffResults"' in head)
    )


def _table_of(cols: Mapping[str, Any]) -> str:
    keys = set(cols)
    if "global_state" in keys:
        return "alf"
    if {"filter_name", "chain", "target"} <= keys:
        return "iptables"
    if {"direction", "action"} <= keys and ("profile_domain" in keys or "app_name" in keys):
        return "windows_firewall_rules"
    if keys == {"process"}:
        return "alf_explicit_auths"
    if {"path", "state"} <= keys:
        return "alf_exceptions"
    return ""


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    # (host, query name) -> ordered rows with their first line number
    state: dict[tuple[str, str], dict[Row, int]] = {}
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HostParseError(location, f"bad JSON: {exc.msg}", i) from None
        if not isinstance(rec, Mapping):
            raise HostParseError(location, "a results-log line must be a JSON object", i)
        h = str(rec.get("hostIdentifier") or rec.get("hostname") or host)
        name = str(rec.get("name", ""))
        rows = state.setdefault((h, name), {})
        action = rec.get("action")
        if action == "snapshot":
            rows.clear()
            for r in _rows(rec.get("snapshot"), location, i):
                rows.setdefault(r, i)
        elif action in ("added", "removed"):
            (r,) = _rows([rec.get("columns")], location, i)
            if action == "added":
                rows.setdefault(r, i)
            else:
                rows.pop(r, None)
        elif "diffResults" in rec:
            diff = rec["diffResults"]
            if not isinstance(diff, Mapping):
                raise HostParseError(location, "diffResults must be an object", i)
            for r in _rows(diff.get("removed", []), location, i):
                rows.pop(r, None)
            for r in _rows(diff.get("added", []), location, i):
                rows.setdefault(r, i)
        else:
            raise HostParseError(location, f"unknown results-log record (action {action!r})", i)
    parts: dict[str, HostPart] = {}
    ipt: dict[str, list[tuple[Mapping[str, str], int]]] = {}
    for (h, _name), rows in state.items():
        part = parts.setdefault(h, HostPart(host=h, sources=[location]))
        for row, line_no in rows.items():
            cols = dict(row)
            table = _table_of(cols)
            if table == "alf":
                _alf(part, cols)
            elif table == "alf_exceptions":
                ref = SourceRef("file", location, line_no)
                part.apps.append(AppEntry(cols["path"], state_allows(cols.get("state")), ref))
            elif table == "alf_explicit_auths":
                part.apps.append(
                    AppEntry(cols["process"], True, SourceRef("file", location, line_no))
                )
            elif table == "windows_firewall_rules":
                part.win_rules.append(rule_from_record(cols, location, f"line {line_no}"))
            elif table == "iptables":
                ipt.setdefault(h, []).append((cols, line_no))
            else:
                raise HostParseError(
                    location, f"row of an unsupported table: {sorted(cols)}", line_no
                )
    for h, rows_ in ipt.items():
        parts[h].rulesets.extend(_iptables(rows_, location, h))
    return list(parts.values())


def _rows(v: Any, location: str, line: int) -> list[Row]:
    if not isinstance(v, list):
        raise HostParseError(location, "expected a list of rows", line)
    out = []
    for r in v:
        if not isinstance(r, Mapping):
            raise HostParseError(location, "a row must be an object", line)
        out.append(tuple(sorted((str(k), "" if x is None else str(x)) for k, x in r.items())))
    return out


def _alf(part: HostPart, cols: Mapping[str, str]) -> None:
    def flag(v: str) -> str:
        return {"1": "on", "0": "off"}.get(v, "unknown")

    if cols.get("global_state", "-1") not in ("-1", ""):
        part.facts["alf.globalstate"] = cols["global_state"]
    for col, fact in (
        ("stealth_enabled", "alf.stealth"),
        ("logging_enabled", "alf.logging"),
        ("allow_signed_enabled", "alf.allow_signed"),
    ):
        if cols.get(col, "") not in ("", "-1"):
            part.facts[fact] = flag(cols[col])


def _addr(ip: str, mask: str) -> AddressSet:
    if not ip or (ip in ("0.0.0.0", "::") and mask in ("", "0.0.0.0", "::")):
        return ANY
    return AddressSet.parse(f"{ip}/{mask}" if mask else ip)


def _iptables(rows: list[tuple[Mapping[str, str], int]], location: str, host: str) -> list[RuleSet]:
    tables: dict[str, ChainTable] = {}
    for cols, line in rows:
        t = tables.setdefault(cols.get("filter_name", "filter"), ChainTable())
        chain = cols["chain"]
        t.rules.setdefault(chain, [])
        if cols.get("policy"):
            t.policies[chain] = cols["policy"]
        else:
            t.policies.setdefault(chain, "-")
        if not cols.get("target") and not cols.get("match"):
            continue  # a chain's policy row
        try:
            proto = cols.get("protocol", "0")
            protocols = ALL_PROTOCOLS if proto in ("", "0") else parse_protocol(proto)
            dport = cols.get("dst_port", "").replace(":", "-")
            ports = ALL_PORTS if dport in ("", "0-65535") else parse_ports(dport)
            peers = _addr(cols.get("src_ip", ""), cols.get("src_mask", ""))
            local = _addr(cols.get("dst_ip", ""), cols.get("dst_mask", ""))
        except (AddressError, PortError) as exc:
            raise HostParseError(location, f"iptables row: {exc}", line) from None
        r = ChainRule(
            line,
            chain,
            EVERYTHING,
            cols.get("target", ""),
            False,
            ref=SourceRef("file", location, line),
        )
        if cols.get("iniface") == "lo":
            peers = peers & LOOPBACK
        match = cols.get("match", "")
        if match in ("conntrack", "state"):
            r.new_traffic = False
            r.notes.append(f"-m {match}: states not in osquery; assumed ESTABLISHED,RELATED")
        elif match and match not in ("tcp", "udp", "icmp", "multiport", "comment"):
            r.narrowed = True
            r.notes.append(f"match -m {match} not modeled")
        if cols.get("src_port", "") not in ("", "0:65535", "0-65535"):
            r.narrowed = True
            r.notes.append("source port not modeled")
        r.box = Box(protocols, ports, peers, local)
        t.rules[chain].append(r)
    out: list[RuleSet] = []
    filt = tables.get("filter")
    if filt is None:
        return out
    for chain, direction in BUILTINS.items():
        if chain in filt.policies and filt.policies[chain] in ("ACCEPT", "DROP"):
            rtype = f"iptables:filter/{chain}"
            out.append(
                build_ruleset(
                    filt,
                    chain,
                    direction,
                    rtype,
                    ANY_V6,
                    location,
                    host,
                    filt.policies[chain] == "ACCEPT",
                )
            )
    return out

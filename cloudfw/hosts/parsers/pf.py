"""pf: ``pfctl -sr`` / ``pfctl -sa`` output, ``pf.conf`` and ``pfctl -s info``.

One LAST_MATCH_UNLESS_QUICK rule set per host. Anchors are evaluated in place (flattened, their
conditions conjoined); ``order`` is the position in the flattened ruleset. Macros and tables are
expanded when defined in the file; a table or anchor whose contents are not in the snapshot is
kept as an explicit unresolved peer or rule. pf passes what no rule matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import pf_syntax as syn
from cloudfw.hosts.parsers.base import LOOPBACK, HostPart, check_lines, decode_text, host_asset
from cloudfw.model import (
    Action,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
    SourceRef,
)

NAME = "pf"
_RULE_START = re.compile(
    r"^\s*(pass|block|match|anchor|scrub|scrub-anchor|nat-anchor|rdr-anchor|dummynet-anchor|"
    r"antispoof|table|set skip|nat|rdr)\b",
    re.M,
)
SKIPPED = {
    "scrub", "scrub-anchor", "nat-anchor", "rdr-anchor", "binat-anchor", "dummynet-anchor",
    "nat", "rdr", "binat", "no", "antispoof", "altq", "queue", "dummynet", "set", "load",
    "ether", "include",
}  # fmt: skip
SECTIONS = {
    "FILTER RULES:": "rules", "TRANSLATION RULES:": "skip", "ANCHORS:": "skip",
    "INFO:": "info", "TIMEOUTS:": "skip", "LIMITS:": "skip", "OS FINGERPRINTS:": "skip",
    "STATES:": "skip", "TABLES:": "skip", "INTERFACES:": "skip", "DUMMYNET RULES:": "skip",
    "ETHERNET RULES:": "skip",
}  # fmt: skip


def sniff(data: bytes) -> bool:
    head = data[:8192].decode("utf-8", "replace")
    if "FILTER RULES:" in head:
        return True
    return bool(_RULE_START.search(head)) and bool(
        re.search(r"^\s*(pass|block|anchor)\b.*\b(in|out|all|from|to|quick)\b", head, re.M)
    )


def sniff_info(data: bytes) -> bool:
    head = data[:1024].decode("utf-8", "replace").lstrip()
    return bool(re.match(r"Status: (Enabled|Disabled)\b", head))


def parse_info(data: bytes, location: str, host: str) -> list[HostPart]:
    text = decode_text(data, location)
    status = _status(check_lines(text, location))
    if status is None:
        raise HostParseError(location, "no 'Status:' line in pfctl -s info output", 1)
    return [HostPart(host=host, facts={"pf.status": status}, sources=[location])]


def _status(lines: list[str]) -> str | None:
    for line in lines:
        m = re.match(r"\s*Status:\s*(\w+)", line)
        if m:
            word = m.group(1).lower()
            return word if word in ("enabled", "disabled") else "unknown"
    return None


@dataclass
class _Ctx:
    location: str
    macros: dict[str, str] = field(default_factory=dict)
    tables: dict[str, syn.Addr] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    logs: bool = False


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    text = decode_text(data, location)
    lines = check_lines(text, location)
    ctx = _Ctx(location)
    stmts, info = _statements(lines, location)
    _block(ctx, stmts, syn.Cond(), "", False)
    asset = host_asset(host, "pf", "pf")
    rs = RuleSet(
        asset=asset,
        semantics=EvalSemantics.LAST_MATCH_UNLESS_QUICK,
        rules=tuple(ctx.rules),
        default_ingress=Action.ALLOW,
        default_egress=Action.ALLOW,
        logging=Logging.ON if ctx.logs else Logging.OFF,
    )
    facts = {"pf.status": info} if info else {}
    return [HostPart(host=host, rulesets=[rs], facts=facts, sources=[location])]


@dataclass
class _Stmt:
    line: int
    text: str
    body: list[_Stmt] | None = None  # inline anchor block


def _statements(lines: list[str], location: str) -> tuple[list[_Stmt], str]:
    """Join continuations, drop comments and non-rule sections, nest ``{ ... }`` anchor bodies."""
    root: list[_Stmt] = []
    stack: list[list[_Stmt]] = [root]
    section = "rules"
    info_lines: list[str] = []
    pending = ""
    start = 0
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if s in SECTIONS:
            section = SECTIONS[s]
            continue
        if section == "info":
            info_lines.append(s)
            continue
        if section == "skip":
            continue
        if s.startswith(("No ALTQ support", "ALTQ related functions")):
            continue
        s = syn.strip_comment(s)
        if not pending:
            start = i
        if s.endswith("\\"):
            pending += s[:-1] + " "
            continue
        s = (pending + s).strip()
        pending = ""
        if not s:
            continue
        if s == "}":
            if len(stack) == 1:
                raise HostParseError(location, "unbalanced '}'", i)
            stack.pop()
            continue
        opens_block = s.startswith("anchor") and s.endswith("{")
        if opens_block:
            st = _Stmt(start, s[:-1].strip(), [])
            stack[-1].append(st)
            assert st.body is not None
            stack.append(st.body)
        else:
            stack[-1].append(_Stmt(start, s))
    if len(stack) > 1:
        raise HostParseError(location, "anchor block is not closed by '}' (truncated?)", len(lines))
    if pending:
        raise HostParseError(location, "line continuation at end of file (truncated?)", start)
    status = _status(info_lines) or ""
    return root, status


def _block(ctx: _Ctx, stmts: list[_Stmt], cond: syn.Cond, path: str, quick: bool) -> None:
    n = 0
    for st in stmts:
        text = syn.expand_macros(st.text, ctx.macros, ctx.location, st.line)
        m = re.match(r"^([A-Za-z_][\w]*)\s*=\s*(.*)$", text)
        if m and not text.startswith(("pass", "block", "match", "anchor", "set", "table")):
            ctx.macros[m.group(1)] = m.group(2).strip().strip('"')
            continue
        toks = syn.tokenize(text, ctx.location, st.line)
        if not toks:
            continue
        head = toks[0]
        if head == "table":
            name, addr = syn.parse_table(toks, ctx.tables, ctx.location, st.line)
            ctx.tables[name] = addr
            continue
        if head == "set" and toks[1:3] == ["skip", "on"]:
            _set_skip(ctx, toks[3:], st, path)
            continue
        if head in SKIPPED:
            continue
        if head not in ("pass", "block", "match", "anchor"):
            raise HostParseError(ctx.location, f"unknown pf statement {head!r}", st.line)
        n += 1
        key = f"{path}#{n}" if path else f"#{n}"
        parsed = syn.parse_rule(toks, ctx.tables, ctx.location, st.line)
        joined = cond.conjoin(parsed.cond)
        if head == "anchor":
            _anchor(ctx, st, parsed, joined, key, quick)
            continue
        _emit(ctx, parsed, joined, key, st.line, quick)


def _anchor(
    ctx: _Ctx, st: _Stmt, parsed: syn.Parsed, cond: syn.Cond, key: str, quick: bool
) -> None:
    name = parsed.anchor
    inner_quick = quick or parsed.quick
    if st.body is not None:
        _block(ctx, st.body, cond, f"{key}({name})", inner_quick)
        return
    for d in cond.directions():
        ctx.rules.append(
            Rule(
                key=f"{key}({name})" + ("" if len(cond.directions()) == 1 else f"/{d.value[:2]}"),
                direction=d,
                action=Action.LOG,
                protocols=cond.protocols,
                order=len(ctx.rules) + 1,
                description=f"anchor {name!r}",
                origin=SourceRef("file", ctx.location, st.line),
                unresolved=f"anchor {name!r}: its rules are not in the snapshot",
            )
        )


def _emit(ctx: _Ctx, parsed: syn.Parsed, cond: syn.Cond, key: str, line: int, quick: bool) -> None:
    action = {"pass": Action.ALLOW, "block": Action.DENY}.get(parsed.verb, Action.LOG)
    unresolved = ""
    enabled = True
    if parsed.narrowing:
        note = ", ".join(parsed.narrowing)
        if action is Action.DENY:
            enabled, unresolved = False, f"block not applied (unmodeled match: {note})"
        elif action is Action.ALLOW:
            unresolved = f"pass assumed to match ({note})"
    if parsed.log:
        ctx.logs = True
    dirs = cond.directions()
    for d in dirs:
        peers, local = (cond.src, cond.dst) if d is Direction.INGRESS else (cond.dst, cond.src)
        if cond.loopback:
            peers = peers & LOOPBACK
        ctx.rules.append(
            Rule(
                key=key if len(dirs) == 1 else f"{key}/{d.value[:2]}",
                direction=d,
                action=action,
                protocols=cond.protocols,
                ports=cond.ports,
                peers=peers,
                local=local,
                order=len(ctx.rules) + 1,
                enabled=enabled,
                logging=Logging.ON if parsed.log else Logging.OFF,
                quick=quick or parsed.quick,
                description="; ".join(parsed.notes),
                origin=SourceRef("file", ctx.location, line),
                unresolved=unresolved,
                in_iface=cond.iface if d is Direction.INGRESS else None,
                out_iface=cond.iface if d is Direction.EGRESS else None,
            )
        )


def _set_skip(ctx: _Ctx, ifaces: list[str], st: _Stmt, path: str) -> None:
    """``set skip on IF``: pf does not filter that interface at all (a quick pass on it)."""
    names = [t for t in ifaces if t not in ("{", "}", ",")]
    for name in names:
        m = syn.iface_match([name])
        loop = name.startswith("lo")
        for d in (Direction.INGRESS, Direction.EGRESS):
            ctx.rules.append(
                Rule(
                    key=f"{path}set-skip:{name}/{d.value[:2]}",
                    direction=d,
                    action=Action.ALLOW,
                    peers=LOOPBACK if loop else syn.ANY,
                    order=len(ctx.rules) + 1,
                    quick=True,
                    description=f"set skip on {name}: pf does not filter it",
                    origin=SourceRef("file", ctx.location, st.line),
                    in_iface=m if d is Direction.INGRESS else None,
                    out_iface=m if d is Direction.EGRESS else None,
                )
            )

"""pf: ``pfctl -sr`` / ``pfctl -sa`` output, ``pf.conf`` and ``pfctl -s info``.

One LAST_MATCH_UNLESS_QUICK rule set per host. Anchors are evaluated in place (flattened, their
conditions conjoined); ``order`` is the position in the flattened ruleset. Macros and tables are
expanded when defined in the file; a table or anchor whose contents are not in the snapshot is
kept as an explicit unresolved peer or rule. pf passes what no rule matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import pf_rule as syn
from cloudfw.hosts.parsers import pf_stmt
from cloudfw.hosts.parsers.base import LOOPBACK, HostPart, check_lines, decode_text, host_asset
from cloudfw.hosts.parsers.pf_hosts import Addr
from cloudfw.hosts.parsers.pf_lex import Stream, expand_macros, split_comment, tokenize
from cloudfw.model import (
    ANY,
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
# Lines only pf has: a quoted anchor, the translation anchors, ``load anchor``, ``set skip on``
_PF_ONLY = re.compile(
    r'^\s*((scrub|nat|rdr|binat|dummynet)-anchor\s|anchor\s+"|load\s+anchor\s|set\s+skip\s+on\s'
    r"|table\s+<[^>\s]+>)",
    re.M,
)
SECTIONS = {
    "FILTER RULES:": "rules", "TRANSLATION RULES:": "rules", "ANCHORS:": "skip",
    "INFO:": "info", "TIMEOUTS:": "skip", "LIMITS:": "skip", "OS FINGERPRINTS:": "skip",
    "STATES:": "skip", "TABLES:": "skip", "INTERFACES:": "skip", "DUMMYNET RULES:": "rules",
    "ETHERNET RULES:": "rules", "QUEUEING:": "skip", "SOURCE TRACKING NODES:": "skip",
}  # fmt: skip
_RESERVED = syn.RULE_VERBS | {"set", "table", "antispoof", "load", "include", "altq", "queue",
                              "ether"}  # fmt: skip
_MACRO_DEF = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(.*)$")
_VERBOSE = re.compile(r"^@\d+(\(\d+\))?\s+")  # ``pfctl -vvsr`` rule numbers


def sniff(data: bytes) -> bool:
    head = data[:8192].decode("utf-8", "replace")
    if "FILTER RULES:" in head or _PF_ONLY.search(head):
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
    gaps = [] if status != "unknown" else ["pfctl -s info gives no known Status"]
    return [HostPart(host=host, facts={"pf.status": status}, sources=[location], gaps=gaps)]


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
    tables: dict[str, Addr] = field(default_factory=dict)
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
    if '"com.apple/' in text:  # Apple's stock anchors: macOS, which leaves pf off until asked
        facts["pf.off_by_default"] = "macOS"
    return [HostPart(host=host, rulesets=[rs], facts=facts, sources=[location])]


@dataclass
class _Stmt:
    line: int
    text: str
    body: list[_Stmt] | None = None  # inline anchor block
    comment: str = ""  # what follows ``#`` (OPNsense's rules.debug puts descriptions there)


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
        if s.startswith(("No ALTQ support", "ALTQ related functions")) or (
            s.startswith("[") and s.endswith("]")  # ``pfctl -vsr`` counters
        ):
            continue
        s, comment = split_comment(_VERBOSE.sub("", s))
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
            stack[-1].append(_Stmt(start, s, comment=comment))
    if len(stack) > 1:
        raise HostParseError(location, "anchor block is not closed by '}' (truncated?)", len(lines))
    if pending:
        raise HostParseError(location, "line continuation at end of file (truncated?)", start)
    status = _status(info_lines) or ""
    return root, status


def _block(ctx: _Ctx, stmts: list[_Stmt], cond: syn.Cond, path: str, quick: bool) -> None:
    n = 0
    for st in stmts:
        text = expand_macros(st.text, ctx.macros, ctx.location, st.line)
        m = _MACRO_DEF.match(text)
        if m and m.group(1) not in _RESERVED:
            ctx.macros[m.group(1)] = m.group(2).strip().strip('"')
            continue
        toks = tokenize(text, ctx.location, st.line)
        if not toks:
            continue
        head, s = toks[0], Stream(toks, ctx.location, st.line)
        if head == "table":
            name, addr = pf_stmt.table(s, ctx.tables)
            ctx.tables[name] = addr
        elif head == "set" and toks[1:3] == ["skip", "on"]:
            _set_skip(ctx, toks[3:], st, path)
        elif head == "set":
            pf_stmt.set_option(s)
        elif head == "antispoof":
            pf_stmt.antispoof(s)
        elif head in ("load", "include"):
            pf_stmt.load_or_include(s)
            if head == "include":
                _unseen(ctx, st, cond, f"{path}include#{st.line}", f"include {toks[1]}")
        elif head in ("altq", "queue"):
            pf_stmt.queueing(s)
        elif head == "ether":
            pf_stmt.ether(s, ctx.tables)
        elif head in syn.RULE_VERBS:
            parsed = syn.parse_rule(toks, ctx.tables, ctx.location, st.line)
            if st.comment:
                parsed.notes.append(st.comment)
            joined = cond.conjoin(parsed.cond)
            if parsed.verb in ("pass", "block", "match", "anchor"):
                n += 1
                key = f"{path}#{n}" if path else f"#{n}"
                if parsed.verb == "anchor":
                    _anchor(ctx, st, parsed, joined, key, quick)
                else:
                    _emit(ctx, parsed, joined, key, st.line, quick)
            elif parsed.translated_pass and not parsed.no:
                _translation_pass(ctx, parsed, joined, f"{path}{parsed.verb}#{st.line}", st.line)
        else:
            raise HostParseError(ctx.location, f"unknown pf statement {head!r}", st.line)


def _anchor(
    ctx: _Ctx, st: _Stmt, parsed: syn.Parsed, cond: syn.Cond, key: str, quick: bool
) -> None:
    name = parsed.anchor
    inner_quick = quick or parsed.quick
    if st.body is not None:
        _block(ctx, st.body, cond, f"{key}({name})", inner_quick)
        return
    _unseen(ctx, st, cond, f"{key}({name})", f"anchor {name!r}")


def _unseen(ctx: _Ctx, st: _Stmt, cond: syn.Cond, key: str, what: str) -> None:
    """Rules that live outside the snapshot (an anchor loaded separately, an included file):
    kept as a non-deciding rule that says so."""
    for d in cond.directions():
        ctx.rules.append(
            Rule(
                key=key + ("" if len(cond.directions()) == 1 else f"/{d.value[:2]}"),
                direction=d,
                action=Action.LOG,
                protocols=cond.protocols,
                order=len(ctx.rules) + 1,
                description=what,
                origin=SourceRef("file", ctx.location, st.line),
                unresolved=f"{what}: its rules are not in the snapshot",
            )
        )


def _translation_pass(ctx: _Ctx, parsed: syn.Parsed, cond: syn.Cond, key: str, line: int) -> None:
    """FreeBSD/macOS ``rdr pass`` (inbound), ``nat pass`` (outbound), ``binat pass`` (both):
    what they translate passes without the filter rules, as a quick pass would."""
    dirs = {"rdr": (Direction.INGRESS,), "nat": (Direction.EGRESS,)}.get(
        parsed.verb, (Direction.INGRESS, Direction.EGRESS)
    )
    parsed.quick = True
    parsed.notes.append(f"{parsed.verb} pass: translated packets skip the filter rules")
    _emit(ctx, parsed, replace(cond, direction=dirs[0] if len(dirs) == 1 else None), key, line,
          False)  # fmt: skip


def _emit(ctx: _Ctx, parsed: syn.Parsed, cond: syn.Cond, key: str, line: int, quick: bool) -> None:
    action = {"pass": Action.ALLOW, "block": Action.DENY}.get(parsed.verb, Action.LOG)
    if parsed.translated_pass:
        action = Action.ALLOW
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
        peers = syn.in_family(peers, cond.family)
        if any(p.value.startswith("pf-if:") for p in local.symbols):
            local = ANY  # ``to (em0)`` / ``from em1:network``: an address of this host's own
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
                    peers=LOOPBACK if loop else ANY,
                    order=len(ctx.rules) + 1,
                    quick=True,
                    description=f"set skip on {name}: pf does not filter it",
                    origin=SourceRef("file", ctx.location, st.line),
                    in_iface=m if d is Direction.INGRESS else None,
                    out_iface=m if d is Direction.EGRESS else None,
                )
            )

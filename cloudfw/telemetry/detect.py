"""Turn telemetry events into detections: command lines (``rules``, ``rules_windows``, and the
firewall files they write, ``fwfiles``), firewall audit records (``fwevents``) and the AN0464 chain
(``correlate``), minus approved administration (``suppress``).

The fast path: a process line with no ``rules.PREFILTER_WORDS`` substring is not split at all
(well over 90% of a typical process stream).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cloudfw.telemetry.cmdline import POWERSHELL, Command, commands
from cloudfw.telemetry.correlate import CorrelationOptions, Correlator, Lineage
from cloudfw.telemetry.detection import Detection
from cloudfw.telemetry.events import Event, FirewallEvent, ProcessEvent
from cloudfw.telemetry.fwevents import classify_firewall_event
from cloudfw.telemetry.fwfiles import FILE_TOOL, classify_writes
from cloudfw.telemetry.rules import (
    DATA_COMPONENT,
    DEFAULT_SEVERITY,
    ENUMERATE,
    HARDENED,
    PREFILTER_ENCODED,
    PREFILTER_WORDS,
    RULES_BY_FAMILY,
    T_DISCOVERY,
    T_HOST,
    T_WINDOWS,
    Rule,
    Tool,
    tool_for,
)
from cloudfw.telemetry.suppress import TelemetryPolicy


def expand_getopt(tokens: Sequence[str], optstring: str) -> list[str]:
    """``-nvL`` -> ``-n -v -L``; ``-Fa`` -> ``-F a`` (``F:`` takes a value); others unchanged."""
    valued = {optstring[i - 1] for i, c in enumerate(optstring) if c == ":" and i}
    letters = set(optstring) - {":"}
    out: list[str] = []
    for t in tokens:
        if len(t) > 2 and t[0] == "-" and t[1] != "-" and t[1] in letters:
            parts: list[str] = []
            for k, ch in enumerate(t[1:]):
                if ch not in letters:
                    parts = [t]
                    break
                parts.append("-" + ch)
                if ch in valued:
                    if t[2 + k :]:
                        parts.append(t[2 + k :])
                    break
            out.extend(parts)
        else:
            out.append(t)
    return out


def normalize_args(cmd: Command, tool: Tool) -> str:
    toks: list[str] = [cmd.tool, *cmd.args] if tool.program_arg else list(cmd.args)
    if cmd.dialect == POWERSHELL:
        split: list[str] = []
        for t in toks:
            if t.startswith("-") and ":" in t[2:]:
                name, value = t.split(":", 1)
                split.extend((name, value))
            else:
                split.append(t)
        toks = split
    if tool.resplit:
        toks = [w for t in toks for w in t.split()]
    if tool.long_options:
        toks = [w for t in toks for w in (tool.long_option(t) if t.startswith("--") else (t,))]
    if tool.optstring:
        toks = expand_getopt(toks, tool.optstring)
    s = " " + " ".join(toks) + " "
    if tool.piped and cmd.upstream:
        s += "<| " + " ".join(cmd.upstream) + " "
    return s.lower() if tool.icase else s


def classify(cmd: Command) -> tuple[Tool, Rule] | None:
    """The first rule of the command's tool family that matches, if any; none for a dry run."""
    tool = tool_for(cmd.argv[0], cmd.tool) if cmd.argv else None
    if tool is None:
        return None
    norm = normalize_args(cmd, tool)
    dry = tool.compiled_dry_run
    if dry is not None and dry.search(norm.partition("<| ")[0]):
        return None  # a dry run (-n, --check, --dry-run, --test, -WhatIf): nothing changes
    for rule in RULES_BY_FAMILY[tool.family]:
        if rule.compiled.search(norm) and not (
            rule.compiled_unless is not None and rule.compiled_unless.search(norm)
        ):
            return tool, rule
    return None


_ENCODED = re.compile(PREFILTER_ENCODED)


def passes_prefilter(text: str) -> bool:
    low = text.lower()
    for word in PREFILTER_WORDS:
        if word in low:
            return True
    return ("powershell" in low or "pwsh" in low) and _ENCODED.search(low) is not None


def _techniques(tool: Tool | None, rule: Rule, platform: str) -> tuple[str, ...]:
    if rule.techniques:
        return rule.techniques
    if rule.category == HARDENED:
        return ()  # turning a firewall on is no attack technique
    if rule.category == ENUMERATE:
        return T_DISCOVERY
    plat = tool.platform if tool is not None and tool.platform != "any" else platform
    return T_WINDOWS if plat == "windows" else T_HOST


def make_detection(rule: Rule, tool: Tool | None, ev: ProcessEvent | FirewallEvent,
                   **fields: object) -> Detection:  # fmt: skip
    component = DATA_COMPONENT[rule.category]
    analytic = rule.analytic or (tool.analytic if tool is not None else "") or component
    return Detection(
        category=rule.category,
        severity=rule.severity if rule.severity is not None else DEFAULT_SEVERITY[rule.category],
        analytic=analytic,
        data_component=component,
        techniques=_techniques(tool, rule, ev.platform),
        reason=rule.reason,
        rule_id=rule.id,
        source=ev.source,
        platform=ev.platform,
        host=ev.host,
        time=ev.time,
        pid=ev.pid,
        **fields,  # type: ignore[arg-type]
    )


def detect_process(ev: ProcessEvent, prefilter: bool = True) -> list[Detection]:
    """Command-line detections for one process event (no suppression, no correlation)."""
    return _detect_process(ev, ev.display_cmdline, prefilter)


def _detect_process(ev: ProcessEvent, text: str, prefilter: bool) -> list[Detection]:
    if ev.kind != "exec" or not text or (prefilter and not passes_prefilter(text)):
        return []
    out: list[Detection] = []
    for cmd in commands(ev.cmdline, ev.argv, ev.platform):
        hit = classify(cmd)
        hits = [hit] if hit is not None else []
        hits += [(FILE_TOOL, rule) for rule in classify_writes(cmd)]
        for tool, rule in hits:
            out.append(make_detection(
                rule, tool, ev, ppid=ev.ppid, user=ev.user, exe=ev.exe, parent=ev.parent_exe,
                cmdline=text, command=cmd.text, via=cmd.via,
            ))  # fmt: skip
    return out


def detect_firewall_event(ev: FirewallEvent) -> list[Detection]:
    rule = classify_firewall_event(ev)
    if rule is None:
        return []
    what = ev.rule_name or ev.setting_type or ev.unit
    detail = " ".join(p for p in (what, ev.application_path, ev.setting_value) if p)
    return [make_detection(
        rule, None, ev, user=ev.user, exe=ev.modifying_application, command=detail,
        cmdline=f"EventID {ev.event_id}" if ev.event_id else "SERVICE_STOP",
    )]  # fmt: skip


@dataclass
class DetectStats:
    events: int = 0
    detections: int = 0
    suppressed: int = 0
    prefiltered: int = 0
    by_category: dict[str, int] = field(default_factory=dict)


class Detector:
    """Streaming detector: ``feed`` each event, then ``finish``; both return detections (already
    marked ``suppressed_by`` when approved administration covers them)."""

    def __init__(
        self,
        policy: TelemetryPolicy | None = None,
        correlation: CorrelationOptions | None = None,
        prefilter: bool = True,
    ) -> None:
        self.policy = policy or TelemetryPolicy()
        opts = correlation or CorrelationOptions()
        if self.policy.capture_allowlist:
            opts = replace(opts, allowlist=(*opts.allowlist, *self.policy.capture_allowlist))
        self.lineage = Lineage(opts.max_tracked)
        self.correlator = Correlator(opts, self.lineage)
        self.prefilter = prefilter
        self.stats = DetectStats()

    def feed(self, ev: Event) -> list[Detection]:
        self.stats.events += 1
        if isinstance(ev, ProcessEvent):
            text = ev.display_cmdline
            # Lineage is order-independent, so it is noted at once, not through the re-order buffer.
            self.lineage.note(ev.host, ev.pid, ev.ppid, ev.exe, text)
            found = _detect_process(ev, text, self.prefilter)
        elif isinstance(ev, FirewallEvent):
            found = detect_firewall_event(ev)
        else:
            found = self.correlator.feed(ev)
        return self._finalize(found) if found else found

    def finish(self) -> list[Detection]:
        return self._finalize(self.correlator.finish())

    def _finalize(self, found: list[Detection]) -> list[Detection]:
        out: list[Detection] = []
        for det in found:
            if not det.parent and det.pid is not None:
                info = self.lineage.get(det.host, det.ppid)
                if info is not None and info[1]:
                    det = replace(det, parent=info[1])
            sup = self.policy.suppressed_by(det)
            if sup:
                det = replace(det, suppressed_by=sup)
                self.stats.suppressed += 1
            self.stats.detections += 1
            self.stats.by_category[det.category] = self.stats.by_category.get(det.category, 0) + 1
            out.append(det)
        return out

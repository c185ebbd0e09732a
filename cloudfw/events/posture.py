"""Events meet posture: pure functions the audit wires in (``cloudfw audit --events``).

* :func:`attach_events` adds to each finding the change that created its rule: who, when, from
  where (``evidence["change"]``), matched by resource and overlapping ports/peers.
* :func:`event_drift` judges change events against a baseline:

  - ``unexpectedly-authorized``: a successful authorize/create/modify whose resulting allow rule
    the baseline's ``approved`` entries for that resource do not cover. A change whose log does
    not say the direction (``ModifySecurityGroupRules``, a Firewall Policy rule collection) is
    judged as ingress, one that does not say the ports (an RDS DB security group) as every port:
    the message says so;
  - ``revoked``: a successful revoke/delete that removes (part of) a rule a ``required`` entry
    needs, or deletes a resource a ``required`` entry names;
  - ``unapproved-principal``: a change (successful, or attempted: LOW) by a principal matching
    none of the baseline's ``approved_principals`` globs (only when that key is set); HIGH when
    it opened a rule to the internet (an allow, not a deny).

Events have no tags, so an entry that matches by tags only applies when ``assets`` (from a
snapshot) supplies them for the event's resource.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase

from cloudfw.baseline.matching import entry_matches, in_drift_scope
from cloudfw.baseline.meta import REVOKED, UNEXPECTEDLY_AUTHORIZED, DriftCheck
from cloudfw.events.normal import ALL, peer_set, port_box
from cloudfw.events.serialize import format_time, port_text
from cloudfw.model import (
    ANY,
    EMPTY,
    Action,
    AddressSet,
    Asset,
    Box,
    ChangeAction,
    ChangeEvent,
    CloudfwError,
    Direction,
    Finding,
    Intervals,
    PortSpec,
    Severity,
    Space,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS, ports_label, protocol_label
from cloudfw.policy.baseline import Baseline, Entry

UNAPPROVED_PRINCIPAL = DriftCheck(
    id="unapproved-principal",
    title="Firewall changed by a principal the baseline does not approve",
    severity=Severity.MEDIUM,
    risk="Someone outside the approved change principals (pipelines, break-glass roles) changed "
    "a firewall: a bypass of change control or a compromised identity (ATT&CK T1686.001, was "
    "T1562.007).",
    remediation="Confirm the change with its author; revert it if unexplained; add the principal "
    "to `approved_principals` if it is a legitimate change path.",
    compliance=("NIST-800-53:CM-5", "NIST-800-53:AC-6"),
)
OPENING = frozenset({ChangeAction.AUTHORIZE, ChangeAction.CREATE, ChangeAction.MODIFY})
CLOSING = frozenset({ChangeAction.REVOKE, ChangeAction.DELETE})
_TYPES = {"sg-": "security-group", "acl-": "network-acl", "fl-": "flow-log"}


def event_asset(ev: ChangeEvent, assets: Mapping[str, Asset] | None = None) -> Asset:
    """The enforcement point an event changed, as an Asset (tags from ``assets`` when known).

    Azure rule-level ids map to their NSG / policy; GCP resource names keep the rule name."""
    rid = ev.resource_id
    low = rid.lower()
    for marker in ("/securityrules/", "/rulecollectiongroups/"):
        if marker in low:
            rid = rid[: low.index(marker)]
    name = rid.rstrip("/").rsplit("/", 1)[-1]
    if assets:
        for key in (rid, rid.lower(), name):
            if key in assets:
                return assets[key]
    rtype = next((t for p, t in _TYPES.items() if rid.startswith(p)), "")
    return Asset(ev.provider, ev.account, ev.region, rtype, rid, name if name != rid else "")


def event_space(ev: ChangeEvent) -> Space | None:
    """The traffic space the event's rule covers; None when the log does not say."""
    if not ev.ports or not ev.peers:
        return None
    peers = peer_set(ev.peers)
    return Space(tuple(port_box(p, peers) for p in ev.ports))


def _judged(ev: ChangeEvent) -> tuple[Direction, tuple[PortSpec, ...], Space, str] | None:
    """The direction, ports and space an opening is judged on, and what was assumed: a log
    that does not say the direction is judged as ingress, one without ports as every port.
    None when the log names no peer."""
    if not ev.peers:
        return None
    direction = _direction(ev)
    ports = ev.ports or (ALL,)
    assumed = [
        *([] if direction else ["direction not in the log: judged as ingress"]),
        *([] if ev.ports else ["ports not in the log: judged as every port"]),
    ]
    peers = peer_set(ev.peers)
    space = Space(tuple(port_box(p, peers) for p in ports))
    return direction or Direction.INGRESS, ports, space, "; ".join(assumed)


def _direction(ev: ChangeEvent) -> Direction | None:
    return {"ingress": Direction.INGRESS, "egress": Direction.EGRESS}.get(ev.direction)


def _change(ev: ChangeEvent) -> dict[str, object]:
    return {
        "who": ev.principal,
        "when": format_time(ev),
        "from": ev.source_ip,
        "action": ev.action.value,
        "event_name": ev.event_name,
        "event_id": ev.event_id,
        "success": ev.success,
        "error_code": ev.error_code,
        "source": str(ev.origin) if ev.origin else "",
    }


def _finding(
    check: DriftCheck, severity: Severity, ev: ChangeEvent, asset: Asset, message: str,
    extra: Mapping[str, object], direction: str | None = None,
    ports: Sequence[PortSpec] | None = None,
) -> Finding:  # fmt: skip
    # labelled as every other finding's traffic
    boxes = [port_box(p, EMPTY) for p in (ev.ports if ports is None else ports)]
    return Finding(
        check=check.id,
        severity=severity,
        asset=asset,
        message=message,
        rule_keys=(ev.event_id,) if ev.event_id else (),
        direction=ev.direction if direction is None else direction,
        protocol=",".join(dict.fromkeys(protocol_label(b.protocols) for b in boxes)),
        ports=",".join(dict.fromkeys(ports_label(b.protocols, b.ports) for b in boxes)),
        peers=ev.peers,
        techniques=check.techniques,
        compliance=check.compliance,
        risk=check.risk,
        remediation=check.remediation,
        evidence={"change": _change(ev), **extra},
    )


def _who(ev: ChangeEvent) -> str:
    return f"{ev.principal or 'unknown principal'} from {ev.source_ip or 'unknown address'}"


def _unexpected(ev: ChangeEvent, asset: Asset, baseline: Baseline) -> Finding | None:
    judged = _judged(ev)
    if ev.action not in OPENING or judged is None or ev.rule_action not in ("", "allow"):
        return None
    direction, ports, space, assumed = judged
    if not any(in_drift_scope(b.peers, baseline.drift_scope) for b in space.boxes):
        return None
    entries = [e for e in baseline.approved if entry_matches(e.match, asset)]
    approved = Space(
        tuple(
            s.box()
            for e in entries
            for s in e.rules
            if s.direction is direction and s.action is Action.ALLOW
        )
    )
    if all(approved.covers(b) for b in space.boxes):
        return None
    severity = Severity.HIGH if ev.any_peer else Severity.MEDIUM
    why = (
        "not covered by approved entries " + ", ".join(repr(e.id) for e in entries)
        if entries
        else "no approved entry matches this resource"
    )
    return _finding(
        UNEXPECTEDLY_AUTHORIZED, severity, ev, asset,
        f"{asset.label()}: {ev.event_name} at {format_time(ev)} by {_who(ev)} opened "
        f"{direction.value} {' '.join(port_text(p) for p in ports)} from "
        f"{' '.join(ev.peers)}: {why}" + (f" ({assumed})" if assumed else ""),
        {"baseline": baseline.path, "approved_entries": [e.id for e in entries]},
        direction.value, ports,
    )  # fmt: skip


def _revoked(ev: ChangeEvent, asset: Asset, baseline: Baseline) -> list[Finding]:
    if ev.action not in CLOSING:
        return []
    direction, space = _direction(ev), event_space(ev)
    out: list[Finding] = []
    for entry in baseline.required:
        if not entry_matches(entry.match, asset):
            continue
        hit = _required_hit(entry, direction, space, ev)
        if not hit:
            continue
        message = (
            f"{asset.label()}: {ev.event_name} at {format_time(ev)} by {_who(ev)} removed {hit} "
            f"required by entry {entry.id!r} ({baseline.where(entry.line)})"
        )
        extra = {"baseline": baseline.path, "entry": entry.id}
        out.append(_finding(REVOKED, REVOKED.severity, ev, asset, message, extra))
    return out


def _required_hit(
    entry: Entry, direction: Direction | None, space: Space | None, ev: ChangeEvent
) -> str:
    if space is None:  # the resource (or a rule the log does not describe) was deleted
        whole = ev.action is ChangeAction.DELETE and not ev.direction
        return "the resource" if whole else ("a rule" if ev.action is ChangeAction.DELETE else "")
    for j, spec in enumerate(entry.rules):
        if direction is not None and spec.direction is not direction:
            continue
        if any(spec.box().intersect(b) is not None for b in space.boxes):
            return f"rule {spec.rule_id or f'{entry.id}.rules[{j}]'} ({spec.label()})"
    return ""


def _principal(ev: ChangeEvent, asset: Asset, baseline: Baseline) -> Finding | None:
    globs = baseline.approved_principals
    if not globs or any(fnmatchcase(ev.principal, g) for g in globs):
        return None
    if ev.success:
        # a deny rule narrows, whoever wrote it: a finding, but not an internet-wide opening
        opened = ev.any_peer and ev.action in OPENING and ev.rule_action in ("", "allow")
        severity = Severity.HIGH if opened else UNAPPROVED_PRINCIPAL.severity
        what = "changed"
    else:
        severity, what = Severity.LOW, f"tried to change ({ev.error_code or 'failed'})"
    return _finding(
        UNAPPROVED_PRINCIPAL, severity, ev, asset,
        f"{asset.label()}: {ev.principal or 'an unknown principal'} {what} it "
        f"({ev.event_name}{', a deny rule' if ev.rule_action == 'deny' else ''} at "
        f"{format_time(ev)} from {ev.source_ip or 'unknown address'}), "
        "and is not in approved_principals",
        {"baseline": baseline.path, "approved_principals": list(globs)},
    )  # fmt: skip


def event_drift(
    events: Iterable[ChangeEvent], baseline: Baseline, assets: Sequence[Asset] = ()
) -> list[Finding]:
    """Findings for change events judged against ``baseline`` (see the module docstring).

    Failed and dry-run calls changed nothing: they only count for ``unapproved-principal``."""
    index: dict[str, Asset] = {}
    for a in assets:
        for key in (a.resource_id, a.resource_id.lower(), a.name):
            if key:
                index.setdefault(key, a)
    out: list[Finding] = []
    for ev in events:
        asset = event_asset(ev, index)
        if ev.success:
            f = _unexpected(ev, asset, baseline)
            if f is not None:
                out.append(f)
            out.extend(_revoked(ev, asset, baseline))
        p = _principal(ev, asset, baseline)
        if p is not None:
            out.append(p)
    return out


def _finding_space(f: Finding) -> Space | None:
    if not f.peers:
        return None
    try:
        protos = parse_protocol(f.protocol) if f.protocol else ALL_PROTOCOLS
        ports: Intervals = parse_ports(f.ports) if f.ports else ALL_PORTS
    except CloudfwError:
        return None
    try:
        peers = AddressSet.parse_many(list(f.peers))
    except CloudfwError:
        peers = peer_set(f.peers)
    return Space((Box(protos, ports, peers, ANY),))


def _overlap(a: Space, b: Space) -> bool:
    return any(x.intersect(y) is not None for x in a.boxes for y in b.boxes)


def _names(asset: Asset) -> set[str]:
    """What a finding and an event may both call a resource: its id or its name, any case."""
    return {asset.resource_id.lower(), asset.name.lower()} - {""}


def _related(f: Finding, fspace: Space | None, ev: ChangeEvent, space: Space | None) -> bool:
    """Same resource (the caller looked the event up by name) and provider, same direction,
    overlapping ports and peers."""
    return (
        ev.provider == f.asset.provider
        and (not f.direction or not ev.direction or f.direction == ev.direction)
        and (fspace is None or space is None or _overlap(fspace, space))
    )


def attach_events(findings: Sequence[Finding], events: Iterable[ChangeEvent]) -> list[Finding]:
    """Each finding, with ``evidence["change"]`` set to the latest successful change that
    opened its rule (same resource, same direction, overlapping ports and peers), and
    ``evidence["changes"]`` counting every such change. Findings without one are unchanged."""
    by_name: dict[str, list[tuple[int, ChangeEvent, Space | None]]] = {}
    opening = (e for e in events if e.success and e.action in OPENING)
    for i, ev in enumerate(opening):  # indexed once: findings x events would be quadratic
        item = (i, ev, event_space(ev))
        for name in _names(event_asset(ev)):
            by_name.setdefault(name, []).append(item)
    out: list[Finding] = []
    for f in findings:
        fspace = _finding_space(f)
        candidates = {i: (ev, sp) for n in _names(f.asset) for i, ev, sp in by_name.get(n, ())}
        hits = [
            ev for _, (ev, space) in sorted(candidates.items()) if _related(f, fspace, ev, space)
        ]
        if not hits:
            out.append(f)
            continue
        latest = max(hits, key=lambda e: e.time)
        evidence = {**f.evidence, "change": _change(latest), "changes": len(hits)}
        out.append(dataclasses.replace(f, evidence=evidence))
    return out

"""Baseline files: load, validate and type a ``prod.yaml`` (format in DESIGN.md).

Validation runs in three passes, and the first problem found is a `PolicyError` whose text is
``file:line: field.path: message`` (one line, no traceback):

1. YAML syntax, duplicate keys, non-string keys (`cloudfw.policy.yamlsrc`);
2. structure against ``cloudfw/data/baseline.schema.json`` (unknown keys, wrong types, missing
   keys, bad enum values);
3. values: protocols, ports (0..65535), peers (CIDRs, ranges, ``kind:value`` symbols, ``*``),
   dates, severities, check ids (``known_checks`` is injected so ``policy`` never imports
   ``checks``), duplicate entry ids, and the per-check parameters through an optional injected
   ``validate_policy`` callable.

The drift semantics that use these types are documented in `cloudfw.baseline`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cloudfw.model import (
    ANY,
    Action,
    AddressSet,
    Box,
    CloudfwError,
    Direction,
    Intervals,
    ModelError,
    Severity,
)
from cloudfw.policy.config import EnumerationPolicy, PolicyConfig, PolicyError
from cloudfw.policy.portspec import parse_protocols, parse_spec_ports, ports_token, protocol_token
from cloudfw.policy.schema import validate_doc
from cloudfw.policy.yamlsrc import PathPart, YamlDoc, load_yaml, parse_path

DRIFT_SCOPES = ("public", "all")
_CHECK_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(\[[A-Za-z0-9_.:/-]+\])?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

PolicyValidator = Callable[[PolicyConfig], None]


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a baseline entry: a box (protocols x ports x peers) in one direction."""

    direction: Direction
    protocols: Intervals
    ports: Intervals
    peers: AddressSet
    action: Action = Action.ALLOW
    rule_id: str = ""
    line: int = 0

    def box(self) -> Box:
        return Box(self.protocols, self.ports, self.peers, ANY, self.rule_id)

    def label(self) -> str:
        side = "from" if self.direction is Direction.INGRESS else "to"
        return (
            f"{self.action} {self.direction} {protocol_token(self.protocols)}/"
            f"{ports_token(self.protocols, self.ports)} "
            f"{side} {self.peers}"
        )


@dataclass(frozen=True)
class Match:
    """Which rule sets an entry applies to. ``None`` means "any"; see `cloudfw.baseline`."""

    provider: str | None = None
    account: str | None = None
    region: str | None = None
    resource: str | None = None
    resource_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    hosts: str | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    match: Match
    rules: tuple[RuleSpec, ...]
    line: int = 0
    description: str = ""


@dataclass(frozen=True)
class ExceptionEntry:
    check: str
    resource: str
    reason: str
    expires: date
    ticket: str = ""
    owner: str = ""
    line: int = 0

    @property
    def label(self) -> str:
        return self.ticket or self.owner or self.reason


@dataclass(frozen=True)
class Baseline:
    path: str
    version: int = 1
    scope: Mapping[str, Any] = field(default_factory=dict)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    approved: tuple[Entry, ...] = ()
    required: tuple[Entry, ...] = ()
    exceptions: tuple[ExceptionEntry, ...] = ()
    approved_principals: tuple[str, ...] = ()
    drift_scope: str = "public"

    def where(self, line: int) -> str:
        return f"{self.path}:{line}"


def load_baseline(
    path: Path,
    known_checks: Collection[str],
    validate_policy: PolicyValidator | None = None,
) -> Baseline:
    """Read and validate a baseline file; raise `PolicyError` naming ``file:line`` and field."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PolicyError("not UTF-8 text", location=source) from None
    except OSError as exc:
        raise PolicyError(f"cannot read baseline: {exc.strerror or exc}", location=source) from None
    return parse_baseline(text, source, known_checks, validate_policy)


def parse_baseline(
    text: str,
    source: str,
    known_checks: Collection[str],
    validate_policy: PolicyValidator | None = None,
) -> Baseline:
    doc = load_yaml(text, source)
    if doc.data is None:
        raise PolicyError("empty baseline (expected a mapping with at least `version: 1`)",
                          location=f"{source}:1")  # fmt: skip
    validate_doc(doc, "baseline")
    d: Mapping[str, Any] = doc.data
    known = frozenset(known_checks)
    policy = _policy(doc, d.get("policy") or {}, known, validate_policy)
    approved = _entries(doc, "approved", d.get("approved") or [])
    required = _entries(doc, "required", d.get("required") or [])
    _unique_ids(doc, approved, required)
    exceptions = tuple(
        _exception(doc, i, e, known) for i, e in enumerate(d.get("exceptions") or [])
    )
    return Baseline(
        path=source,
        version=int(d["version"]),
        scope=dict(d.get("scope") or {}),
        policy=policy,
        approved=approved,
        required=required,
        exceptions=exceptions,
        approved_principals=tuple(d.get("approved_principals") or ()),
        drift_scope=str(d.get("drift_scope", "public")),
    )


def _check_known(doc: YamlDoc, path: list[PathPart], check: str, known: frozenset[str]) -> None:
    if not _CHECK_RE.match(check):
        raise doc.error(path, f"{check!r} is not a check id (like internet-ingress[ssh])")
    base = check.split("[", 1)[0]
    if check not in known and base not in known:
        names = ", ".join(sorted({k.split("[", 1)[0] for k in known}))
        raise doc.error(path, f"unknown check {check!r} (known: {names})")


def _policy(
    doc: YamlDoc,
    raw: Mapping[str, Any],
    known: frozenset[str],
    validate_policy: PolicyValidator | None,
) -> PolicyConfig:
    fail_on = Severity.parse(str(raw.get("fail_on", "high")))
    checks: dict[str, Mapping[str, Any]] = {}
    for name, params in (raw.get("checks") or {}).items():
        p: list[PathPart] = ["policy", "checks", name]
        if "[" in name:
            raise doc.error(p, "use the base check id here (parameters go inside)", key=True)
        _check_known_key(doc, p, name, known)
        checks[name] = dict(params or {})
    config = PolicyConfig(
        fail_on=fail_on,
        checks=checks,
        internet_interfaces=_internet_ifaces(raw),
        enumeration=_enumeration(raw.get("enumeration") or {}),
    )
    if validate_policy is not None:
        try:
            validate_policy(config)
        except PolicyError as exc:
            fpath = _policy_field(exc.field)
            raise doc.error(fpath, exc.detail) from None
        except CloudfwError as exc:
            raise doc.error(["policy", "checks"], str(exc)) from None
    return config


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _enumeration(raw: Mapping[str, Any]) -> EnumerationPolicy:
    """``policy.enumeration`` (shape and ranges checked by the schema): durations like ``30m``."""
    d = EnumerationPolicy()

    def dur(key: str, default: timedelta) -> timedelta:
        v = raw.get(key)
        return default if v is None else timedelta(**{_UNITS[str(v)[-1]]: int(str(v)[:-1])})

    return EnumerationPolicy(
        window=dur("window", d.window),
        regions=int(raw.get("regions", d.regions)),
        accounts=int(raw.get("accounts", d.accounts)),
        denied=int(raw.get("denied", d.denied)),
        correlation=dur("correlation", d.correlation),
        offensive_agents=tuple(str(a) for a in raw.get("offensive_agents") or ()),
        scanner_agents=tuple(str(a) for a in raw.get("scanner_agents") or ()),
    )


def _internet_ifaces(raw: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``policy.hosts.internet_interfaces`` (shape checked by the schema): a list for every host
    or a mapping of host-name glob to list."""
    spec = (raw.get("hosts") or {}).get("internet_interfaces")
    if spec is None:
        return ()
    if isinstance(spec, list):
        return (("*", tuple(str(n) for n in spec)),)
    return tuple((str(g), tuple(str(n) for n in names or ())) for g, names in spec.items())


def _check_known_key(doc: YamlDoc, p: list[PathPart], name: str, known: frozenset[str]) -> None:
    try:
        _check_known(doc, p, name, known)
    except PolicyError as exc:
        raise doc.error(p, exc.detail, key=True) from None


def _policy_field(text: str) -> list[PathPart]:
    """Map a checks-layer field (``checks.x.y``, ``x.y``, ``policy.checks.x``) to a doc path."""
    parts = parse_path(text)
    if parts[:1] == ["policy"]:
        parts = parts[1:]
    if parts[:1] != ["checks"]:
        parts = ["checks", *parts]
    return ["policy", *parts]


def _entries(doc: YamlDoc, key: str, raw: list[Mapping[str, Any]]) -> tuple[Entry, ...]:
    out = []
    approved = key == "approved"
    shapes: dict[tuple[Any, ...], _Shape] = {}  # a large baseline repeats a few hundred shapes
    for i, e in enumerate(raw):
        path: list[PathPart] = [key, i]
        m = e["match"]
        match = Match(
            provider=m.get("provider"),
            account=m.get("account"),
            region=m.get("region"),
            resource=m.get("resource"),
            resource_type=m.get("resource_type"),
            tags=dict(m.get("tags") or {}),
            hosts=m.get("hosts"),
        )
        rules = []
        for j, r in enumerate(e["rules"]):
            shape_key = _shape_key(r)
            shape = shapes.get(shape_key)
            if shape is None:
                shape = shapes[shape_key] = _shape(doc, [*path, "rules", j], r, approved)
            line = doc.line_of(r, [*path, "rules", j])
            rules.append(RuleSpec(*shape, rule_id=r.get("rule_id", ""), line=line))
        out.append(Entry(e["id"], match, tuple(rules), doc.line_of(e, path),
                         e.get("description", "")))  # fmt: skip
    return tuple(out)


_Shape = tuple[Direction, Intervals, Intervals, AddressSet, Action]  # RuleSpec's first fields


def _shape_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    """The raw values a rule's shape (all of it but ``rule_id`` and line) is built from, so it
    is checked and built once per distinct text; with their types (``6`` and ``6.0`` read
    differently). The schema has made them hashable."""
    proto, ports, peers = r["protocol"], r.get("ports", "all"), r["peers"]
    peers_key = peers if isinstance(peers, str) else tuple(peers)
    return (r["direction"], r.get("action", "allow"), proto, type(proto), ports, type(ports),
            peers_key)  # fmt: skip


def _shape(doc: YamlDoc, path: list[PathPart], r: Mapping[str, Any], approved: bool) -> _Shape:
    """Check and build a rule's shape; every error names the rule's field at ``path``."""
    action = Action(r.get("action", "allow"))
    if approved and not action.permits:
        msg = (
            f"an approved rule opens traffic, so {action.value!r} makes no sense here "
            "(a deny that must exist belongs in `required`)"
        )
        raise doc.error([*path, "action"], msg)
    try:
        protocols = parse_protocols(r["protocol"])
    except ModelError as exc:
        raise doc.error([*path, "protocol"], str(exc)) from None
    try:
        ports = parse_spec_ports(r.get("ports", "all"), protocols)
    except ModelError as exc:
        raise doc.error([*path, "ports"], str(exc)) from None
    raw_peers = r["peers"]
    tokens = [raw_peers] if isinstance(raw_peers, str) else list(raw_peers)
    if not tokens:
        raise doc.error([*path, "peers"], "needs at least one peer (use '*' for any peer)")
    peers: AddressSet | None = None
    for k, tok in enumerate(tokens):
        ppath: list[PathPart] = [*path, "peers"] if isinstance(raw_peers, str) else [
            *path, "peers", k]  # fmt: skip
        try:
            one = AddressSet.parse(tok)
        except ModelError as exc:
            raise doc.error(ppath, str(exc)) from None
        peers = one if peers is None else peers | one
    assert peers is not None  # tokens is not empty
    return Direction(r["direction"]), protocols, ports, peers, action


def _unique_ids(doc: YamlDoc, *groups: tuple[Entry, ...]) -> None:
    seen: dict[str, int] = {}
    for key, group in zip(("approved", "required"), groups, strict=True):
        for i, e in enumerate(group):
            if e.id in seen:
                raise doc.error([key, i, "id"], f"duplicate entry id {e.id!r} "
                                f"(first at line {seen[e.id]})")  # fmt: skip
            seen[e.id] = e.line


def _exception(doc: YamlDoc, i: int, e: Mapping[str, Any], known: frozenset[str]) -> ExceptionEntry:
    path: list[PathPart] = ["exceptions", i]
    _check_known(doc, [*path, "check"], e["check"], known)
    raw = str(e["expires"])
    try:
        if not _DATE_RE.match(raw):
            raise ValueError(raw)
        expires = date.fromisoformat(raw)
    except ValueError:
        raise doc.error([*path, "expires"], f"expected a date YYYY-MM-DD, got {raw!r}") from None
    if not (e.get("ticket") or e.get("owner")):
        raise doc.error(path, "an exception needs an owner or a ticket (who answers for it)")
    return ExceptionEntry(
        check=e["check"],
        resource=e["resource"],
        reason=e["reason"],
        expires=expires,
        ticket=e.get("ticket", ""),
        owner=e.get("owner", ""),
        line=doc.line(path),
    )

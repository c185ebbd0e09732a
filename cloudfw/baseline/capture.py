"""``cloudfw baseline capture``: a baseline that approves what a snapshot shows today."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import yaml

from cloudfw.baseline.matching import glob_escape, opens_traffic
from cloudfw.model import Asset, RuleSet, Snapshot
from cloudfw.model.rule import Rule
from cloudfw.policy.config import PolicyConfig
from cloudfw.policy.portspec import ports_token, protocol_token

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class _Flow(dict[str, Any]):
    """A mapping dumped in flow style (one rule per line)."""


try:  # libyaml's emitter is much faster; the output is the same
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _Dumper(_BaseDumper):
    pass


def _flow(dumper: _BaseDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


_Dumper.add_representer(_Flow, _flow)


def _rule_spec(r: Rule) -> _Flow:
    spec = _Flow()
    if r.key:
        spec["rule_id"] = r.key
    spec["direction"] = r.direction.value
    spec["action"] = r.action.value
    spec["protocol"] = protocol_token(r.protocols)
    spec["ports"] = ports_token(r.protocols, r.ports)
    spec["peers"] = list(r.peers.to_tokens())
    return spec


def _spec_order(s: _Flow) -> tuple[str, ...]:
    first = "0" if s["direction"] == "ingress" else "1"
    rest = (s.get("rule_id", ""), s["action"], s["protocol"], s["ports"], repr(s["peers"]))
    return (first, *rest)


def _match(a: Asset) -> _Flow:
    m = _Flow()
    for key, value in (
        ("provider", a.provider),
        ("account", a.account),
        ("region", a.region),
        ("resource_type", a.resource_type),
        ("resource", glob_escape(a.resource_id)),
    ):
        if value:
            m[key] = value
    return m


def _slug(a: Asset) -> str:
    base = a.name or a.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.") or "ruleset"


def _scope(snapshot: Snapshot) -> dict[str, Any]:
    found: dict[tuple[str, str], set[str]] = {}

    def add(provider: str, kind: str, value: str) -> None:
        if value:
            found.setdefault((provider, kind), set()).add(value)

    for rs in snapshot.rulesets:
        a = rs.asset
        if a.provider == "aws":
            add("aws", "accounts", a.account)
            add("aws", "regions", a.region if _REGION.match(a.region) else "")
        elif a.provider == "azure":
            add("azure", "subscriptions", a.account)
        elif a.provider == "gcp":
            add("gcp", "projects", a.account)
    for c in snapshot.coverage:
        parts = [p for p in re.split(r"[/:]", c.scope) if p]
        if c.provider == "aws":
            for p in parts:
                add("aws", "accounts", p if _ACCOUNT.match(p) else "")
                add("aws", "regions", p if _REGION.match(p) else "")
        elif c.provider == "azure":
            for p in parts:
                add("azure", "subscriptions", p if _UUID.match(p) else "")
        elif c.provider == "gcp" and parts:
            add("gcp", "projects", parts[-1])
    scope: dict[str, Any] = {}
    for (provider, kind), values in sorted(found.items()):
        scope.setdefault(provider, {})[kind] = sorted(values)
    return scope


def _entries(snapshot: Snapshot) -> list[dict[str, Any]]:
    items: list[tuple[tuple[str, ...], RuleSet, list[_Flow]]] = []
    for rs in snapshot.rulesets:
        specs = [_rule_spec(r) for r in rs.rules if opens_traffic(r)]
        if not specs:
            continue
        specs.sort(key=_spec_order)
        a = rs.asset
        order = (a.provider, a.account, a.region, a.resource_type, a.resource_id, a.name,
                 repr(specs))  # fmt: skip
        items.append((order, rs, specs))
    items.sort(key=lambda t: t[0])
    used: set[str] = set()
    out: list[dict[str, Any]] = []
    for _, rs, specs in items:
        base = _slug(rs.asset)
        ident, n = base, 2
        while ident in used:
            ident, n = f"{base}-{n}", n + 1
        used.add(ident)
        out.append({"id": ident, "match": _match(rs.asset), "rules": specs})
    return out


def _dump(doc: dict[str, Any]) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=4096, allow_unicode=True)


def capture_baseline(snapshot: Snapshot, *, policy: PolicyConfig | None = None, today: date) -> str:
    """YAML text of a baseline approving every rule that opens traffic in ``snapshot``.

    Loaded back and diffed against the same snapshot it yields no drift finding, whatever the
    ``drift_scope``. Output is deterministic: independent of rule set and rule order.
    """
    policy = policy or PolicyConfig()
    pol: dict[str, Any] = {"fail_on": policy.fail_on.label}
    if policy.checks:
        pol["checks"] = {k: dict(v) for k, v in sorted(policy.checks.items())}
    entries = _entries(snapshot)
    nrules = sum(len(e["rules"]) for e in entries)
    head = [
        f"# cloudfw baseline captured on {today.isoformat()} from a snapshot collected at "
        f"{snapshot.collected_at.isoformat()}",
        f"# ({len(snapshot.rulesets)} rule sets; {len(entries)} entries approve {nrules} rules).",
        "# Every rule that opens traffic today is approved. From now on a rule that opens",
        "# anything else is `unexpectedly-authorized`, and a rule pinned by `rule_id` that",
        "# changed is `modified`. Review it and remove approvals for what should not be open.",
    ]
    missing = [c for c in snapshot.coverage if not c.ok]
    if missing:
        head.append("# WARNING: the snapshot is incomplete; these scopes could not be read:")
        head.extend(f"#   {c.provider} {c.scope}: {c.reason}" for c in missing)
    body = _dump({"version": 1, "scope": _scope(snapshot), "policy": pol})
    body += "# public: only rules open to public addresses drift; all: every allow rule\n"
    body += _dump({"drift_scope": "public"})
    body += _dump({"approved": entries}) if entries else "approved: []\n"
    example_day = (today + timedelta(days=90)).isoformat()
    tail = [
        "# Rules that must exist; their absence is `revoked`. For example:",
        "required:",
        "#  - id: edge-deny-ssh",
        "#    match: {provider: aws, resource: acl-0abc}",
        '#    rules: [{direction: ingress, action: deny, protocol: tcp, ports: "22",'
        ' peers: ["0.0.0.0/0"]}]',
        "# Suppress one finding until a date; an expired exception suppresses nothing.",
        "exceptions:",
        "#  - {check: internet-ingress[ssh], resource: sg-0bastion, reason: bastion host,",
        f"#     ticket: SEC-123, owner: netops, expires: {example_day}}}",
    ]
    return "\n".join(head) + "\n" + body + "\n".join(tail) + "\n"

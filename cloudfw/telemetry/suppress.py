"""Approved administration and telemetry tuning, read from the baseline YAML.

```yaml
telemetry:                      # (``approved_admin`` may also sit at the top level)
  window: 30                    # AN0464 respond window, seconds
  capture_allowlist: [tcpdump, "/opt/acme/bin/*"]   # added to the built-in list
  approved_admin:
    - id: ansible
      users: [svc_ansible, "deploy-*"]              # globs; any one must match
      parents: [ansible-playbook, "*/puppet"]       # parent program name or path globs
      hosts: ["web-*"]
      categories: [modify, enumerate]               # optional; default all
      reason: Ansible manages host firewalls (SEC-42)
```

An entry suppresses a detection when every field it names matches (a field it leaves out matches
anything); it must name at least one of users, parents, hosts. Globs are case-insensitive.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml

from cloudfw.policy.config import PolicyError
from cloudfw.policy.yamlsrc import load_yaml
from cloudfw.telemetry.cmdline import tool_name
from cloudfw.telemetry.detection import Detection
from cloudfw.telemetry.events import TelemetryError
from cloudfw.telemetry.rules import CATEGORIES


@dataclass(frozen=True, slots=True)
class Approval:
    id: str
    users: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    reason: str = ""

    def matches(self, det: Detection) -> bool:
        if self.categories and det.category not in self.categories:
            return False
        if self.users and not _any(self.users, (det.user,)):
            return False
        if self.parents and not _any(self.parents, (det.parent, tool_name(det.parent))):
            return False
        return not (self.hosts and not _any(self.hosts, (det.host,)))


def _any(globs: tuple[str, ...], values: tuple[str, ...]) -> bool:
    vals = [v.lower() for v in values if v]
    return any(fnmatch.fnmatchcase(v, g.lower()) for g in globs for v in vals)


@dataclass(frozen=True, slots=True)
class TelemetryPolicy:
    approvals: tuple[Approval, ...] = ()
    capture_allowlist: tuple[str, ...] = ()
    window: float | None = None

    def suppressed_by(self, det: Detection) -> str:
        for a in self.approvals:
            if a.matches(det):
                return a.id
        return ""


def _err(path: str, node: yaml.Node, field: str, msg: str) -> TelemetryError:
    return TelemetryError(f"{path}:{node.start_mark.line + 1}: {field}: {msg}")


def _mapping(path: str, node: yaml.Node, field: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, field, "expected a mapping")
    out: dict[str, yaml.Node] = {}
    for k, v in node.value:
        out[str(k.value)] = v
    return out


def _strings(path: str, node: yaml.Node, field: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        return (str(node.value),)
    if not isinstance(node, yaml.SequenceNode) or not all(
        isinstance(n, yaml.ScalarNode) for n in node.value
    ):
        raise _err(path, node, field, "expected a string or a list of strings")
    return tuple(str(n.value) for n in node.value)


def parse_policy(text: str, path: str = "<baseline>") -> TelemetryPolicy:
    try:
        root = load_yaml(text, path).root  # the baselines' own loader: located, no duplicate keys
    except PolicyError as exc:
        raise TelemetryError(str(exc)) from None
    if root is None:
        return TelemetryPolicy()
    top = _mapping(path, root, "(top level)")
    section = _mapping(path, top["telemetry"], "telemetry") if "telemetry" in top else {}
    approvals_node = section.get("approved_admin", top.get("approved_admin"))
    approvals: list[Approval] = []
    if approvals_node is not None:
        if not isinstance(approvals_node, yaml.SequenceNode):
            raise _err(path, approvals_node, "approved_admin", "expected a list")
        for i, item in enumerate(approvals_node.value):
            approvals.append(_approval(path, item, f"approved_admin[{i}]"))
    allow: tuple[str, ...] = ()
    if "capture_allowlist" in section:
        allow = _strings(path, section["capture_allowlist"], "telemetry.capture_allowlist")
    window = None
    if "window" in section:
        node = section["window"]
        try:
            window = float(node.value)
        except (TypeError, ValueError):
            raise _err(path, node, "telemetry.window", "expected seconds (a number)") from None
        if window < 0:
            raise _err(path, node, "telemetry.window", "must not be negative")
    return TelemetryPolicy(tuple(approvals), allow, window)


_FIELDS = ("id", "users", "parents", "hosts", "categories", "reason")


def _approval(path: str, node: yaml.Node, field: str) -> Approval:
    m = _mapping(path, node, field)
    for k, v in m.items():
        if k not in _FIELDS:
            raise _err(
                path, v, f"{field}.{k}", f"unknown field (expected one of {', '.join(_FIELDS)})"
            )
    lists = {k: _strings(path, m[k], f"{field}.{k}") if k in m else () for k in _FIELDS[1:5]}
    if not (lists["users"] or lists["parents"] or lists["hosts"]):
        raise _err(path, node, field, "name at least one of users, parents, hosts")
    for c in lists["categories"]:
        if c not in CATEGORIES:
            raise _err(
                path,
                m["categories"],
                f"{field}.categories",
                f"unknown category {c!r} (expected one of {', '.join(CATEGORIES)})",
            )
    ident = str(m["id"].value) if "id" in m else field
    reason = str(m["reason"].value) if "reason" in m else ""
    return Approval(ident, lists["users"], lists["parents"], lists["hosts"],
                    lists["categories"], reason)  # fmt: skip


def load_policy(path: Path) -> TelemetryPolicy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TelemetryError(f"{path}: cannot read baseline: {exc}") from None
    return parse_policy(text, str(path))

"""The sensitive-service catalog that drives the ``internet-ingress[<service>]`` check.

The catalog is data (``cloudfw/data/services.yaml``, also reachable as
``policies/catalog/services.yaml``): one entry per service with its protocol/port endpoints, an
optional severity override, aliases, and per-provider compliance ids. Example::

    version: 1
    services:
      ssh:
        title: Secure Shell
        ports: [tcp/22]
        compliance: {aws: ["CIS AWS v6.0 6.3"], gcp: ["CIS GCP 3.6"]}
      ldap:
        title: LDAP
        ports: [tcp/389, udp/389, tcp/636]
        aliases: [ldaps]

A port spec is ``<protocol>/<ports>`` where protocol is a name or IANA number (``tcp``, ``udp``,
``tcp+udp``) and ports a list or range (``1433-1434``, ``2483,2484``). Errors name the file, the
line and the dotted field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from cloudfw.model import Intervals, ModelError, Severity, parse_ports, parse_protocol
from cloudfw.model.ports import ports_label, protocol_label
from cloudfw.policy.config import PolicyError

CATALOG_VERSION = 1
_SERVICE_KEYS = frozenset({"title", "ports", "aliases", "severity", "compliance", "description"})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One protocol set with its ports (``tcp/1433-1434``)."""

    protocols: Intervals
    ports: Intervals

    def label(self) -> str:
        return f"{protocol_label(self.protocols)}/{ports_label(self.protocols, self.ports)}"


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    title: str
    endpoints: tuple[Endpoint, ...]
    aliases: tuple[str, ...] = ()
    severity: Severity | None = None
    compliance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""

    def label(self) -> str:
        return ", ".join(e.label() for e in self.endpoints)


@dataclass(frozen=True, slots=True)
class ServiceCatalog:
    services: Mapping[str, Service]
    source: str = ""

    def resolve(self, name: str) -> Service | None:
        """A service by name or alias (case-insensitive)."""
        key = name.strip().lower()
        svc = self.services.get(key)
        if svc is not None:
            return svc
        for s in self.services.values():
            if key in s.aliases:
                return s
        return None

    def names(self) -> tuple[str, ...]:
        return tuple(self.services)


# -- YAML with line numbers ---------------------------------------------------------------------


class _Node:
    """A plain value plus the 1-based line it came from."""

    __slots__ = ("key_line", "line", "value")

    def __init__(self, value: Any, line: int) -> None:
        self.value = value
        self.line = line
        self.key_line = line  # for a mapping value: the line of its key


def _convert(node: yaml.Node, loc: str, ctor: yaml.constructor.SafeConstructor) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for k, v in node.value:
            kline = k.start_mark.line + 1
            if not isinstance(k, yaml.ScalarNode):
                raise PolicyError("mapping keys must be strings", f"{loc}:{kline}")
            key = str(k.value)
            if key in out:
                raise PolicyError(f"duplicate key {key!r}", f"{loc}:{kline}")
            out[key] = _convert(v, loc, ctor)
            out[key].key_line = kline
        return _Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_convert(v, loc, ctor) for v in node.value], line)
    return _Node(ctor.construct_object(node, deep=True), line)


def _parse_yaml(text: str, loc: str) -> _Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{loc}:{mark.line + 1}" if mark is not None else loc
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"invalid YAML: {problem}", where) from None
    if root is None:
        raise PolicyError("empty catalog", loc)
    return _convert(root, loc, yaml.constructor.SafeConstructor())


# -- loading -------------------------------------------------------------------------------------


def _str_list(node: _Node, loc: str, fld: str) -> list[tuple[str, int]]:
    if isinstance(node.value, str):
        return [(node.value, node.line)]
    if not isinstance(node.value, list):
        raise PolicyError("expected a list of strings", f"{loc}:{node.line}", fld)
    out = []
    for i, item in enumerate(node.value):
        if not isinstance(item.value, str) or not item.value.strip():
            raise PolicyError("expected a non-empty string", f"{loc}:{item.line}", f"{fld}[{i}]")
        out.append((item.value.strip(), item.line))
    return out


def parse_endpoint(text: str) -> Endpoint:
    """``tcp/22``, ``udp/161-162``, ``tcp+udp/389`` -> Endpoint (raises ModelError)."""
    proto_s, sep, ports_s = text.partition("/")
    if not sep or not proto_s.strip() or not ports_s.strip():
        raise ModelError(f"bad port spec {text!r} (expected <protocol>/<ports>, e.g. tcp/22)")
    protocols = Intervals()
    for p in proto_s.split("+"):
        protocols = protocols | parse_protocol(p)
    return Endpoint(protocols, parse_ports(ports_s))


def _service(name: str, node: _Node, loc: str) -> Service:
    base = f"services.{name}"
    if not isinstance(node.value, dict):
        raise PolicyError("expected a mapping", f"{loc}:{node.key_line}", base)
    body: dict[str, _Node] = node.value
    for k, v in body.items():
        if k not in _SERVICE_KEYS:
            allowed = ", ".join(sorted(_SERVICE_KEYS))
            raise PolicyError(
                f"unknown field (allowed: {allowed})", f"{loc}:{v.line}", f"{base}.{k}"
            )
    if "ports" not in body:
        raise PolicyError("missing field", f"{loc}:{node.key_line}", f"{base}.ports")
    endpoints = []
    for i, (text, line) in enumerate(_str_list(body["ports"], loc, f"{base}.ports")):
        try:
            endpoints.append(parse_endpoint(text))
        except ModelError as exc:
            raise PolicyError(str(exc), f"{loc}:{line}", f"{base}.ports[{i}]") from None
    title = body["title"].value if "title" in body else name
    if not isinstance(title, str):
        raise PolicyError("expected a string", f"{loc}:{body['title'].line}", f"{base}.title")
    desc = body["description"].value if "description" in body else ""
    if not isinstance(desc, str):
        raise PolicyError(
            "expected a string", f"{loc}:{body['description'].line}", f"{base}.description"
        )
    severity: Severity | None = None
    if "severity" in body:
        sv = body["severity"]
        try:
            severity = Severity.parse(str(sv.value))
        except ModelError as exc:
            raise PolicyError(str(exc), f"{loc}:{sv.line}", f"{base}.severity") from None
    aliases: tuple[str, ...] = ()
    if "aliases" in body:
        aliases = tuple(a.lower() for a, _ in _str_list(body["aliases"], loc, f"{base}.aliases"))
    compliance: dict[str, tuple[str, ...]] = {}
    if "compliance" in body:
        cn = body["compliance"]
        if not isinstance(cn.value, dict):
            raise PolicyError(
                "expected a mapping provider -> ids", f"{loc}:{cn.line}", f"{base}.compliance"
            )
        for prov, ids in cn.value.items():
            fld = f"{base}.compliance.{prov}"
            compliance[prov] = tuple(s for s, _ in _str_list(ids, loc, fld))
    return Service(
        name=name,
        title=title,
        endpoints=tuple(endpoints),
        aliases=aliases,
        severity=severity,
        compliance=MappingProxyType(compliance),
        description=desc,
    )


def parse_catalog(text: str, loc: str) -> ServiceCatalog:
    """Parse catalog YAML text; ``loc`` names the file in errors."""
    root = _parse_yaml(text, loc)
    if not isinstance(root.value, dict):
        raise PolicyError("expected a mapping with 'version' and 'services'", f"{loc}:{root.line}")
    top: dict[str, _Node] = root.value
    for k, v in top.items():
        if k not in ("version", "services"):
            raise PolicyError("unknown field (allowed: services, version)", f"{loc}:{v.line}", k)
    ver = top.get("version")
    if ver is None or ver.value != CATALOG_VERSION or isinstance(ver.value, bool):
        line = ver.line if ver is not None else root.line
        raise PolicyError(f"expected version: {CATALOG_VERSION}", f"{loc}:{line}", "version")
    svcs = top.get("services")
    if svcs is None or not isinstance(svcs.value, dict) or not svcs.value:
        line = svcs.line if svcs is not None else root.line
        raise PolicyError("expected a non-empty mapping of services", f"{loc}:{line}", "services")
    services: dict[str, Service] = {}
    seen: dict[str, str] = {}
    for raw_name, node in svcs.value.items():
        name = raw_name.strip().lower()
        if not name or "[" in name or "]" in name:
            raise PolicyError("bad service name", f"{loc}:{node.line}", f"services.{raw_name}")
        svc = _service(name, node, loc)
        for n in (name, *svc.aliases):
            if n in seen:
                raise PolicyError(
                    f"name {n!r} is already used by service {seen[n]!r}",
                    f"{loc}:{node.key_line}",
                    f"services.{name}",
                )
            seen[n] = name
        services[name] = svc
    return ServiceCatalog(MappingProxyType(services), loc)


def load_catalog(path: Path | None = None) -> ServiceCatalog:
    """Load a catalog file; ``None`` loads the packaged default (``cloudfw/data/services.yaml``)."""
    if path is None:
        res = resources.files("cloudfw").joinpath("data/services.yaml")
        return parse_catalog(res.read_text(encoding="utf-8"), "cloudfw/data/services.yaml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read catalog: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise PolicyError("catalog is not UTF-8 text", str(path)) from None
    return parse_catalog(text, str(path))

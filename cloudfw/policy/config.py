"""The part of a baseline that tunes checks. Shared by `checks` and `baseline` (which never import
each other)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from cloudfw.model import CloudfwError, Severity


class PolicyError(CloudfwError):
    """A baseline/policy/catalog file that does not validate. ``location`` is ``file:line`` (or
    ``file``) and ``field`` the dotted path of the offending field, when known."""

    def __init__(self, message: str, location: str = "", field: str = "") -> None:
        where = ": ".join(p for p in (location, field) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.location = location
        self.field = field
        self.detail = message


@dataclass(frozen=True)
class PolicyConfig:
    """``checks`` maps a base check id (``internet-ingress``) to its raw parameters as written in
    the baseline's ``policy.checks``; ``{"enabled": false}`` turns a check off. The checks registry
    validates the parameters (so a typo is an error that names the field, not a silent default).

    ``internet_interfaces`` is ``policy.hosts.internet_interfaces``: (host-name glob, interface
    names) pairs, ``*`` for a plain list that applies to every host."""

    fail_on: Severity = Severity.HIGH
    checks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    internet_interfaces: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def internet_interfaces_for(self, host: str) -> tuple[str, ...] | None:
        """The interfaces the baseline says face the internet on ``host`` (None: it does not
        say; the first matching glob wins)."""
        for glob, names in self.internet_interfaces:
            if fnmatchcase(host, glob):
                return names
        return None

    def disabled(self) -> frozenset[str]:
        """Base check ids switched off with ``{enabled: false}``."""
        return frozenset(
            cid
            for cid, raw in self.checks.items()
            if isinstance(raw, Mapping) and raw.get("enabled") is False
        )

"""The part of a baseline that tunes checks. Shared by `checks` and `baseline` (which never import
each other)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
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
class EnumerationPolicy:
    """``policy.enumeration``: the thresholds of the ``firewall-enumeration`` detection.

    A principal's reads are judged in a sliding ``window``: reads in ``regions`` or more regions
    (or ``accounts`` or more accounts), or ``denied`` or more refused reads, within one window
    are a signal. ``correlation`` is how long after the reads a rule opened by the same
    principal is reported with them. ``offensive_agents`` / ``scanner_agents`` add
    (case-insensitive) user-agent substrings to the built-in lists."""

    window: timedelta = timedelta(hours=1)
    regions: int = 5
    accounts: int = 3
    denied: int = 5
    correlation: timedelta = timedelta(hours=24)
    offensive_agents: tuple[str, ...] = ()
    scanner_agents: tuple[str, ...] = ()


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
    enumeration: EnumerationPolicy = field(default_factory=EnumerationPolicy)

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

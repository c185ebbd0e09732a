"""Findings: what a check reports."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from cloudfw.model.asset import Asset
from cloudfw.model.errors import ModelError


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @staticmethod
    def parse(text: str) -> Severity:
        try:
            return Severity[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in Severity)
            raise ModelError(f"unknown severity {text!r} (expected one of: {names})") from None


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem on one asset.

    ``check`` is the full check id, parameter included (``internet-ingress[ssh]``). ``rule_keys``
    name the rules responsible. ``evidence`` is JSON-ready detail (attachments, baseline entry,
    change event...). ``suppressed_by`` names the baseline exception that mutes it, if any.
    """

    check: str
    severity: Severity
    asset: Asset
    message: str
    rule_keys: tuple[str, ...] = ()
    direction: str = ""
    protocol: str = ""
    ports: str = ""
    peers: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    compliance: tuple[str, ...] = ()
    risk: str = ""
    remediation: str = ""
    evidence: Mapping[str, object] = field(default_factory=dict)
    suppressed_by: str = ""

    @property
    def base_check(self) -> str:
        return self.check.split("[", 1)[0]

    @property
    def key(self) -> str:
        """Stable identity for suppression and scan-to-scan diffs."""
        parts = [self.check, self.asset.uid, ",".join(sorted(self.rule_keys)), self.direction]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]

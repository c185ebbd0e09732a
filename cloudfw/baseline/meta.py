"""Metadata of the three drift checks (ids never change once released)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cloudfw.model import Severity

TECHNIQUES = ("T1686.001", "T1562.007")


@dataclass(frozen=True)
class DriftCheck:
    id: str
    title: str
    severity: Severity
    risk: str
    remediation: str
    techniques: tuple[str, ...] = TECHNIQUES
    compliance: tuple[str, ...] = ()


UNEXPECTEDLY_AUTHORIZED = DriftCheck(
    id="unexpectedly-authorized",
    title="Rule not approved by the baseline",
    severity=Severity.HIGH,
    risk="Traffic is allowed that nobody approved: a new exposure, a mistake, or an attacker "
    "opening a path (ATT&CK T1686.001, was T1562.007).",
    remediation="Remove the rule, or approve it by adding an `approved` entry to the baseline "
    "(or an exception with an owner and an expiry date).",
    compliance=("NIST-800-53:CM-2", "NIST-800-53:SC-7"),
)
REVOKED = DriftCheck(
    id="revoked",
    title="Required rule is missing",
    severity=Severity.HIGH,
    risk="A rule the baseline requires (often an edge deny) is gone or no longer covers what it "
    "must, so protection the design relies on is missing.",
    remediation="Restore the rule from the baseline entry, or update the baseline through change "
    "control if the requirement no longer applies.",
    compliance=("NIST-800-53:CM-3", "NIST-800-53:SC-7"),
)
MODIFIED = DriftCheck(
    id="modified",
    title="Approved rule changed",
    severity=Severity.MEDIUM,
    risk="A rule the baseline pinned by id now allows more than was approved (wider ports, "
    "peers or protocols, another direction or action).",
    remediation="Revert the rule to the approved content, or re-approve the new content in the "
    "baseline through change control.",
    compliance=("NIST-800-53:CM-3",),
)

DRIFT_CHECKS: Mapping[str, DriftCheck] = MappingProxyType(
    {c.id: c for c in (UNEXPECTEDLY_AUTHORIZED, REVOKED, MODIFIED)}
)

"""Snapshots: everything one collection saw, plus what it could not see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cloudfw.model.ruleset import RuleSet


class CoverageStatus(StrEnum):
    OK = "ok"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Coverage:
    """One scope unit (account x region, subscription, project, host file) and how it went."""

    provider: str
    scope: str
    status: CoverageStatus
    reason: str = ""
    resources: int = 0

    @property
    def ok(self) -> bool:
        return self.status is CoverageStatus.OK


@dataclass(frozen=True, slots=True)
class Snapshot:
    rulesets: tuple[RuleSet, ...]
    coverage: tuple[Coverage, ...]
    collected_at: datetime
    tool_version: str
    warnings: tuple[str, ...] = ()
    digest_hint: str = ""  # set by readers that digested the canonical document already

    @property
    def complete(self) -> bool:
        return all(c.ok for c in self.coverage)

    def merge(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            self.rulesets + other.rulesets,
            self.coverage + other.coverage,
            max(self.collected_at, other.collected_at),
            self.tool_version,
            self.warnings + other.warnings,
        )

"""A detection: what ``cloudfw host detect`` reports, its JSON contract and its model Finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudfw.model import Asset, Finding, Severity, SourceRef

DETECTION_SCHEMA = "cloudfw.detection/1"


def iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ref_text(ref: SourceRef) -> str:
    """``file:line#record`` (the parts that are known)."""
    text = ref.location if ref.line is None else f"{ref.location}:{ref.line}"
    return text if ref.record is None else f"{text}#{ref.record}"


def source_dict(ref: SourceRef) -> dict[str, Any]:
    d: dict[str, Any] = {"file": ref.location, "line": ref.line}
    if ref.record is not None:
        d["record"] = ref.record
    return d


@dataclass(frozen=True, slots=True)
class Detection:
    """One suspicious act on one host.

    ``analytic`` is ``AN0408`` (macOS pf/ALF), ``AN0464`` (socket-filter trigger) or else the
    DS0018 data component; ``data_component`` is always the DS0018 (or DS0029) component.
    ``techniques`` lists ATT&CK v19 ids first, then legacy ids. ``cmdline`` is the whole process
    command line; ``command`` the simple command that matched after wrappers were peeled (``via``).
    """

    category: str
    severity: Severity
    analytic: str
    data_component: str
    techniques: tuple[str, ...]
    reason: str
    rule_id: str
    source: SourceRef
    platform: str = ""
    host: str = ""
    time: datetime | None = None
    pid: int | None = None
    ppid: int | None = None
    user: str = ""
    exe: str = ""
    parent: str = ""
    cmdline: str = ""
    command: str = ""
    via: tuple[str, ...] = ()
    evidence: tuple[Mapping[str, Any], ...] = ()
    suppressed_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema": DETECTION_SCHEMA,
            "category": self.category,
            "severity": self.severity.label,
            "analytic": self.analytic,
            "data_component": self.data_component,
            "techniques": list(self.techniques),
            "rule_id": self.rule_id,
            "reason": self.reason,
            "platform": self.platform,
            "host": self.host,
            "time": iso(self.time),
            "pid": self.pid,
            "ppid": self.ppid,
            "user": self.user,
            "exe": self.exe,
            "parent": self.parent,
            "cmdline": self.cmdline,
            "command": self.command,
            "via": list(self.via),
            "source": source_dict(self.source),
        }
        if self.evidence:
            d["evidence"] = [dict(e) for e in self.evidence]
        if self.suppressed_by:
            d["suppressed_by"] = self.suppressed_by
        return d

    def to_finding(self) -> Finding:
        """The same detection as a model Finding (check ``host-tamper[<category>]``)."""
        asset = Asset("host", "", "", "host", self.host or "unknown-host")
        return Finding(
            check=f"host-tamper[{self.category}]",
            severity=self.severity,
            asset=asset,
            message=f"{self.reason}: {self.command or self.cmdline}",
            rule_keys=(self.rule_id,),
            techniques=self.techniques,
            evidence=self.to_dict(),
            suppressed_by=self.suppressed_by,
        )

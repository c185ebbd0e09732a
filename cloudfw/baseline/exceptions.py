"""Baseline exceptions: suppress one finding until an expiry date (``today`` is injected)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from fnmatch import fnmatchcase

from cloudfw.model import Finding
from cloudfw.policy.baseline import Baseline, ExceptionEntry


def exception_matches(exc: ExceptionEntry, finding: Finding) -> bool:
    """Same check (base id ``internet-ingress`` or full ``internet-ingress[ssh]``), and the
    ``resource`` glob matches the finding's resource id or name."""
    if exc.check not in (finding.check, finding.base_check):
        return False
    a = finding.asset
    return fnmatchcase(a.resource_id, exc.resource) or bool(
        a.name and fnmatchcase(a.name, exc.resource)
    )


def _describe(exc: ExceptionEntry, baseline: Baseline) -> dict[str, object]:
    return {
        "location": baseline.where(exc.line),
        "check": exc.check,
        "resource": exc.resource,
        "reason": exc.reason,
        "ticket": exc.ticket,
        "owner": exc.owner,
        "expires": exc.expires.isoformat(),
    }


def apply_exceptions(
    findings: Sequence[Finding], baseline: Baseline, today: date
) -> tuple[list[Finding], list[Finding]]:
    """Split ``findings`` into (kept, suppressed).

    An exception is active through its ``expires`` day included. A suppressed finding carries
    ``suppressed_by`` and the exception in its evidence. An expired exception suppresses
    nothing: the kept finding's evidence names it and the day it expired.
    """
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        matching = [x for x in baseline.exceptions if exception_matches(x, f)]
        active = [x for x in matching if today <= x.expires]
        if active:
            x = active[0]
            by = f"{baseline.where(x.line)} ({x.label}, until {x.expires.isoformat()})"
            evidence = {**f.evidence, "exception": _describe(x, baseline)}
            suppressed.append(replace(f, suppressed_by=by, evidence=evidence))
        elif matching:
            x = max(matching, key=lambda e: e.expires)
            expired = {**_describe(x, baseline), "expired_after": x.expires.isoformat()}
            kept.append(replace(f, evidence={**f.evidence, "expired_exception": expired}))
        else:
            kept.append(f)
    return kept, suppressed

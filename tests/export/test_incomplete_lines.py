"""Incomplete scopes in human output: one line per reason, not one per scope (an import of an
organization-wide export can leave hundreds of projects incomplete for the same reason)."""

from __future__ import annotations

from cloudfw.export.cells import MAX_INCOMPLETE_LINES, incomplete_lines
from cloudfw.model import Coverage, CoverageStatus


def _cov(scope: str, reason: str) -> Coverage:
    return Coverage("gcp", scope, CoverageStatus.ERROR, reason)


def test_scopes_that_fail_for_one_reason_share_a_line() -> None:
    failed = [_cov(f"gcp:p{i}", "no instances list") for i in range(100)]
    failed.append(_cov("gcp:locked", "403 Forbidden"))
    failed.append(_cov("gcp:q", "no instances list"))
    assert incomplete_lines(failed) == [
        "gcp:p0 and 100 more scopes: no instances list",
        "gcp:locked: 403 Forbidden",
    ]
    assert incomplete_lines(failed[:2]) == ["gcp:p0 and 1 more scope: no instances list"]


def test_many_reasons_are_cut_and_counted() -> None:
    failed = [_cov(f"gcp:p{i}", f"reason {i}") for i in range(50)]
    lines = incomplete_lines(failed)
    assert len(lines) == MAX_INCOMPLETE_LINES
    assert lines[0] == "gcp:p0: reason 0"
    assert (
        lines[-1]
        == f"... and {50 - MAX_INCOMPLETE_LINES + 1} more reasons (every scope is in the coverage)"
    )

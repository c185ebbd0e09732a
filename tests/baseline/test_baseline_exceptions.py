"""Exceptions: active, expired (today injected), base vs full check id, resource glob."""

from __future__ import annotations

from datetime import date

from baseline_support import asset, load

from cloudfw.baseline import apply_exceptions
from cloudfw.model import Finding, Severity

TEXT = """\
version: 1
exceptions:
  - {check: internet-ingress, resource: "sg-0bas*", reason: bastion, ticket: SEC-1,
     expires: 2027-01-31}
  - {check: "allow-all[ingress]", resource: sg-0web, reason: demo, owner: web-team,
     expires: 2027-01-31}
  - {check: unlogged, resource: "legacy-*", reason: old vpc, ticket: SEC-3, expires: 2026-06-30}
  - {check: unlogged, resource: "legacy-*", reason: old vpc, ticket: SEC-2, expires: 2026-03-31}
"""


def finding(check: str, rid: str, name: str = "") -> Finding:
    return Finding(
        check=check,
        severity=Severity.HIGH,
        asset=asset(rid, name=name),
        message="m",
        rule_keys=("r",),
        evidence={"k": 1},
    )


def test_active_exception_suppresses_with_base_id() -> None:
    f = finding("internet-ingress[ssh]", "sg-0bastion")
    kept, suppressed = apply_exceptions([f], load(TEXT), date(2026, 12, 1))
    assert kept == []
    (s,) = suppressed
    assert s.suppressed_by == "prod.yaml:3 (SEC-1, until 2027-01-31)"
    assert s.evidence["k"] == 1
    assert s.evidence["exception"]["reason"] == "bastion"  # type: ignore[index]


def test_expiry_day_is_included_and_then_finding_returns() -> None:
    b = load(TEXT)
    f = finding("internet-ingress[rdp]", "sg-0bastion")
    kept, suppressed = apply_exceptions([f], b, date(2027, 1, 31))
    assert kept == [] and len(suppressed) == 1
    kept, suppressed = apply_exceptions([f], b, date(2027, 2, 1))
    assert suppressed == [] and kept[0].suppressed_by == ""
    expired = kept[0].evidence["expired_exception"]
    assert expired["expired_after"] == "2027-01-31"  # type: ignore[index]
    assert expired["location"] == "prod.yaml:3" and expired["ticket"] == "SEC-1"  # type: ignore[index]


def test_full_check_id_only_matches_that_parameter() -> None:
    b = load(TEXT)
    hit, miss = finding("allow-all[ingress]", "sg-0web"), finding("allow-all[egress]", "sg-0web")
    kept, suppressed = apply_exceptions([hit, miss], b, date(2026, 12, 1))
    assert [f.check for f in suppressed] == ["allow-all[ingress]"]
    assert [f.check for f in kept] == ["allow-all[egress]"]
    assert "expired_exception" not in kept[0].evidence


def test_resource_glob_matches_id_or_name_only() -> None:
    b = load(TEXT)
    by_name = finding("internet-ingress[ssh]", "sg-123", name="sg-0bastion-2")
    other = finding("internet-ingress[ssh]", "sg-0web")
    kept, suppressed = apply_exceptions([by_name, other], b, date(2026, 12, 1))
    assert suppressed[0].asset.resource_id == "sg-123" and kept == [other]


def test_latest_expired_exception_is_named() -> None:
    f = finding("unlogged", "legacy-vpc")
    kept, _ = apply_exceptions([f], load(TEXT), date(2026, 12, 1))
    assert kept[0].evidence["expired_exception"]["ticket"] == "SEC-3"  # type: ignore[index]
    _, suppressed = apply_exceptions([f], load(TEXT), date(2026, 4, 1))
    assert suppressed[0].suppressed_by.startswith("prod.yaml:7 (SEC-3")

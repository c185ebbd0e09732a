"""The pipeline honours `{enabled: false}` for every check, including the drift checks."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudfw.cli.runner import known_check_ids
from cloudfw.model import Asset, Coverage, CoverageStatus, EvalSemantics, RuleSet, Snapshot
from cloudfw.pipeline import AuditRequest, run_audit
from cloudfw.policy.baseline import parse_baseline
from cloudfw.policy.catalog import load_catalog

NOW = datetime(2026, 11, 22, tzinfo=UTC)
REQUIRED = """version: 1
policy: {checks: POLICY}
required:
  - id: must-deny-ssh
    match: {provider: aws, resource: acl-1}
    rules: [{direction: ingress, action: deny, protocol: tcp, ports: "22", peers: [0.0.0.0/0]}]
"""


def _checks(policy: str) -> set[str]:
    acl = RuleSet(
        Asset("aws", "1", "r", "network-acl", "acl-1"), EvalSemantics.FIRST_MATCH_BY_NUMBER
    )
    cov = (Coverage("aws", "aws:1:r", CoverageStatus.OK),)
    baseline = parse_baseline(REQUIRED.replace("POLICY", policy), "b.yaml", known_check_ids())
    req = AuditRequest(Snapshot((acl,), cov, NOW, "t"), baseline.policy, load_catalog(), NOW,
                       baseline)  # fmt: skip
    return {f.check for f in run_audit(req).findings}


def test_drift_checks_can_be_switched_off() -> None:
    assert "revoked" in _checks("{}")
    assert "revoked" not in _checks("{revoked: {enabled: false}}")

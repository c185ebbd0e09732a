"""A fixed Report (fixed clock) covering every exporter branch, and the golden-file helper."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cloudfw.model import Asset, Finding, Severity
from cloudfw.model.report import Report
from cloudfw.model.snapshot import Coverage, CoverageStatus

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EXPOSURE = ("T1686.001", "T1562.007")

SG = Asset("aws", "123456789012", "us-east-1", "security-group", "sg-0web", name="web",
           parent="vpc-1", tags=(("Role", "web"),))  # fmt: skip
NACL = Asset("aws", "123456789012", "us-east-1", "network-acl", "acl-0edge")
NSG = Asset("azure", "sub-1", "westeurope", "network-security-group",
            "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Network/"
            "networkSecurityGroups/nsg-app", name="nsg-app")  # fmt: skip
FW = Asset("gcp", "proj-1", "global", "firewall-rule", "allow-ssh", name="allow-ssh <x>")


def _f(check: str, sev: Severity, asset: Asset, rule: str, **kw: object) -> Finding:
    base = {
        "message": f"{check} on {asset.resource_id}",
        "rule_keys": (rule,) if rule else (),
        "direction": "ingress",
        "protocol": "tcp",
        "ports": "22",
        "peers": ("0.0.0.0/0",),
        "techniques": EXPOSURE,
        "risk": "Anyone on the internet can reach the service.",
        "remediation": "Restrict the source to known ranges.",
    }
    base.update(kw)
    return Finding(check, sev, asset, **base)  # type: ignore[arg-type]


def fixed_report() -> Report:
    findings = (
        _f("internet-ingress[ssh]", Severity.HIGH, SG, "sgr-1",
           compliance=("CIS AWS v6.0 6.2", "CIS AWS v6.0 6.3")),
        _f("internet-ingress[ssh]", Severity.HIGH, SG, "sgr-2", peers=("::/0",)),
        _f("allow-all", Severity.CRITICAL, NACL, "acl-0edge:ingress:100", protocol="all",
           ports="all", evidence={"attachments": [{"resource_id": "subnet-1"}]}),
        _f("internet-ingress[rdp]", Severity.HIGH, NSG, "rdp-any", ports="3389",
           message='RDP "open" | from <anywhere> & more'),
        _f("unexpectedly-authorized", Severity.HIGH, FW, "allow-ssh",
           compliance=("NIST-800-53:CM-2",)),
        _f("revoked", Severity.MEDIUM, NACL, "edge-deny-ssh", techniques=()),
        _f("modified", Severity.MEDIUM, SG, "sgr-3", ports="443"),
        _f("unlogged", Severity.MEDIUM, NSG, "", protocol="", ports="", peers=(),
           techniques=("T1562.008",), remediation=""),
        _f("shadowed-rule", Severity.LOW, NSG, "deny-old", techniques=(), risk=""),
    )  # fmt: skip
    suppressed = (
        _f("internet-ingress[ssh]", Severity.HIGH, FW, "allow-ssh", suppressed_by="bastion"),
    )
    coverage = (
        Coverage("aws", "aws:123456789012:us-east-1", CoverageStatus.OK, resources=2),
        Coverage("aws", "aws:123456789012:eu-west-1", CoverageStatus.ERROR,
                 reason="AccessDenied: ec2:DescribeSecurityGroups"),
        Coverage("azure", "azure:sub-1", CoverageStatus.OK, resources=1),
        Coverage("gcp", "gcp:proj-1", CoverageStatus.OK, resources=1),
    )  # fmt: skip
    return Report(
        findings=findings,
        coverage=coverage,
        generated_at=NOW,
        tool_version="0.0.0-test",
        snapshot_digest="d" * 64,
        baseline="prod.yaml",
        suppressed=suppressed,
        rulesets=4,
        rules=11,
    )


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/export/golden/NAME; CLOUDFW_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with CLOUDFW_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

"""A fixed Report (fixed clock) covering every exporter branch, and the golden-file helper."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cloudfw.model import AddressSet, Asset, Finding, Severity
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


SUB = "11111111-1111-4111-8111-111111111111"
ARM = f"/subscriptions/{SUB}/resourceGroups/rg-prod/providers/Microsoft.Network"


def minus(whole: str, *excluded: str) -> tuple[str, ...]:
    """``whole`` without ``excluded``, as the CIDR list the checks write."""
    return (AddressSet.parse(whole) - AddressSet.parse_many(excluded)).to_tokens()


#: "::/0 minus ::1" as the checks list it today: 128 CIDRs
ALL_V6_BUT_LOOPBACK = minus("::/0", "::1/128")


def wide_report() -> Report:
    """What made the demo's table ~280 columns and its HTML ~1900 px wide: complement peer sets
    listed CIDR by CIDR, ARM ids in messages and evidence, Azure subscription ids, long rule ids."""
    nsg = Asset("azure", SUB, "westeurope", "network-security-group",
                f"{ARM}/networkSecurityGroups/nsg-jumpbox", name="nsg-jumpbox")  # fmt: skip
    nic = f"{ARM}/networkInterfaces/nic-jump"
    v4_open = minus("0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16")
    alf = Asset("host", "mac-laptop-01", "", "alf", "mac-laptop-01:alf", name="alf")
    findings = (
        _f("internet-ingress[elasticsearch]", Severity.CRITICAL, nsg, "tcp-any-port-internet",
           ports="9200,9300", peers=(*v4_open, *ALL_V6_BUT_LOOPBACK),
           message=f"network-security-group {nsg.resource_id} (nsg-jumpbox) allows elasticsearch "
                   f"(tcp/9200,9300) from the internet ({', '.join(ALL_V6_BUT_LOOPBACK)}) via rule "
                   f"tcp-any-port-internet; 1 attachment, 1 with a public IP: {nic} (20.50.1.10).",
           evidence={"attachments": [{"resource_id": nic, "public_ips": [f"{ARM}/pip-jump"]}]}),
        _f("app-allowed", Severity.LOW, alf,
           "app:/Applications/Xcode.app/Contents/Developer/usr/bin/simctl", protocol="tcp,udp",
           ports="all", peers=("*",),
           message="mac-laptop-01:alf (alf): /Applications/Xcode.app/Contents/Developer/usr/bin/"
                   "simctl may accept incoming connections (tcp,udp/all)."),
        _f("unexpectedly-authorized", Severity.HIGH, nsg, "rdp-winrm-partners",
           protocol="0-5,7-16,18-255", ports="all", peers=ALL_V6_BUT_LOOPBACK),
    )  # fmt: skip
    return Report(
        findings=findings,
        coverage=(Coverage("azure", f"azure:{SUB}", CoverageStatus.OK, resources=1),),
        generated_at=NOW,
        tool_version="0.0.0-test",
        rulesets=2,
        rules=3,
    )

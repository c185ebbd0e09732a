"""The foundation checks, unchanged, on a snapshot collected from the stand-in."""

from __future__ import annotations

from cloudfw.checks import run_checks
from cloudfw.model import Finding
from cloudfw.policy.catalog import load_catalog
from cloudfw.policy.config import PolicyConfig
from cloudfw.providers.base import CollectOptions, NullProgress
from cloudfw.providers.gcp import collect
from cloudfw.standins.gce import GceStandin

Key = tuple[str, str, str, str, tuple[str, ...]]

D, P = "default", "prod-vpc"
EXPECTED: set[Key] = {
    # goto_next in prod-folder hands RDP down; the VPC default rule opens it
    ("internet-ingress[rdp]", "demo-proj", "global", D, ("default-allow-rdp",)),
    # target service account profile, global and us-central1 rule sets
    ("internet-ingress[postgres]", "demo-proj", "global", P, ("allow-postgres-db",)),
    ("internet-ingress[postgres]", "demo-proj", "us-central1", P, ("allow-postgres-db",)),
    # the regional policy applies in its region only
    ("internet-ingress[redis]", "demo-proj", "us-central1", P, ("prod-uc1-policy:1000",)),
    ("internet-ingress[snmp]", "second-proj", "global", D, ("allow-legacy#1",)),
    # logConfig false or absent: one finding per rule; policy rules by enableLogging
    ("unlogged", "demo-proj", "global", D, ("default-allow-icmp",)),
    ("unlogged", "demo-proj", "global", D, ("default-allow-internal#0",)),
    ("unlogged", "demo-proj", "global", D, ("default-allow-internal#1",)),
    ("unlogged", "demo-proj", "global", D, ("default-allow-internal#2",)),
    ("unlogged", "demo-proj", "global", D, ("default-allow-rdp",)),
    ("unlogged", "demo-proj", "global", D, ("default-allow-ssh",)),
    ("unlogged", "demo-proj", "global", P, ("prod-policy:1100",)),
    ("unlogged", "demo-proj", "global", P, ("allow-postgres-db",)),
    ("unlogged", "demo-proj", "us-central1", P, ("prod-policy:1100",)),
    ("unlogged", "demo-proj", "us-central1", P, ("prod-uc1-policy:1000",)),
    ("unlogged", "demo-proj", "us-central1", P, ("allow-postgres-db",)),
    ("unlogged", "second-proj", "global", D, ("allow-legacy#0",)),
    ("unlogged", "second-proj", "global", D, ("allow-legacy#1",)),
    ("redundant-rule", "demo-proj", "global", D, ("default-allow-internal#2",)),
}
# Not expected anywhere: the hierarchical deny removes SSH (v4), the tie removes SSH (v6), the
# network policy removes Elasticsearch, the folder removes WinRM, the disabled rule opens nothing.
ABSENT = ("internet-ingress[ssh]", "internet-ingress[elasticsearch]", "internet-ingress[winrm]",
          "allow-all")  # fmt: skip


def _key(f: Finding) -> Key:
    a = f.asset
    return (f.check, a.account, a.region, a.resource_id, f.rule_keys)


def test_run_checks_yields_the_expected_findings(standin: GceStandin) -> None:
    opts = CollectOptions(gcp_endpoint=standin.base_url)
    snap = collect(opts, NullProgress(), retry_initial=0.001)
    findings = run_checks(snap, PolicyConfig(), load_catalog())
    got = {_key(f) for f in findings if f.check not in ("shadowed-rule", "default-group-open")}
    assert got == EXPECTED
    assert not [f for f in findings if f.check in ABSENT]
    # both default networks are flagged (CIS GCP 3.1)
    dgo = {(f.asset.account, f.asset.resource_id) for f in findings
           if f.check == "default-group-open"}  # fmt: skip
    assert dgo == {("demo-proj", "default"), ("second-proj", "default")}
    shadowed = {(f.asset.region, f.asset.resource_id, f.rule_keys) for f in findings
                if f.check == "shadowed-rule"}  # fmt: skip
    assert {
        ("global", D, ("default-allow-ssh",)),  # org-baseline deny 22
        ("global", D, ("allow-winrm",)),  # prod-folder deny 5985-5986
        ("global", P, ("allow-elastic",)),  # prod-policy deny 9200 (BEFORE_CLASSIC)
        ("global", P, ("allow-ssh-v6",)),  # deny-ssh-v6 wins the tie
    } <= shadowed
    assert ("global", D, ("default-allow-rdp",)) not in shadowed, "goto_next passed 3389 down"
    assert not {k for k in shadowed if k[2][0].startswith("implied-")}, "builtins never reported"
    rdp = next(f for f in findings if f.check == "internet-ingress[rdp]")
    assert "CIS GCP 3.7" in rdp.compliance

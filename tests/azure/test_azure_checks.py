"""The foundation's checks, unchanged, on the collected Azure snapshot: exactly these findings."""

from __future__ import annotations

from azure_support import StartFn, run_collect

from cloudfw.checks import run_checks
from cloudfw.policy.catalog import load_catalog
from cloudfw.policy.config import PolicyConfig

# Every TCP service in the catalog: nsg-jumpbox opens all TCP ports ("*") to Internet.
JUMPBOX_SERVICES = [
    "cassandra", "docker", "elasticsearch", "etcd", "ftp", "kafka", "kerberos", "kibana",
    "kubelet", "ldap", "memcached", "mongodb", "mssql", "mysql", "nfs", "oracle", "postgres",
    "rdp", "redis", "rpcbind", "smb", "ssh", "telnet", "vnc", "winrm",
]  # fmt: skip

EXPECTED = sorted(
    [
        # `*` source to port 22 (nsg-web is on a subnet AND a NIC with a public IP)
        ("internet-ingress[ssh]", "nsg-web", ("allow-ssh-admin",)),
        # the DNAT rule publishes 10.0.3.10:3389 to any source
        ("internet-ingress[rdp]", "fp-prod", ("dnat-rcg/inbound-dnat/rdp-to-jump",)),
        # deny-all at 100 hides allow-any at 200: no exposure, only hygiene findings
        ("shadowed-rule", "nsg-legacy-shadow", ("allow-any",)),
        # flow log present but disabled; firewall with a metrics-only diagnostic setting;
        # the sandbox subscription has no flow logs at all
        ("unlogged", "nsg-legacy-shadow", ()),
        ("unlogged", "fw-hub", ()),
        ("unlogged", "nsg-ok", ()),
    ]
    + [
        (f"internet-ingress[{s}]", "nsg-jumpbox", ("tcp-any-port-internet",))
        for s in JUMPBOX_SERVICES
    ]
)


def test_run_checks_gives_exactly_the_expected_findings(standin: StartFn) -> None:
    _, url = standin()
    snap = run_collect(url)
    findings = run_checks(snap, PolicyConfig(), load_catalog())
    got = sorted((f.check, f.asset.name, f.rule_keys) for f in findings)
    assert got == EXPECTED


def test_azure_compliance_ids_come_from_check_metadata(standin: StartFn) -> None:
    _, url = standin()
    findings = run_checks(run_collect(url), PolicyConfig(), load_catalog())
    comp = {(f.check, f.asset.name): f.compliance for f in findings}
    assert "CIS Azure 7.2" in comp[("internet-ingress[ssh]", "nsg-web")]
    assert "CIS Azure 7.1" in comp[("internet-ingress[rdp]", "fp-prod")]
    assert "CIS Azure 7.5" in comp[("unlogged", "fw-hub")]
    assert all(f.asset.provider == "azure" for f in findings)

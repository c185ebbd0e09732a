"""internet-ingress findings graded by effective exposure (moto scenario, real checks)."""

from __future__ import annotations

import pytest
from exposure_support import Collected

from cloudfw.checks import run_checks
from cloudfw.exposure import build_paths, effective_exposure
from cloudfw.exposure.grade import grade_by_exposure, grade_findings
from cloudfw.model import Finding, Severity
from cloudfw.policy.catalog import ServiceCatalog, load_catalog
from cloudfw.policy.config import PolicyConfig


@pytest.fixture(scope="module")
def catalog() -> ServiceCatalog:
    return load_catalog(None)


@pytest.fixture(scope="module")
def graded(aws_collected: Collected, catalog: ServiceCatalog) -> dict[tuple[str, str], Finding]:
    snap = aws_collected.snapshot
    raw = run_checks(snap, PolicyConfig(), catalog)
    out = grade_by_exposure(raw, snap.rulesets, catalog)
    assert len(out) == len(raw)
    return {(aws_collected.name_of(f.asset.resource_id), f.check): f for f in out}


def test_reachable_is_critical(graded: dict[tuple[str, str], Finding]) -> None:
    f = graded[("exp-c-sg", "internet-ingress[ssh]")]
    assert f.severity is Severity.CRITICAL
    ev = f.evidence["effective_exposure"]
    assert isinstance(ev, dict) and ev["reachable"]
    assert "Effective exposure: reachable on eni-" in f.message


def test_nacl_deny_grades_medium_and_names_the_blocker(
    aws_collected: Collected, graded: dict[tuple[str, str], Finding]
) -> None:
    f = graded[("exp-a-sg", "internet-ingress[ssh]")]
    acl = aws_collected.ids["exp-deny-acl"]
    assert f.severity is Severity.MEDIUM
    assert f"blocked by subnet:network-acl {acl} rule {acl}:ingress:90" in f.message
    ev = f.evidence["effective_exposure"]
    assert isinstance(ev, dict) and ev["reachable"] == [] and ev["blocked_by"]


def test_return_path_grades_medium(graded: dict[tuple[str, str], Finding]) -> None:
    f = graded[("exp-b-sg", "internet-ingress[ssh]")]
    assert f.severity is Severity.MEDIUM
    assert "return path" in f.message


def test_no_public_address_grades_medium(
    aws_collected: Collected, graded: dict[tuple[str, str], Finding]
) -> None:
    f = graded[("exp-d-sg", "internet-ingress[ssh]")]
    assert f.severity is Severity.MEDIUM
    eni = aws_collected.ids["exp-d-eni"]
    assert f"{eni}: no public address" in f.message


def test_nacl_finding_graded_by_the_groups_behind_it(
    graded: dict[tuple[str, str], Finding],
) -> None:
    # exp-deny-acl allows everything but 22; exp-a-sg behind it opens only 22 and 443.
    rdp = graded[("exp-deny-acl", "internet-ingress[rdp]")]
    assert rdp.severity is Severity.MEDIUM and "no other layer allows it" in rdp.message
    assert all(
        f.severity <= Severity.MEDIUM for (name, _), f in graded.items() if name == "exp-deny-acl"
    )


def test_other_checks_and_unattached_sets_are_untouched(
    aws_collected: Collected, catalog: ServiceCatalog
) -> None:
    snap = aws_collected.snapshot
    raw = run_checks(snap, PolicyConfig(), catalog)
    graded = grade_findings(raw, [], catalog)  # no known path: nothing changes
    assert graded == raw
    results = effective_exposure(build_paths(snap.rulesets))
    regraded = grade_findings(raw, results, catalog)
    graded_checks = ("internet-ingress", "allow-all")
    assert [f for f in regraded if f.base_check not in graded_checks] == [
        f for f in raw if f.base_check not in graded_checks
    ]
    nacl_all = [f for f in regraded if f.check == "allow-all" and "network-acl" in f.asset.uid]
    assert any("Effective exposure" in f.message for f in nacl_all), "NACLs in front of ENIs"


def test_azure_subnet_deny_and_dnat(azure_collected: Collected, catalog: ServiceCatalog) -> None:
    snap = azure_collected.snapshot
    out = grade_by_exposure(run_checks(snap, PolicyConfig(), catalog), snap.rulesets, catalog)
    by = {(f.asset.resource_id.rsplit("/", 1)[-1], f.check): f for f in out}
    nic_ssh = by[("nsg-nic-open", "internet-ingress[ssh]")]
    assert nic_ssh.severity is Severity.MEDIUM
    assert "deny-ssh-subnet" in nic_ssh.message
    dnat_ssh = by[("fp-lab", "internet-ingress[ssh]")]
    assert dnat_ssh.severity is Severity.CRITICAL
    ev = dnat_ssh.evidence["effective_exposure"]
    assert isinstance(ev, dict)
    (hit,) = ev["reachable"]
    assert hit["public_ips"] == ["20.70.0.100"]


def test_gcp_graded_per_instance(gcp_collected: Collected, catalog: ServiceCatalog) -> None:
    snap = gcp_collected.snapshot
    out = grade_by_exposure(run_checks(snap, PolicyConfig(), catalog), snap.rulesets, catalog)
    rdp = [f for f in out if f.check == "internet-ingress[rdp]"]
    assert rdp and all(f.severity is Severity.CRITICAL for f in rdp)
    ev = rdp[0].evidence["effective_exposure"]
    assert isinstance(ev, dict)
    assert [h["asset"] for h in ev["reachable"]] == ["europe-west1-b/vm-win/nic0"]

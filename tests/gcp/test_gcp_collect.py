"""End to end: cloudfw's GCP collector, the real google-cloud-compute REST clients, the stand-in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cloudfw.model import CoverageStatus, Snapshot
from cloudfw.providers.base import CollectError, CollectOptions, NullProgress
from cloudfw.providers.gcp import collect
from cloudfw.standins.gce import GceStandin


def _collect(srv: GceStandin, *projects: str, workers: int = 4) -> Snapshot:
    opts = CollectOptions(projects=projects, gcp_endpoint=srv.base_url, workers=workers)
    return collect(opts, NullProgress(), retry_initial=0.001)


def _cov(snap: Snapshot) -> dict[str, tuple[CoverageStatus, str]]:
    return {c.scope: (c.status, c.reason) for c in snap.coverage}


def test_lists_projects_and_collects_every_network(standin: GceStandin) -> None:
    snap = _collect(standin)  # no --project: every project the credential can list
    assert _cov(snap) == {
        "gcp:demo-proj": (CoverageStatus.OK, ""),
        "gcp:second-proj": (CoverageStatus.OK, ""),
    }
    assert snap.complete
    uids = [rs.asset.uid for rs in snap.rulesets]
    assert uids == [
        "gcp:demo-proj:global:vpc-network:default",
        "gcp:demo-proj:global:vpc-network:prod-vpc",
        "gcp:demo-proj:us-central1:vpc-network:prod-vpc",
        "gcp:second-proj:global:vpc-network:default",
    ]
    # hierarchical policies were read once per ancestor, then cached across projects
    hier = [r for r in standin.requests if r.path.endswith("/locations/global/firewallPolicies")]
    assert sorted(r.query for r in hier) == [
        "parentId=folders%2F300000000001",
        "parentId=organizations%2F123456789012",
    ]


def test_paging_over_three_or_more_pages(standin: GceStandin) -> None:
    snap = _collect(standin, "demo-proj")
    fw = [r for r in standin.requests if r.path.endswith("/demo-proj/global/firewalls")]
    assert len(fw) >= 3  # 13 firewalls, page size 2 -> 7 pages
    assert [r.query for r in fw[:3]] == ["", "pageToken=p2", "pageToken=p4"]
    vpc_keys = {r.key for rs in snap.rulesets for r in rs.rules if r.origin
                and r.origin.location == "compute.firewalls"}  # fmt: skip
    assert len({k.split("#")[0] for k in vpc_keys}) == 13


def test_only_get_requests_reach_the_api(standin: GceStandin) -> None:
    _collect(standin, "demo-proj", "second-proj", "locked-proj", "broken-proj")
    assert standin.requests
    assert {r.method for r in standin.requests} == {"GET"}


def test_forbidden_project_is_an_error_in_coverage(standin: GceStandin) -> None:
    snap = _collect(standin, "second-proj", "locked-proj")
    cov = _cov(snap)
    assert cov["gcp:second-proj"][0] is CoverageStatus.OK
    status, reason = cov["gcp:locked-proj"]
    assert status is CoverageStatus.ERROR
    assert reason.startswith("firewalls.list: 403 ")
    assert "Required 'compute.firewalls.list' permission for 'projects/locked-proj'" in reason
    assert not snap.complete
    assert all(rs.asset.account == "second-proj" for rs in snap.rulesets)


def test_429_and_5xx_are_retried(standin: GceStandin) -> None:
    standin.add_fault("/demo-proj/global/firewalls", 429, 503)
    standin.add_fault("/demo-proj/global/networks", 500)
    standin.add_fault("/demo-proj/aggregated/subnetworks", 502, 429)
    standin.add_fault("/v3/projects/demo-proj", 503)
    snap = _collect(standin, "demo-proj")
    assert _cov(snap) == {"gcp:demo-proj": (CoverageStatus.OK, "")}
    fw = [r for r in standin.requests if r.path.endswith("/demo-proj/global/firewalls")]
    assert len(fw) == 7 + 2  # seven pages plus the two failed attempts
    assert len(snap.rulesets) == 3


def test_persistent_5xx_ends_in_a_coverage_error(standin: GceStandin) -> None:
    standin.add_fault("/second-proj/global/firewallPolicies", *([503] * 200))
    snap = collect(
        CollectOptions(projects=("second-proj",), gcp_endpoint=standin.base_url),
        NullProgress(),
        retry_initial=0.0005,
    )
    status, reason = _cov(snap)["gcp:second-proj"]
    assert status is CoverageStatus.ERROR
    assert reason.startswith("networkFirewallPolicies.list: ")


def test_malformed_json_is_a_per_resource_error(standin: GceStandin) -> None:
    snap = _collect(standin, "broken-proj")
    status, reason = _cov(snap)["gcp:broken-proj"]
    assert status is CoverageStatus.ERROR
    parts = reason.split("; ")
    assert parts[0].startswith("networkFirewallPolicies.list: malformed response on page 1")
    assert "firewall 'bad-cidr': sourceRanges[0]: bad CIDR or address '10.0.0.300/24'" in parts
    assert "firewall 'bad-port': allowed[0]: bad port '22-abc' in '22-abc'" in parts
    # the well-formed firewall is still collected
    (rs,) = snap.rulesets
    assert "allow-https" in {r.key for r in rs.rules}
    assert not {"bad-cidr", "bad-port"} & {r.key for r in rs.rules}


def test_garbled_page_mid_listing_is_reported(standin: GceStandin) -> None:
    standin.add_fault("/demo-proj/global/firewalls", 0)  # a 200 whose body is cut short
    snap = _collect(standin, "demo-proj")
    status, reason = _cov(snap)["gcp:demo-proj"]
    assert status is CoverageStatus.ERROR
    assert reason.startswith("firewalls.list: malformed response on page 1")
    assert snap.rulesets == ()  # without the firewall list no network can be judged


def test_token_is_sent_as_bearer(standin: GceStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFW_GCP_TOKEN", "ya29.test-token")
    monkeypatch.setenv("CLOUDFW_GCP_ENDPOINT", standin.base_url)
    snap = collect(CollectOptions(projects=("second-proj",)), NullProgress())
    assert snap.complete
    assert {r.auth_scheme for r in standin.requests} == {"Bearer"}
    assert len({r.auth_digest for r in standin.requests}) == 1


def test_anonymous_on_loopback_sends_no_authorization(standin: GceStandin) -> None:
    _collect(standin, "second-proj")
    assert {r.auth_scheme for r in standin.requests} == {""}


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("http://compute.example.com", "plain http is allowed only for loopback"),
        ("ftp://127.0.0.1:1", r"expected an http\(s\) base URL"),
        ("http://127.0.0.1:1/compute/v1", "without a path"),
    ],
)
def test_bad_endpoint_is_refused(endpoint: str, message: str) -> None:
    with pytest.raises(CollectError, match=message):
        collect(CollectOptions(projects=("p",), gcp_endpoint=endpoint), NullProgress())


def test_import_does_not_load_the_compute_sdk() -> None:
    code = (
        "import sys, cloudfw.providers.gcp, cloudfw.normalize.gcp, cloudfw.standins.gce\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('google.cloud', 'google.auth',"
        " 'google.api_core', 'google.protobuf')))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_policies_listed_without_rules_are_read_by_name(standin: GceStandin) -> None:
    full = _collect(standin, "demo-proj")
    standin.lists_omit_rules = True
    standin.requests.clear()
    again = _collect(standin, "demo-proj")
    assert again.complete
    assert again.rulesets == full.rulesets
    gets = sorted(r.path.rsplit("/", 2)[-2] + "/" + r.path.rsplit("/", 1)[-1]
                  for r in standin.requests if "/firewallPolicies/" in r.path)  # fmt: skip
    assert gets == [
        "firewallPolicies/811234567890123456",
        "firewallPolicies/822234567890123456",
        "firewallPolicies/prod-policy",
        "firewallPolicies/prod-uc1-policy",
    ]


def _under(srv: GceStandin, *parents: str, projects: tuple[str, ...] = ()) -> Snapshot:
    opts = CollectOptions(gcp_parents=parents, projects=projects, gcp_endpoint=srv.base_url)
    return collect(opts, NullProgress(), retry_initial=0.001)


def test_an_organization_walks_its_folders_and_a_folder_its_subtree(standin: GceStandin) -> None:
    """organizations/123456789012 holds second-proj and broken-proj directly and demo-proj in
    folders/300000000001 (v3 projects.list and folders.list, with the stand-in's paging)."""
    org = _under(standin, "organizations/123456789012")
    assert set(_cov(org)) == {"gcp:broken-proj", "gcp:demo-proj", "gcp:second-proj"}
    listed = [r for r in standin.requests if r.path in ("/v3/projects", "/v3/folders")]
    assert {r.path for r in listed} == {"/v3/projects", "/v3/folders"}
    folder = _under(standin, "folders/300000000001")
    assert set(_cov(folder)) == {"gcp:demo-proj"} and folder.complete
    narrowed = _under(standin, "organizations/123456789012", projects=("second-proj",))
    assert set(_cov(narrowed)) == {"gcp:second-proj"}, "--project narrows the organization"


def test_a_parent_that_cannot_be_walked_is_a_coverage_entry(standin: GceStandin) -> None:
    standin.forbidden.add("folders/300000000001")
    snap = _under(standin, "organizations/123456789012")
    status, reason = _cov(snap)["gcp:organizations/123456789012"]
    assert status is CoverageStatus.ERROR and "403" in reason and "folders.list" in reason
    assert not snap.complete


def test_cli_organization_and_folder_options(
    standin: GceStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cloudfw.cli.app import _register_all, app

    _register_all()
    monkeypatch.setenv("CLOUDFW_GCP_TOKEN", "ya29.test-token")
    out = tmp_path / "g.json"
    res = CliRunner().invoke(app, ["collect", "gcp", "--folder", "300000000001", "--gcp-endpoint",
                                   standin.base_url, "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.stderr
    scopes = [c["scope"] for c in json.loads(out.read_text())["coverage"]]
    assert scopes == ["gcp:demo-proj"]

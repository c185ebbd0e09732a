"""An import of exported files and a live collection of the same stand-in state give the same
findings: AWS CLI JSON vs moto, az CLI / Resource Graph vs the ARM stand-in, gcloud / Cloud Asset
Inventory vs the Compute stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from import_support import (
    FIXTURES,
    ROOT,
    assert_same,
    comparable,
    dump_aws_cli,
    findings,
    imported,
)

from cloudfw.model import CoverageStatus
from cloudfw.providers.aws import collect as aws_collect
from cloudfw.providers.azure import collect as azure_collect
from cloudfw.providers.base import CollectOptions, NullProgress
from cloudfw.providers.gcp import collect as gcp_collect
from cloudfw.standins import arm, gce, moto

REGIONS = ("us-east-1", "eu-west-1")
GCP = ROOT / "fixtures" / "gcp"
SUB = "11111111-1111-4111-8111-111111111111"
AZ_CLI = FIXTURES / "azure-cli"


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = moto.start()
    try:
        moto.seed(server.endpoint, ROOT / "moto_fixtures" / "scenarios")
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
def aws_live(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


def _ec2(endpoint: str, region: str) -> object:
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint)


def _aws_export(endpoint: str, root: Path, skip: tuple[str, ...] = ()) -> Path:
    for region in REGIONS:  # one directory per region, as an owner would hand them over
        dump_aws_cli(_ec2(endpoint, region), root / region, skip)
    return root


def test_aws_cli_export_audits_like_the_live_collection(aws_live: str, tmp_path: Path) -> None:
    live = aws_collect(CollectOptions(regions=REGIONS), NullProgress())
    export = _aws_export(aws_live, tmp_path / "export")
    snap = imported(*(export / r for r in REGIONS))
    assert findings(snap) == findings(live)
    assert len(findings(live)) > 10
    scopes = {c.scope: c for c in snap.coverage if not c.scope.startswith("file:")}
    assert set(scopes) == {c.scope for c in live.coverage}
    assert all(c.ok for c in scopes.values())
    files = {c.scope for c in snap.coverage if c.scope.startswith("file:")}
    assert len(files) == len(REGIONS) * 7


def test_aws_security_groups_alone_give_the_same_exposures(aws_live: str, tmp_path: Path) -> None:
    """Without describe-security-group-rules the rules come from IpPermissions: same findings
    but for the rule ids (and keys, which hash them), which only that call carries."""
    live = aws_collect(CollectOptions(regions=REGIONS), NullProgress())
    export = _aws_export(aws_live, tmp_path / "export", skip=("describe-security-group-rules",))
    snap = imported(*(export / r for r in REGIONS))
    ids = ("rule_id", "rule_ids", "key", "evidence", "message")
    got = sorted(map(repr, comparable(findings(snap), *ids)))
    want = sorted(map(repr, comparable(findings(live), *ids)))
    assert got == want


def test_aws_missing_calls_are_named_in_coverage(aws_live: str, tmp_path: Path) -> None:
    skip = ("describe-network-interfaces", "describe-flow-logs")
    export = _aws_export(aws_live, tmp_path / "export", skip=skip)
    snap = imported(*(export / r for r in REGIONS))
    bad = [c for c in snap.coverage if c.status is CoverageStatus.ERROR]
    assert {c.scope.rsplit(":", 1)[1] for c in bad} == set(REGIONS)
    for c in bad:
        assert "describe-network-interfaces" in c.reason and "exposure not graded" in c.reason
        assert "describe-flow-logs" in c.reason and "logging unknown" in c.reason
    assert not snap.complete


@pytest.fixture
def arm_url() -> Iterator[str]:
    srv, url = arm.start(ROOT / "fixtures" / "azure")
    try:
        yield url
    finally:
        arm.stop(srv)


def _azure_live(url: str) -> list[dict[str, object]]:
    opts = CollectOptions(azure_endpoint=url, subscriptions=(SUB,))
    snap = azure_collect(opts, NullProgress(), authentication_policy=arm.StaticBearerPolicy())
    assert snap.complete
    return findings(snap)


def test_az_cli_export_audits_like_the_live_collection(arm_url: str) -> None:
    live = _azure_live(arm_url)
    snap = imported(AZ_CLI)
    assert snap.complete, snap.coverage
    assert_same(findings(snap), live)
    assert len(live) >= 5


def test_resource_graph_result_audits_like_the_live_collection(arm_url: str) -> None:
    extra = sorted(AZ_CLI.glob("rule-collection-groups-*.json"))
    extra += sorted(AZ_CLI.glob("diagnostic-settings-*.json"))
    snap = imported(FIXTURES / "azure-resource-graph", *extra)
    assert snap.complete, snap.coverage
    assert findings(snap) == _azure_live(arm_url)


@pytest.fixture
def gce_url() -> Iterator[str]:
    srv, url = gce.start(GCP)
    try:
        yield url
    finally:
        srv.stop()


def _gcp_live(url: str) -> list[dict[str, object]]:
    opts = CollectOptions(projects=("demo-proj", "second-proj"), gcp_endpoint=url)
    snap = gcp_collect(opts, NullProgress(), retry_initial=0.001)
    assert snap.complete
    return findings(snap)


def test_gcloud_export_audits_like_the_live_collection(gce_url: str) -> None:
    snap = imported(
        GCP / "projects" / "demo-proj",
        GCP / "projects" / "second-proj",
        GCP / "hierarchical",
        GCP / "resourcemanager" / "folders.json",
    )
    live = _gcp_live(gce_url)
    assert_same(findings(snap), live)
    assert len(live) > 10


def test_asset_inventory_export_audits_like_the_live_collection(gce_url: str) -> None:
    snap = imported(FIXTURES / "gcp-asset-inventory" / "export.jsonl")
    assert_same(findings(snap), _gcp_live(gce_url))
    assert any("storage.googleapis.com/Bucket (1)" in w for w in snap.warnings)

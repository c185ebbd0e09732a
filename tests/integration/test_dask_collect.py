"""Azure subscriptions and GCP projects as executor units: the same audit in-process and on a
Dask LocalCluster (127.0.0.1) gives the same report byte for byte, for the multi-subscription
ARM stand-in (one readable, one denied, one with malformed resources) and the multi-project
Compute / Resource Manager stand-in (one project forbidden). The cluster's workers authenticate
from their own environment (``CLOUDFW_AZURE_TOKEN``; anonymous on a loopback GCP endpoint):
no credential is in a task."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from azure_support import BROKEN, DENIED, PROD
from azure_support import FIXTURES as AZURE_FIXTURES
from dask_support import local_cluster
from gcp_helpers import FIXTURES as GCP_FIXTURES
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.standins import arm, gce
from cloudfw.standins.arm import Faults

_register_all()
pytestmark = pytest.mark.slow
STAMP = re.compile(rb'"generated_at": "[^"]*"')


def _report(*args: str) -> tuple[int, bytes]:
    res = CliRunner().invoke(app, ["audit", "--format", "json", "--no-store", *args])
    assert isinstance(res.exception, SystemExit), res.exception
    out, n = STAMP.subn(b'"generated_at": "-"', res.stdout_bytes)
    assert n == 1, res.stderr
    return res.exit_code, out


@pytest.fixture(scope="module")
def endpoints() -> Iterator[tuple[str, str]]:
    azure_srv, azure_url = arm.start(AZURE_FIXTURES, faults=Faults())
    gcp_srv, gcp_url = gce.start(GCP_FIXTURES, forbidden={"locked-proj"})
    with pytest.MonkeyPatch.context() as mp:  # set before the cluster starts: its workers inherit
        mp.setenv("CLOUDFW_AZURE_TOKEN", "standin-token")
        mp.delenv("CLOUDFW_GCP_TOKEN", raising=False)
        try:
            yield azure_url, gcp_url
        finally:
            arm.stop(azure_srv)
            gcp_srv.stop()


def test_subscriptions_and_projects_on_a_cluster_give_the_in_process_report(
    endpoints: tuple[str, str],
) -> None:
    azure_url, gcp_url = endpoints
    azure = ("--provider", "azure", "--azure-endpoint", azure_url)
    projects = ("demo-proj", "second-proj", "locked-proj", "broken-proj")
    gcp = ("--provider", "gcp", "--gcp-endpoint", gcp_url, *(a for p in projects for a in
           ("--project", p)))  # fmt: skip
    here_a, here_g = _report(*azure), _report(*gcp)
    with local_cluster(threads=2) as cluster:
        dask = ("--dask", cluster.scheduler_address)
        there_a, there_g = _report(*azure, *dask), _report(*gcp, *dask)
    assert here_a[0] == there_a[0] == 3 and here_g[0] == there_g[0] == 3  # a denied scope each
    assert there_a[1] == here_a[1]
    assert there_g[1] == here_g[1]
    azure_scopes = [c["scope"] for c in json.loads(here_a[1])["coverage"]]
    assert azure_scopes == [f"azure:{PROD}", f"azure:{DENIED}", f"azure:{BROKEN}"]
    gcp_cov = {c["scope"]: c["status"] for c in json.loads(here_g[1])["coverage"]}
    assert list(gcp_cov) == [f"gcp:{p}" for p in projects]
    assert gcp_cov["gcp:locked-proj"] == "error" and gcp_cov["gcp:demo-proj"] == "ok"

"""Exposure test setup: the real collectors against the stand-ins, once per session.

* AWS: moto on 127.0.0.1 seeded from ``tests/exposure/scenarios`` (region us-west-2);
* Azure: the ARM stand-in serving ``tests/exposure/fixtures/azure`` (subscription 4444...);
* GCP: the Compute stand-in serving ``tests/exposure/fixtures/gcp`` (project exp-proj).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from exposure_support import AWS_REGION, AZ_SUB, GCP_PROJECT, HERE, Collected

from cloudfw.providers.base import CollectOptions, NullProgress


@pytest.fixture(scope="session")
def aws_collected() -> Iterator[Collected]:
    from cloudfw.providers.aws import collect
    from cloudfw.standins import moto

    server = moto.start()
    try:
        ids = moto.seed(server.endpoint, HERE / "scenarios")
        with pytest.MonkeyPatch.context() as mp:
            for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
                mp.delenv(var, raising=False)
            mp.setenv("AWS_ACCESS_KEY_ID", "testing")
            mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            mp.setenv("AWS_DEFAULT_REGION", AWS_REGION)
            mp.setenv("AWS_ENDPOINT_URL", server.endpoint)
            snap = collect(CollectOptions(regions=(AWS_REGION,), workers=1), NullProgress())
        yield Collected(snap, ids, server.endpoint)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def azure_collected() -> Collected:
    from cloudfw.providers.azure import collect
    from cloudfw.standins import arm

    srv, url = arm.start(HERE / "fixtures" / "azure")
    try:
        opts = CollectOptions(azure_endpoint=url, subscriptions=(AZ_SUB,))
        snap = collect(opts, NullProgress(), authentication_policy=arm.StaticBearerPolicy())
    finally:
        arm.stop(srv)
    return Collected(snap, {})


@pytest.fixture(scope="session")
def gcp_collected() -> Collected:
    from cloudfw.providers.gcp import collect
    from cloudfw.standins import gce

    srv, url = gce.start(HERE / "fixtures" / "gcp")
    try:
        opts = CollectOptions(gcp_endpoint=url, projects=(GCP_PROJECT,))
        snap = collect(opts, NullProgress(), retry_initial=0.01)
    finally:
        srv.stop()
    return Collected(snap, {})

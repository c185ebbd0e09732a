"""AWS test fixtures: one moto server per run, seeded once from moto_fixtures/scenarios."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_support import REGIONS, ROOT, SCENARIOS, Seeded

from cloudfw.standins import moto, nfw

__all__ = ["REGIONS", "ROOT", "SCENARIOS", "Seeded"]


@pytest.fixture(scope="session")
def seeded() -> Iterator[Seeded]:
    server = moto.start()
    firewalls: nfw.NfwStandin | None = None
    try:
        ids = moto.seed(server.endpoint, SCENARIOS)
        firewalls = nfw.NfwStandin(nfw.seed(server.endpoint, SCENARIOS, ids)).start()
        yield Seeded(server, ids, firewalls)
    finally:
        if firewalls is not None:
            firewalls.stop()
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, seeded: Seeded) -> Seeded:
    """Point botocore at moto (Network Firewall at its stand-in) through the standard env
    vars, with fake keys only."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_NETWORK_FIREWALL", seeded.firewalls.endpoint)
    return seeded

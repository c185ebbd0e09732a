"""GCP test fixtures: the Compute stand-in on 127.0.0.1 serving fixtures/gcp."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gcp_helpers import FIXTURES

from cloudfw.standins import gce


@pytest.fixture()
def standin() -> Iterator[gce.GceStandin]:
    srv, _url = gce.start(FIXTURES, forbidden={"locked-proj"})
    try:
        yield srv
    finally:
        srv.stop()

"""Azure test setup: start ARM stand-ins on 127.0.0.1 on demand; stop them after each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure_support import FIXTURES, StartFn

from cloudfw.standins import arm


@pytest.fixture
def standin() -> Iterator[StartFn]:
    """``standin(faults=..., page_size=...)`` -> (server, base_url)."""
    servers: list[arm.ArmServer] = []

    def start(**kw: Any) -> tuple[arm.ArmServer, str]:
        srv, url = arm.start(FIXTURES, **kw)
        servers.append(srv)
        return srv, url

    yield start
    for s in servers:
        arm.stop(s)

"""Shared fixture: the real `cloudfw host detect` command (helpers in telemetry_helpers)."""

from __future__ import annotations

import pytest
from telemetry_helpers import DetectCli, make_detect_cli


@pytest.fixture
def detect_cli() -> DetectCli:
    return make_detect_cli()

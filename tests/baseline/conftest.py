"""Baseline test fixtures (helpers live in baseline_support)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from baseline_support import KNOWN, asset, load, rule, ruleset, snapshot


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    return SimpleNamespace(
        rule=rule, asset=asset, ruleset=ruleset, snapshot=snapshot, load=load, KNOWN=KNOWN
    )

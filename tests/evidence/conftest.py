"""Keep every evidence test away from the real user data directory (and its scan history)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("CLOUDFW_STORE", raising=False)
    monkeypatch.delenv("CLOUDFW_KEY_PASSPHRASE", raising=False)
    return home

"""Keep every store test away from the real user data directory; the CLI the store tests run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("CLOUDFW_STORE", raising=False)
    return home


@pytest.fixture(scope="module")
def store_app() -> typer.Typer:
    from cloudfw.cli import events, history

    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """test root"""

    history.register(a)
    events.register(a)
    return a


@pytest.fixture
def cli(store_app: typer.Typer) -> Cli:
    """Run a command: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        res = CliRunner().invoke(store_app, list(args))
        return res.exit_code, res.stdout, res.stderr

    return run

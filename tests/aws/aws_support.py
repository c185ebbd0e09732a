"""Shared AWS test support (the conftest re-uses it; test modules import it by name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudfw.standins import moto, nfw

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "moto_fixtures" / "scenarios"
REGIONS = ("us-east-1", "eu-west-1")


@dataclass(frozen=True)
class Seeded:
    server: moto.MotoServer
    ids: dict[str, str]
    firewalls: nfw.NfwStandin

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def upstream(self) -> str:
        return self.endpoint.removeprefix("http://")

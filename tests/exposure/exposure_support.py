"""Shared exposure test support (the conftest re-uses it; test modules import it by name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudfw.model import Snapshot

HERE = Path(__file__).resolve().parent

AZ_SUB = "44444444-4444-4444-8444-444444444444"
GCP_PROJECT = "exp-proj"
AWS_REGION = "us-west-2"


@dataclass(frozen=True)
class Collected:
    snapshot: Snapshot
    ids: dict[str, str]  # logical name -> real id (AWS); empty elsewhere
    endpoint: str = ""  # the stand-in's URL while the session lasts (AWS)

    def name_of(self, real: str) -> str:
        inv = {v: k for k, v in self.ids.items()}
        return inv.get(real, real)

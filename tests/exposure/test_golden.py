"""The `cloudfw.exposure/1` document for the Azure and GCP stand-ins, against golden files.

Regenerate with ``CLOUDFW_UPDATE_GOLDEN=1 pytest tests/exposure/test_golden.py``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from exposure_support import Collected

from cloudfw.exposure import build_paths, effective_exposure
from cloudfw.exposure.report import JSON_SCHEMA, document

GOLDEN = Path(__file__).resolve().parent / "golden"
WHEN = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_document_matches_golden(
    cloud: str, azure_collected: Collected, gcp_collected: Collected
) -> None:
    snap = (azure_collected if cloud == "azure" else gcp_collected).snapshot
    doc = document(effective_exposure(build_paths(snap.rulesets)), snap.coverage, WHEN)
    jsonschema.validate(doc, JSON_SCHEMA)
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    path = GOLDEN / f"{cloud}-exposure.json"
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with CLOUDFW_UPDATE_GOLDEN=1"
    assert text == path.read_text()

"""Golden file: the fixture projects normalized to rule sets (CLOUDFW_UPDATE_GOLDEN=1 to accept)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gcp_helpers import DEMO_ANCESTRY, ORG, project_input

from cloudfw.model.serde import ruleset_to_dict
from cloudfw.normalize.gcp import normalize_project

GOLDEN = Path(__file__).parent / "golden" / "normalized.json"


def test_golden_normalized_projects() -> None:
    doc = {}
    for project, ancestry in (("demo-proj", DEMO_ANCESTRY), ("second-proj", (ORG,)),
                              ("broken-proj", (ORG,))):  # fmt: skip
        res = normalize_project(project_input(project, ancestry))
        doc[project] = {
            "rulesets": [ruleset_to_dict(rs) for rs in res.rulesets],
            "errors": list(res.errors),
            "resources": res.resources,
        }
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), (
        "normalized output changed; CLOUDFW_UPDATE_GOLDEN=1 to accept"
    )

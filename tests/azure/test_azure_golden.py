"""Golden: fixture subscriptions normalized to rule sets (CLOUDFW_UPDATE_GOLDEN=1 to accept)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from azure_support import BROKEN, PROD, subscription_data

from cloudfw.model.serde import ruleset_to_dict
from cloudfw.normalize.azure import normalize_subscription

GOLDEN = Path(__file__).parent / "golden" / "normalized.json"


def test_golden_normalized_subscriptions() -> None:
    doc = {}
    for sub in (PROD, BROKEN):
        res = normalize_subscription(subscription_data(sub))
        doc[sub] = {
            "rulesets": [ruleset_to_dict(rs) for rs in res.rulesets],
            "errors": [str(e) for e in res.errors],
        }
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), (
        "normalized output changed; CLOUDFW_UPDATE_GOLDEN=1 to accept"
    )

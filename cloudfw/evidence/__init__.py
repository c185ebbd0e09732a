"""Evidence bundles: what changed in a time window, in files an auditor can verify.

``export`` writes changes.csv / changes.jsonl / raw-records.jsonl (redacted), the findings and
baseline that were used, and manifest.json with the SHA-256 of every file. ``verify`` detects any
added, removed or edited file.
"""

from cloudfw.evidence.export import BundleWriter, EvidenceError
from cloudfw.evidence.redact import redact
from cloudfw.evidence.verify import Discrepancy, verify_bundle

__all__ = ["BundleWriter", "Discrepancy", "EvidenceError", "redact", "verify_bundle"]

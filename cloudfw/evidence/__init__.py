"""Evidence bundles: what changed in a time window, in files an auditor can verify.

``export`` writes changes.csv / changes.jsonl / raw-records.jsonl (redacted), the findings and
baseline that were used, the review summary (review-summary.json / .html: scans, findings opened
and resolved, changes with their approval status) and manifest.json with the SHA-256 of every
file, optionally signed (manifest.json.sig, an SSH signature). ``verify`` detects any added,
removed or edited file, and checks the signature against trusted public keys.
"""

from cloudfw.evidence.export import BundleWriter
from cloudfw.evidence.manifest import EvidenceError
from cloudfw.evidence.redact import redact
from cloudfw.evidence.verify import Discrepancy, verify_bundle

__all__ = ["BundleWriter", "Discrepancy", "EvidenceError", "redact", "verify_bundle"]

"""Check an evidence bundle against its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cloudfw.evidence.export import EvidenceError
from cloudfw.evidence.manifest import MANIFEST, SELF_DIGEST, bundle_files, self_digest, sha256_file


@dataclass(frozen=True, slots=True)
class Discrepancy:
    path: str
    kind: str  # added | removed | edited | manifest-edited

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"


def load_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        raise EvidenceError(f"{root}: not an evidence bundle (no {MANIFEST})")
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise EvidenceError(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise EvidenceError(f"{path}: files: missing or not an object")
    return doc


def verify_bundle(root: Path) -> list[Discrepancy]:
    """Every difference between the directory and its manifest; empty when intact.

    The manifest's own digest catches edits to the manifest that were not recomputed; a forger
    who recomputes it can only be caught by signing or storing the digest elsewhere (the CLI
    prints it for that purpose)."""
    manifest = load_manifest(root)
    listed: dict[str, Any] = manifest["files"]
    out: list[Discrepancy] = []
    if manifest.get(SELF_DIGEST) != self_digest(manifest):
        out.append(Discrepancy(MANIFEST, "manifest-edited"))
    present = set(bundle_files(root))
    for rel in sorted(present | set(listed)):
        if rel not in listed:
            out.append(Discrepancy(rel, "added"))
        elif rel not in present:
            out.append(Discrepancy(rel, "removed"))
        else:
            entry = listed[rel]
            want = entry.get("sha256") if isinstance(entry, dict) else None
            if want != sha256_file(root / rel):
                out.append(Discrepancy(rel, "edited"))
    return out

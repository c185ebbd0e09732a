"""The bundle manifest: SHA-256 of every file, plus a digest of the manifest itself."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from cloudfw.model import CloudfwError

MANIFEST = "manifest.json"
SCHEMA = "cloudfw.evidence/1"
SELF_DIGEST = "manifest_sha256"
#: an SSH signature (SSHSIG, namespace ``cloudfw-evidence``) of the manifest's exact bytes; the
#: name ``ssh-keygen -Y sign -n cloudfw-evidence -f KEY manifest.json`` gives it
SIGNATURE = "manifest.json.sig"
NOT_LISTED = frozenset({MANIFEST, SIGNATURE})


class EvidenceError(CloudfwError):
    """A bundle that cannot be written or read (not empty, no manifest, bad manifest)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bundle_files(root: Path) -> Iterator[str]:
    """Every file under ``root`` except the manifest and its signature, as sorted POSIX
    relative paths."""
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if (p.is_file() or p.is_symlink()) and rel not in NOT_LISTED:
            yield rel


def self_digest(manifest: Mapping[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != SELF_DIGEST}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()

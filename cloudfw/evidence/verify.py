"""Check an evidence bundle against its manifest, and the manifest against its signature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from cloudfw.evidence.keys import TrustedKeys
from cloudfw.evidence.manifest import (
    MANIFEST,
    SELF_DIGEST,
    SIGNATURE,
    EvidenceError,
    bundle_files,
    self_digest,
    sha256_file,
)
from cloudfw.evidence.sshsig import NAMESPACE, SignatureFormatError, check, key_type, parse


@dataclass(frozen=True, slots=True)
class Discrepancy:
    path: str
    #: added | removed | edited | manifest-edited | unsigned | bad-signature | wrong-namespace |
    #: untrusted-key | key-not-allowed | signature-mismatch
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed a bundle whose signature checked out."""

    fingerprint: str
    key_type: str
    principals: str  # from allowed_signers; "" for a plain public key file
    where: str  # the trusted key's file:line


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
    who recomputes it is caught only by `verify_signature` (or a digest kept elsewhere)."""
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


def signature_key(root: Path) -> str | None:
    """The fingerprint of the key the bundle claims to be signed by (unchecked), if signed."""
    path = root / SIGNATURE
    if not path.is_file():
        return None
    try:
        return parse(path.read_bytes()).fingerprint
    except SignatureFormatError:
        return "unreadable signature"


def verify_signature(
    root: Path, trusted: TrustedKeys, now: datetime
) -> tuple[Signer | None, Discrepancy | None]:
    """Check ``manifest.json.sig`` over the exact bytes of ``manifest.json`` against the trusted
    keys: the signer when it holds, else the one discrepancy that says what is wrong."""
    load_manifest(root)
    path = root / SIGNATURE
    if not path.is_file():
        return None, Discrepancy(SIGNATURE, "unsigned", "the bundle has no signature")
    try:
        sig = parse(path.read_bytes())
    except SignatureFormatError as exc:
        return None, Discrepancy(SIGNATURE, "bad-signature", str(exc))
    if sig.namespace != NAMESPACE:
        want = f"signed for {sig.namespace!r}, expected {NAMESPACE!r}"
        return None, Discrepancy(SIGNATURE, "wrong-namespace", want)
    kind = key_type(sig.public_key)
    matches = [k for k in trusted.keys if k.blob == sig.public_key]
    if not matches:
        who = f"signed by {kind} {sig.fingerprint}, not a trusted key"
        return None, Discrepancy(SIGNATURE, "untrusted-key", who)
    allowed = [k for k in matches if k.refusal(now) is None]
    if not allowed:
        reasons = "; ".join(r for k in matches if (r := k.refusal(now)))
        return None, Discrepancy(SIGNATURE, "key-not-allowed", f"{sig.fingerprint}: {reasons}")
    try:
        valid = check(sig, (root / MANIFEST).read_bytes())
    except SignatureFormatError as exc:
        return None, Discrepancy(SIGNATURE, "bad-signature", str(exc))
    if not valid:
        return None, Discrepancy(
            SIGNATURE,
            "signature-mismatch",
            f"the signature by {sig.fingerprint} does not match {MANIFEST}: "
            "the manifest was changed after it was signed",
        )
    k = allowed[0]
    return Signer(sig.fingerprint, kind, k.principals, k.where), None

"""Signed bundles under attack: every kind of tampering is detected and named, and exit 1.

The attacker can edit any file of the bundle and rewrite the manifest consistently (digests and
self digest recomputed); only the signing key is out of reach."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from evidence_helpers import export, keygen, needs_ssh_keygen, ssh_key, ssh_sign, verify

from cloudfw.evidence import sshsig
from cloudfw.evidence.manifest import self_digest


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path]:
    """(bundle, public key): a bundle signed by a cloudfw key."""
    key = keygen(tmp_path / "key", "--comment", "secops CI")
    bundle = tmp_path / "q4"
    err = export(bundle, "--sign", str(key))
    assert "signed" in err
    return bundle, key.with_name("key.pub")


def _rewrite_manifest(bundle: Path) -> None:
    """What a careful forger does after editing files: recompute every digest in the manifest."""
    m = json.loads((bundle / "manifest.json").read_text())
    for name, entry in m["files"].items():
        data = (bundle / name).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    m["manifest_sha256"] = self_digest(m)
    (bundle / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")


def _flip_byte(path: Path, at: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_signed_bundle_verifies_with_only_the_public_key(signed: tuple[Path, Path]) -> None:
    bundle, pub = signed
    code, err = verify(bundle, "--pubkey", str(pub))
    assert code == 0, err
    fp = sshsig.parse((bundle / "manifest.json.sig").read_bytes()).fingerprint
    assert f"signed by ssh-ed25519 {fp} (trusted: {pub}:1)" in err


@pytest.mark.parametrize(
    "name",
    ["changes.jsonl", "changes.csv", "raw-records.jsonl", "review-summary.json",
     "review-summary.html"],
)  # fmt: skip
def test_one_flipped_byte_in_any_file(signed: tuple[Path, Path], name: str) -> None:
    bundle, pub = signed
    _flip_byte(bundle / name)
    code, err = verify(bundle, "--pubkey", str(pub))
    assert code == 1
    assert err.splitlines() == [f"cloudfw: evidence: {bundle / name}: edited"]


TAMPER: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "file added": (lambda b: (b / "notes.txt").write_text("x"), ["notes.txt: added"]),
    "file added in a folder": (
        lambda b: ((b / "extra").mkdir(), (b / "extra" / "a.json").write_text("{}")),
        ["extra/a.json: added"],
    ),
    "file removed": (lambda b: (b / "changes.csv").unlink(), ["changes.csv: removed"]),
    "manifest edited": (
        lambda b: (b / "manifest.json").write_text(
            (b / "manifest.json").read_text().replace('"complete": true', '"complete": false')
        ),
        ["manifest.json.sig: signature-mismatch", "manifest.json: manifest-edited"],
    ),
    "file edited, manifest rewritten": (
        lambda b: ((b / "changes.csv").write_text("provider\n"), _rewrite_manifest(b)),
        ["manifest.json.sig: signature-mismatch"],
    ),
    "file removed, manifest rewritten": (
        lambda b: ((b / "raw-records.jsonl").unlink(), _drop_from_manifest(b, "raw-records.jsonl")),
        ["manifest.json.sig: signature-mismatch"],
    ),
    "signature removed": (
        lambda b: (b / "manifest.json.sig").unlink(),
        ["manifest.json.sig: unsigned: the bundle has no signature"],
    ),
    "signature garbled": (
        lambda b: (b / "manifest.json.sig").write_text("-----BEGIN SSH SIGNATURE-----\nAAAA\n"),
        ["manifest.json.sig: bad-signature: not an SSH signature (no -----BEGIN"],
    ),
}


def _drop_from_manifest(bundle: Path, name: str) -> None:
    m = json.loads((bundle / "manifest.json").read_text())
    del m["files"][name]
    (bundle / "manifest.json").write_text(json.dumps(m))
    _rewrite_manifest(bundle)


@pytest.mark.parametrize("case", list(TAMPER))
def test_tampering_is_named(signed: tuple[Path, Path], case: str) -> None:
    bundle, pub = signed
    act, wanted = TAMPER[case]
    act(bundle)
    code, err = verify(bundle, "--pubkey", str(pub))
    assert code == 1, err
    lines = err.splitlines()
    assert len(lines) == len(wanted), err
    for line, want in zip(lines, wanted, strict=True):
        assert line.startswith(f"cloudfw: evidence: {bundle / want.split(':')[0]}:"), line
        assert want in line, line


def test_without_a_key_a_rewritten_manifest_passes_and_says_so(signed: tuple[Path, Path]) -> None:
    """The manifest alone proves nothing about origin: that is what the signature is for."""
    bundle, pub = signed
    (bundle / "changes.csv").write_text("provider\n")
    _rewrite_manifest(bundle)
    code, err = verify(bundle)
    assert code == 0 and "intact" in err and "not checked: pass --pubkey" in err
    assert verify(bundle, "--pubkey", str(pub))[0] == 1


def test_a_signature_from_another_key(signed: tuple[Path, Path]) -> None:
    """The forger rewrites the manifest and signs it with a key of their own."""
    bundle, pub = signed
    (bundle / "changes.csv").write_text("provider\n")
    _rewrite_manifest(bundle)
    theirs = ed25519.Ed25519PrivateKey.generate()
    (bundle / "manifest.json.sig").write_text(
        sshsig.sign(theirs, (bundle / "manifest.json").read_bytes())
    )
    code, err = verify(bundle, "--pubkey", str(pub))
    fp = sshsig.fingerprint(sshsig.key_blob(theirs.public_key()))
    assert code == 1
    want = f"untrusted-key: signed by ssh-ed25519 {fp}, not a trusted key"
    assert err.splitlines() == [f"cloudfw: evidence: {bundle / 'manifest.json.sig'}: {want}"]


def test_a_signature_replayed_from_another_bundle(
    signed: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, pub = signed
    other = tmp_path / "other"
    export(other, "--sign", str(tmp_path / "key"))
    (bundle / "manifest.json.sig").write_bytes((other / "manifest.json.sig").read_bytes())
    code, err = verify(bundle, "--pubkey", str(pub))
    assert code == 1 and "signature-mismatch" in err and "changed after it was signed" in err


def test_an_unsigned_bundle_fails_when_a_key_is_required(tmp_path: Path) -> None:
    pub = keygen(tmp_path / "key").with_name("key.pub")
    export(tmp_path / "b")
    assert verify(tmp_path / "b")[0] == 0  # no key asked for: the manifest check alone
    code, err = verify(tmp_path / "b", "--pubkey", str(pub))
    assert code == 1 and err.splitlines() == [
        f"cloudfw: evidence: {tmp_path / 'b' / 'manifest.json.sig'}: unsigned: "
        "the bundle has no signature"
    ]


def _ssh_signed(tmp_path: Path, signer_line: str) -> tuple[Path, Path, Path]:
    """(bundle, key, allowed_signers): a bundle signed by `ssh-keygen -Y sign` with a key of its
    own, and an allowed_signers file whose one line is ``signer_line`` + that public key."""
    key = ssh_key(tmp_path / "id_ed25519")
    bundle = tmp_path / "b"
    export(bundle)
    ssh_sign(key, bundle / "manifest.json")
    kind, b64 = key.with_suffix(".pub").read_text().split()[:2]
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"{signer_line} {kind} {b64}\n")
    return bundle, key, allowed


@needs_ssh_keygen
def test_a_bundle_signed_with_ssh_keygen_and_allowed_signers(tmp_path: Path) -> None:
    """Teams sign with keys they hold: `ssh-keygen -Y sign -n cloudfw-evidence`."""
    bundle, key, allowed = _ssh_signed(
        tmp_path, 'auditor@example.com namespaces="cloudfw-evidence"'
    )
    code, err = verify(bundle, "--pubkey", str(allowed))
    assert code == 0, err
    assert "signed by auditor@example.com ssh-ed25519 SHA256:" in err
    # ... and a signature made for another namespace is not accepted as evidence
    (bundle / "manifest.json.sig").unlink()
    ssh_sign(key, bundle / "manifest.json", namespace="git")
    code, err = verify(bundle, "--pubkey", str(key.with_suffix(".pub")))
    assert code == 1
    assert "wrong-namespace: signed for 'git', expected 'cloudfw-evidence'" in err


@needs_ssh_keygen
def test_an_allowed_signer_outside_its_validity_is_refused(tmp_path: Path) -> None:
    bundle, _, allowed = _ssh_signed(tmp_path, 'left@example.com valid-before="20200101"')
    code, err = verify(bundle, "--pubkey", str(allowed))
    assert code == 1 and "key-not-allowed: SHA256:" in err and "expired at 2020-01-01" in err

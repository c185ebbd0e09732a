"""The SSHSIG format against OpenSSH's own ssh-keygen: what cloudfw signs ssh-keygen verifies,
what ssh-keygen signs (Ed25519, RSA, ECDSA) cloudfw verifies, and malformed blobs are named."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from evidence_helpers import needs_ssh_keygen, ssh_key, ssh_keygen, ssh_sign

from cloudfw.evidence import sshsig
from cloudfw.evidence.keys import load_signing_key, load_trusted

MESSAGE = b'{"schema": "cloudfw.evidence/1"}\n'


def _armor(blob: bytes) -> bytes:
    return (f"{sshsig.BEGIN}\n{base64.b64encode(blob).decode()}\n{sshsig.END}\n").encode()


def _s(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


@needs_ssh_keygen
def test_cloudfw_signature_verifies_with_ssh_keygen(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    msg = tmp_path / "manifest.json"
    msg.write_bytes(MESSAGE)
    sig = tmp_path / "manifest.json.sig"
    sig.write_text(sshsig.sign(key, MESSAGE))
    pub = sshsig.key_blob(key.public_key())
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"ci@example.com ssh-ed25519 {base64.b64encode(pub).decode()}\n")
    args = ("-Y", "verify", "-f", str(allowed), "-I", "ci@example.com", "-n", "cloudfw-evidence",
            "-s", str(sig))  # fmt: skip
    res = ssh_keygen(*args, stdin=MESSAGE)
    assert res.returncode == 0, res.stderr
    assert b'Good "cloudfw-evidence" signature for ci@example.com' in res.stdout
    # the same signature over one changed byte is rejected by ssh-keygen too
    assert ssh_keygen(*args, stdin=MESSAGE.replace(b"1", b"2")).returncode != 0


@needs_ssh_keygen
@pytest.mark.parametrize(
    ("kind", "extra", "algorithm"),
    [("ed25519", (), "ssh-ed25519"), ("rsa", ("-b", "2048"), "rsa-sha2-512"),
     ("ecdsa", ("-b", "256"), "ecdsa-sha2-nistp256"),
     ("ecdsa", ("-b", "384"), "ecdsa-sha2-nistp384")],
)  # fmt: skip
def test_ssh_keygen_signatures_verify(
    tmp_path: Path, kind: str, extra: tuple[str, ...], algorithm: str
) -> None:
    key = ssh_key(tmp_path / f"id_{kind}", kind, *extra)
    msg = tmp_path / "manifest.json"
    msg.write_bytes(MESSAGE)
    sig = sshsig.parse(ssh_sign(key, msg).read_bytes())
    assert sig.namespace == "cloudfw-evidence" and sig.sig_algorithm == algorithm
    assert sig.hash_algorithm == "sha512"
    trusted = load_trusted(key.with_suffix(".pub"))
    assert [k.blob for k in trusted.keys] == [sig.public_key]
    assert sshsig.check(sig, MESSAGE)
    assert not sshsig.check(sig, MESSAGE + b" ")
    # the fingerprint is the one ssh-keygen -l prints
    listed = ssh_keygen("-l", "-E", "sha256", "-f", str(key.with_suffix(".pub"))).stdout.decode()
    assert sig.fingerprint == listed.split()[1]


@needs_ssh_keygen
def test_a_cloudfw_key_signs_with_ssh_keygen(tmp_path: Path) -> None:
    """`cloudfw evidence keygen` writes a key that ssh-keygen reads and signs with."""
    from evidence_helpers import keygen

    key = keygen(tmp_path / "k")
    derived = ssh_keygen("-y", "-f", str(key)).stdout.split()[:2]
    assert derived == (tmp_path / "k.pub").read_bytes().split()[:2]
    msg = tmp_path / "m"
    msg.write_bytes(MESSAGE)
    sig = sshsig.parse(ssh_sign(key, msg).read_bytes())
    assert sig.public_key == sshsig.key_blob(load_signing_key(key).public_key())
    assert sshsig.check(sig, MESSAGE)


def test_round_trip_and_what_is_signed() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    sig = sshsig.parse(sshsig.sign(key, MESSAGE).encode())
    assert sshsig.check(sig, MESSAGE)
    assert not sshsig.check(sig, MESSAGE[:-1])
    # the namespace is part of what is signed: the same bytes relabelled do not verify
    forged = sshsig.SshSignature(sig.public_key, "git", sig.reserved, sig.hash_algorithm,
                                 sig.sig_algorithm, sig.signature)  # fmt: skip
    assert not sshsig.check(forged, MESSAGE)


def _blob(version: int = 1, hash_alg: bytes = b"sha512", magic: bytes = b"SSHSIG") -> bytes:
    key = ed25519.Ed25519PrivateKey.generate()
    inner = _s(b"ssh-ed25519") + _s(b"\0" * 64)
    return (magic + struct.pack(">I", version) + _s(sshsig.key_blob(key.public_key()))
            + _s(b"cloudfw-evidence") + _s(b"") + _s(hash_alg) + _s(inner))  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe", "not ASCII"),
        (b"hello", "no -----BEGIN SSH SIGNATURE----- ... -----END SSH SIGNATURE----- armor"),
        (f"{sshsig.BEGIN}\n!!!!\n{sshsig.END}".encode(), "bad base64"),
        (_armor(_blob(magic=b"SSHSIX")), "no SSHSIG magic"),
        (_armor(_blob(version=2)), "version 2 is newer than supported"),
        (_armor(_blob(hash_alg=b"md5")), "unsupported hash algorithm 'md5'"),
        (_armor(_blob()[:40]), "truncated at"),
    ],
)
def test_malformed_signatures_are_named(data: bytes, message: str) -> None:
    with pytest.raises(sshsig.SignatureFormatError, match=message.replace(".", r"\.")):
        sshsig.parse(data)

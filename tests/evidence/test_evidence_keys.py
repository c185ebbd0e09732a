"""`cloudfw evidence keygen` and reading keys: file modes, formats, refusals, allowed_signers."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from events_helpers import run_cli
from evidence_helpers import keygen

from cloudfw.evidence.keys import KeyFileError, load_signing_key, load_trusted
from cloudfw.evidence.sshsig import key_blob

NOW = datetime(2026, 11, 10, tzinfo=UTC)


@pytest.mark.parametrize(("fmt", "header"), [("openssh", b"-----BEGIN OPENSSH PRIVATE KEY-----"),
                                             ("pem", b"-----BEGIN PRIVATE KEY-----")])  # fmt: skip
def test_keygen_writes_a_0600_private_key_and_never_prints_it(
    tmp_path: Path, fmt: str, header: bytes
) -> None:
    path = tmp_path / "keys" / "evidence"
    code, out, err = run_cli("evidence", "keygen", "--out", str(path), "--format", fmt,
                             "--comment", "secops CI")  # fmt: skip
    assert code == 0, err
    secret = path.read_bytes()
    assert secret.startswith(header)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = b"".join(secret.splitlines()[1:-1]).decode()
    assert body not in out + err and body[:20] not in out + err
    key = load_signing_key(path)
    trusted = load_trusted(path.with_name("evidence.pub"))
    assert [k.blob for k in trusted.keys] == [key_blob(key.public_key())]
    assert trusted.keys[0].fingerprint in err
    if fmt == "openssh":
        assert path.with_name("evidence.pub").read_text().endswith(" secops CI\n")


def test_keygen_never_overwrites(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    before = key.read_bytes()
    code, _, err = run_cli("evidence", "keygen", "--out", str(key))
    assert code == 2 and "exists; refusing to overwrite" in err
    assert key.read_bytes() == before
    (tmp_path / "j.pub").write_text("someone else's\n")
    code, _, err = run_cli("evidence", "keygen", "--out", str(tmp_path / "j"))
    assert code == 2 and "j.pub: exists" in err and not (tmp_path / "j").exists()


def test_encrypted_pem_key_needs_the_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFW_KEY_PASSPHRASE", "correct horse")
    key = keygen(tmp_path / "k.pem", "--format", "pem")
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert isinstance(load_signing_key(key, b"correct horse"), ed25519.Ed25519PrivateKey)
    with pytest.raises(KeyFileError, match="encrypted: set CLOUDFW_KEY_PASSPHRASE"):
        load_signing_key(key)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(key, b"wrong")


def test_signing_keys_that_are_refused(tmp_path: Path) -> None:
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    with pytest.raises(KeyFileError, match="RSAPrivateKey key; cloudfw signs with Ed25519"):
        load_signing_key(rsa_key)
    pub = keygen(tmp_path / "k").with_name("k.pub")
    with pytest.raises(KeyFileError, match=r"not a private key file .*\(that is a public key\)"):
        load_signing_key(pub)
    with pytest.raises(KeyFileError, match="a private key; pass its public key"):
        load_trusted(tmp_path / "k")


def _line(key: ed25519.Ed25519PrivateKey) -> str:
    return "ssh-ed25519 " + base64.b64encode(key_blob(key.public_key())).decode()


def test_allowed_signers_principals_options_and_notes(tmp_path: Path) -> None:
    a, b, c, d = (ed25519.Ed25519PrivateKey.generate() for _ in range(4))
    path = tmp_path / "allowed_signers"
    path.write_text(
        "# team signers\n\n"
        f"ci@example.com,ops@example.com {_line(a)} laptop\n"
        f'git@example.com namespaces="git,file" {_line(b)}\n'
        f'old@example.com valid-after="20250101",valid-before="20260101Z" {_line(c)}\n'
        f"ca@example.com cert-authority {_line(d)}\n"
        f'all@example.com namespaces="cloudfw-*" {_line(d)}\n'
    )
    trusted = load_trusted(path)
    by_principal = {k.principals: k for k in trusted.keys}
    assert set(by_principal) == {"ci@example.com,ops@example.com", "git@example.com",
                                 "old@example.com", "all@example.com"}  # fmt: skip
    assert by_principal["ci@example.com,ops@example.com"].refusal(NOW) is None
    assert by_principal["all@example.com"].refusal(NOW) is None  # a namespace pattern
    assert by_principal["git@example.com"].refusal(NOW) == (
        f"{path}:4 does not allow namespace 'cloudfw-evidence'"
    )
    assert (
        by_principal["old@example.com"].refusal(NOW) == f"{path}:5 expired at 2026-01-01T00:00:00Z"
    )
    assert trusted.notes == (f"{path}:6: cert-authority entries are not supported (ignored)",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ops@example.com\n", ":1: not a public key line"),
        ("ops@example.com ssh-ed25519 !!!\n", ":1: the ssh-ed25519 key is not base64"),
        ('ops@example.com bogus="1" KEY\n', ":1: unknown allowed_signers option 'bogus'"),
        ('ops@example.com valid-after="2026" KEY\n', ":1: timestamp '2026' is not YYYYMMDD"),
        ('ops@example.com namespaces="a KEY\n', ":1: unclosed quote"),
        ("# nothing\n", "no public key in it"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n", ":1: unsupported or malformed public key"),
    ],
)
def test_bad_public_key_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pub"
    path.write_text(text.replace("KEY", _line(ed25519.Ed25519PrivateKey.generate())))
    with pytest.raises(KeyFileError, match=message):
        load_trusted(path)
    code, _, err = run_cli("evidence", "verify", str(tmp_path), "--pubkey", str(path))
    assert code == 2 and err.count("\n") == 1 and message.split(": ", 1)[-1] in err

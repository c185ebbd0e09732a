"""Signing keys: generate an Ed25519 pair, load a private key to sign with, load trusted keys.

Private keys are OpenSSH (``-----BEGIN OPENSSH PRIVATE KEY-----``, what ``ssh-keygen -t
ed25519`` writes) or PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``); a private key file is created
with mode 0600 and never overwritten. Trusted keys are read from a file holding OpenSSH public
key lines (``ssh-ed25519 AAAA… comment``, several allowed), a PEM ``PUBLIC KEY``, or an
``allowed_signers`` file as ``ssh-keygen -Y verify`` reads it (principals, options, key).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    KeySerializationEncryption,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
    load_ssh_private_key,
)

from cloudfw.evidence.sshsig import (
    NAMESPACE,
    PublicKey,
    SignatureFormatError,
    fingerprint,
    key_blob,
    load_blob,
)
from cloudfw.model import CloudfwError

KEY_TYPES = frozenset({
    "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})  # fmt: skip


class KeyFileError(CloudfwError):
    """A key file that cannot be written or read, named with its path (and line)."""


class KeyFormat(StrEnum):
    openssh = "openssh"
    pem = "pem"


@dataclass(frozen=True, slots=True)
class KeyPair:
    private: Path
    public: Path
    fingerprint: str


def _create(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (no window with wider permissions)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def generate(
    private: Path, fmt: KeyFormat, comment: str = "", passphrase: bytes | None = None
) -> KeyPair:
    """Write a new Ed25519 key to ``private`` (0600) and its public key to ``private.pub``.
    Existing files are never overwritten."""
    public = private.with_name(private.name + ".pub")
    for p in (private, public):
        if p.exists() or p.is_symlink():
            raise KeyFileError(f"{p}: exists; refusing to overwrite a key (choose another --out)")
    key = ed25519.Ed25519PrivateKey.generate()
    enc: KeySerializationEncryption = (
        BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    )
    if fmt is KeyFormat.openssh:
        try:
            secret = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, enc)
        except UnsupportedAlgorithm:
            raise KeyFileError(
                "an encrypted OpenSSH key needs the bcrypt package; use --format pem, "
                "or encrypt it afterwards with `ssh-keygen -p -f KEY`"
            ) from None
        pub = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
        pub_text = pub + (f" {comment}".encode() if comment else b"") + b"\n"
    else:
        secret = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, enc)
        pub_text = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    private.parent.mkdir(parents=True, exist_ok=True)
    _create(private, secret, 0o600)
    _create(public, pub_text, 0o644)
    return KeyPair(private, public, fingerprint(key_blob(key.public_key())))


def load_signing_key(path: Path, passphrase: bytes | None = None) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 private key in ``path`` (OpenSSH or PEM); a one-line error otherwise."""
    data = path.read_bytes()
    if b"PRIVATE KEY-----" not in data:
        hint = " (that is a public key)" if b"PUBLIC KEY" in data or data[:4] == b"ssh-" else ""
        raise KeyFileError(f"{path}: not a private key file (OpenSSH or PEM){hint}")
    key: object
    try:
        if b"BEGIN OPENSSH PRIVATE KEY" in data:
            key = load_ssh_private_key(data, passphrase)
        else:
            key = load_pem_private_key(data, passphrase)
    except TypeError:
        need = passphrase is None
        raise KeyFileError(
            f"{path}: the key is encrypted: set CLOUDFW_KEY_PASSPHRASE"
            if need
            else f"{path}: the key is not encrypted: unset CLOUDFW_KEY_PASSPHRASE"
        ) from None
    except UnsupportedAlgorithm as exc:
        raise KeyFileError(f"{path}: cannot read the key: {exc}") from None
    except ValueError:
        raise KeyFileError(
            f"{path}: cannot read the key (malformed, or a wrong passphrase)"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyFileError(
            f"{path}: a {type(key).__name__.removeprefix('_')} key; cloudfw signs with Ed25519 "
            "(make one with `cloudfw evidence keygen`, or sign with `ssh-keygen -Y sign`)"
        )
    return key


@dataclass(frozen=True, slots=True)
class TrustedKey:
    blob: bytes  # SSH wire encoding
    where: str  # file:line
    principals: str = ""  # allowed_signers principals ("" for a plain public key file)
    namespaces: tuple[str, ...] | None = None  # allowed_signers namespaces="…" patterns
    valid_after: datetime | None = None
    valid_before: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)

    def refusal(self, now: datetime) -> str | None:
        """Why this entry does not allow signing evidence at ``now``; None when it does."""
        if self.namespaces is not None and not any(
            fnmatchcase(NAMESPACE, p) for p in self.namespaces
        ):
            return f"{self.where} does not allow namespace {NAMESPACE!r}"
        if self.valid_after is not None and now < self.valid_after:
            return f"{self.where} is valid only after {self.valid_after:%Y-%m-%dT%H:%M:%SZ}"
        if self.valid_before is not None and now >= self.valid_before:
            return f"{self.where} expired at {self.valid_before:%Y-%m-%dT%H:%M:%SZ}"
        return None


@dataclass(frozen=True, slots=True)
class TrustedKeys:
    keys: tuple[TrustedKey, ...]
    notes: tuple[str, ...] = field(default=())  # entries read but not usable (said, not dropped)


def load_trusted(path: Path) -> TrustedKeys:
    """Public keys from ``path``: OpenSSH public key lines, a PEM public key or an
    ``allowed_signers`` file."""
    data = path.read_bytes()
    if b"PRIVATE KEY-----" in data:
        raise KeyFileError(f"{path}: a private key; pass its public key (.pub) instead")
    if b"-----BEGIN PUBLIC KEY-----" in data:
        try:
            key = load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise KeyFileError(f"{path}: cannot read the PEM public key: {exc}") from None
        return TrustedKeys((TrustedKey(_blob_of(key, path), f"{path}:1"),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFileError(f"{path}: not a public key file (not UTF-8 text)") from None
    keys: list[TrustedKey] = []
    notes: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entry = _line(line, f"{path}:{n}")
        if isinstance(entry, str):
            notes.append(entry)
        else:
            keys.append(entry)
    if not keys:
        raise KeyFileError(f"{path}: no public key in it" + (f" ({notes[0]})" if notes else ""))
    return TrustedKeys(tuple(keys), tuple(notes))


def _blob_of(key: object, path: Path) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if not isinstance(key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise KeyFileError(f"{path}: unsupported public key type {type(key).__name__}")
    k: PublicKey = key
    return key_blob(k)


def _tokens(line: str) -> Iterator[str]:
    """Whitespace-separated fields; double quotes protect spaces (and commas) inside them."""
    cur: list[str] = []
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch.isspace() and not quoted:
            if cur:
                yield "".join(cur)
                cur = []
        else:
            cur.append(ch)
    if quoted:
        raise ValueError("unclosed quote")
    if cur:
        yield "".join(cur)


def _split_options(text: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [o for o in out if o]


def _timestamp(value: str, where: str) -> datetime:
    """allowed_signers timestamps: YYYYMMDD or YYYYMMDDHHMM[SS], optional Z (read as UTC)."""
    v = value.removesuffix("Z").removesuffix("z")
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    try:
        return datetime.strptime(v, formats[len(v)]).replace(tzinfo=UTC)
    except (KeyError, ValueError):
        raise KeyFileError(f"{where}: timestamp {value!r} is not YYYYMMDD[HHMM[SS]][Z]") from None


def _line(line: str, where: str) -> TrustedKey | str:
    try:
        fields = list(_tokens(line))
    except ValueError as exc:
        raise KeyFileError(f"{where}: {exc}") from None
    principals = ""
    options: list[str] = []
    if fields[0] not in KEY_TYPES:  # allowed_signers: principals [options] type key
        principals = fields.pop(0)
        if fields and fields[0] not in KEY_TYPES:
            options = _split_options(fields.pop(0))
    if len(fields) < 2 or fields[0] not in KEY_TYPES:
        raise KeyFileError(f"{where}: not a public key line (expected `[principals [options]] "
                        "ssh-ed25519 AAAA… [comment]`)")  # fmt: skip
    kind, b64 = fields[0], fields[1]
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{where}: the {kind} key is not base64") from None
    try:
        load_blob(blob)
    except SignatureFormatError as exc:
        raise KeyFileError(f"{where}: {exc}") from None
    namespaces: tuple[str, ...] | None = None
    after = before = None
    for opt in options:
        name, _, value = opt.partition("=")
        value = value.strip('"')
        if name == "cert-authority":
            return f"{where}: cert-authority entries are not supported (ignored)"
        if name == "namespaces":
            namespaces = tuple(p.strip() for p in value.split(",") if p.strip())
        elif name == "valid-after":
            after = _timestamp(value, where)
        elif name == "valid-before":
            before = _timestamp(value, where)
        else:
            raise KeyFileError(f"{where}: unknown allowed_signers option {name!r}")
    return TrustedKey(blob, where, principals, namespaces, after, before)

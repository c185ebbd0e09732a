"""OpenSSH signatures (``ssh-keygen -Y sign``; the SSHSIG format of OpenSSH's PROTOCOL.sshsig).

A signature is an armored blob (``-----BEGIN SSH SIGNATURE-----``) holding the magic ``SSHSIG``,
a version, the signer's public key in SSH wire encoding, a namespace, a reserved string, the hash
algorithm (sha256 or sha512) and the signature. What is signed is not the message itself but
``SSHSIG`` + namespace + reserved + hash algorithm + H(message), each an SSH ``string``.

cloudfw writes Ed25519 signatures in this format, so `ssh-keygen -Y verify` checks them too,
and it verifies Ed25519, RSA (rsa-sha2-256/512) and ECDSA (nistp256/384/521) signatures that
ssh-keygen made. Security-key (``sk-``) signatures are refused as unsupported.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_ssh_public_key,
)

from cloudfw.model import CloudfwError

MAGIC = b"SSHSIG"
VERSION = 1
NAMESPACE = "cloudfw-evidence"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
_EC_HASH: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "ecdsa-sha2-nistp256": hashes.SHA256,
    "ecdsa-sha2-nistp384": hashes.SHA384,
    "ecdsa-sha2-nistp521": hashes.SHA512,
}
_RSA_HASH: dict[str, type[hashes.SHA256 | hashes.SHA512]] = {
    "rsa-sha2-256": hashes.SHA256,
    "rsa-sha2-512": hashes.SHA512,
}

PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class SignatureFormatError(CloudfwError):
    """Bytes that are not a well-formed SSH signature."""


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureFormatError(f"truncated at {what}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def string(self, what: str) -> bytes:
        (n,) = struct.unpack(">I", self.take(4, what))
        return self.take(n, what)

    def text(self, what: str) -> str:
        try:
            return self.string(what).decode("ascii")
        except UnicodeDecodeError:
            raise SignatureFormatError(f"{what} is not ASCII") from None

    def mpint(self, what: str) -> int:
        return int.from_bytes(self.string(what), "big", signed=True)


def key_blob(key: PublicKey) -> bytes:
    """The public key in SSH wire encoding (what SSHSIG embeds and fingerprints hash)."""
    line = key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def key_type(blob: bytes) -> str:
    try:
        return _Reader(blob).text("key type")
    except SignatureFormatError:
        return "unknown"


def fingerprint(blob: bytes) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def _signed_data(namespace: str, reserved: bytes, hash_alg: str, message: bytes) -> bytes:
    digest = HASHES[hash_alg](message).digest()
    return (MAGIC + _string(namespace.encode()) + _string(reserved)
            + _string(hash_alg.encode()) + _string(digest))  # fmt: skip


def sign(key: ed25519.Ed25519PrivateKey, message: bytes, namespace: str = NAMESPACE) -> str:
    """An armored SSHSIG signature of ``message`` (sha512, as ssh-keygen makes by default)."""
    raw = key.sign(_signed_data(namespace, b"", "sha512", message))
    blob = (MAGIC + struct.pack(">I", VERSION) + _string(key_blob(key.public_key()))
            + _string(namespace.encode()) + _string(b"") + _string(b"sha512")
            + _string(_string(b"ssh-ed25519") + _string(raw)))  # fmt: skip
    body = base64.b64encode(blob).decode()
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


@dataclass(frozen=True, slots=True)
class SshSignature:
    public_key: bytes  # SSH wire encoding
    namespace: str
    reserved: bytes
    hash_algorithm: str
    sig_algorithm: str
    signature: bytes  # the algorithm's own encoding (for ECDSA: mpint r, mpint s)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def parse(text: bytes) -> SshSignature:
    """Parse an armored signature; raise `SignatureFormatError` saying what is wrong."""
    try:
        armored = text.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SignatureFormatError("not an SSH signature (not ASCII text)") from None
    if not armored.startswith(BEGIN) or not armored.endswith(END):
        raise SignatureFormatError(f"not an SSH signature (no {BEGIN} ... {END} armor)")
    body = "".join(armored[len(BEGIN) : -len(END)].split())
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureFormatError("not an SSH signature (bad base64)") from None
    r = _Reader(blob)
    if r.take(len(MAGIC), "magic") != MAGIC:
        raise SignatureFormatError("not an SSH signature (no SSHSIG magic)")
    (version,) = struct.unpack(">I", r.take(4, "version"))
    if version > VERSION:
        raise SignatureFormatError(f"SSH signature version {version} is newer than supported (1)")
    public_key = r.string("public key")
    namespace = r.text("namespace")
    reserved = r.string("reserved")
    hash_alg = r.text("hash algorithm")
    if hash_alg not in HASHES:
        raise SignatureFormatError(f"unsupported hash algorithm {hash_alg!r}")
    inner = _Reader(r.string("signature"))
    sig_alg = inner.text("signature algorithm")
    return SshSignature(public_key, namespace, reserved, hash_alg, sig_alg, inner.string("sig"))


def load_blob(blob: bytes) -> PublicKey:
    """A public key from its SSH wire encoding."""
    kind = key_type(blob)
    try:
        key = load_ssh_public_key(f"{kind} {base64.b64encode(blob).decode()}".encode())
    except (ValueError, TypeError) as exc:
        raise SignatureFormatError(f"unsupported or malformed public key ({kind}): {exc}") from None
    if not isinstance(key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise SignatureFormatError(f"unsupported public key type {kind}")
    return key


def check(sig: SshSignature, message: bytes) -> bool:
    """Whether ``sig`` is a valid signature of ``message`` by the key it embeds. The caller
    decides whether that key is trusted and the namespace the expected one."""
    key = load_blob(sig.public_key)
    data = _signed_data(sig.namespace, sig.reserved, sig.hash_algorithm, message)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey) and sig.sig_algorithm == "ssh-ed25519":
            key.verify(sig.signature, data)
        elif isinstance(key, rsa.RSAPublicKey) and sig.sig_algorithm in _RSA_HASH:
            key.verify(sig.signature, data, padding.PKCS1v15(), _RSA_HASH[sig.sig_algorithm]())
        elif (
            isinstance(key, ec.EllipticCurvePublicKey)
            and sig.sig_algorithm in _EC_HASH
            and sig.sig_algorithm == key_type(sig.public_key)
        ):
            inner = _Reader(sig.signature)
            der = encode_dss_signature(inner.mpint("r"), inner.mpint("s"))
            key.verify(der, data, ec.ECDSA(_EC_HASH[sig.sig_algorithm]()))
        else:
            raise SignatureFormatError(
                f"unsupported signature algorithm {sig.sig_algorithm!r} for a "
                f"{key_type(sig.public_key)} key"
            )
    except InvalidSignature:
        return False
    return True

"""Redact credentials and tokens from raw log records before they are stored as evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "accessKeyId", "secretAccessKey", "sessionToken", "password", "token", "accessToken",
        "refreshToken", "idToken", "authorization", "x-amz-security-token", "clientSecret",
        "credentials", "secret", "signature", "sig", "apiKey", "privateKey", "sharedKey",
        "X-Amz-Signature", "X-Amz-Credential", "sasToken", "connectionString",
    )
)  # fmt: skip
_PATTERNS = (
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),  # JWT
    re.compile(r"(?i)\bbearer\s+[\w.~+/-]{8,}=*"),
    re.compile(r"(?i)(sig|signature|x-amz-signature|x-amz-security-token)=[^&\s\"]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
)


def _text(value: str) -> str:
    for pat in _PATTERNS:
        value = pat.sub(REDACTED, value)
    return value


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-named fields and token-shaped strings replaced."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in SECRET_KEYS and v not in (None, "") else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    return value

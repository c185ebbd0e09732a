"""Azure endpoint and credential resolution (the SDKs are imported lazily, inside functions)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cloudfw.providers.base import CollectError, is_loopback

PUBLIC_ARM = "https://management.azure.com"
ENDPOINT_ENV = "CLOUDFW_AZURE_ENDPOINT"
TOKEN_ENV = "CLOUDFW_AZURE_TOKEN"


@dataclass(frozen=True)
class Endpoint:
    url: str  # without a trailing slash
    insecure_loopback: bool  # plain http to a loopback host

    @property
    def scope(self) -> str:
        """The token scope for this ARM endpoint (``<endpoint>/.default``)."""
        return self.url + "/.default"


def resolve_endpoint(option: str | None) -> Endpoint:
    """``--azure-endpoint``, else ``CLOUDFW_AZURE_ENDPOINT``, else public ARM.

    https is required, except plain http to 127.0.0.0/8, ::1 or localhost (the local stand-in).
    """
    raw = (option or os.environ.get(ENDPOINT_ENV) or PUBLIC_ARM).strip()
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise CollectError(f"Azure endpoint {raw!r} is not a valid URL: {exc}") from None
    if not host:
        raise CollectError(f"Azure endpoint {raw!r} has no host (expected https://host[:port])")
    if parts.scheme == "https":
        return Endpoint(raw.rstrip("/"), insecure_loopback=False)
    if parts.scheme == "http":
        if is_loopback(host):
            return Endpoint(raw.rstrip("/"), insecure_loopback=True)
        raise CollectError(
            f"Azure endpoint {raw!r} uses plain http to a non-loopback host; "
            "use https (plain http is accepted only for 127.0.0.0/8, ::1 and localhost)"
        )
    raise CollectError(f"Azure endpoint {raw!r} must start with https:// (got {parts.scheme!r})")


class StaticTokenCredential:
    """A pre-issued bearer token (``CLOUDFW_AZURE_TOKEN``, e.g. ``az account get-access-token``).

    Never printed: ``repr`` hides the token.
    """

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self._token = token
        self._expires_on = expires_on or int(time.time()) + 3600

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expires_on)

    def __repr__(self) -> str:
        return "StaticTokenCredential(<redacted>)"


def resolve_credential(credential: object | None, have_policy: bool) -> object:
    """Injected credential, else ``CLOUDFW_AZURE_TOKEN``, else azure-identity's default chain.

    With an injected authentication policy the credential is never asked for a token, so a
    placeholder is used rather than probing the default chain.
    """
    if credential is not None:
        return credential
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return StaticTokenCredential(token)
    if have_policy:
        return StaticTokenCredential("unused")
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:  # pragma: no cover - dependency of cloudfw
        raise CollectError(f"azure-identity is not installed: {exc}") from None
    return DefaultAzureCredential()

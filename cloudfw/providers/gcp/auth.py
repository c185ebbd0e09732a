"""Endpoint and credential resolution for GCP (google-auth is imported lazily, inside functions)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from cloudfw.providers.base import CollectError, CollectOptions, is_loopback

ENDPOINT_ENV = "CLOUDFW_GCP_ENDPOINT"
TOKEN_ENV = "CLOUDFW_GCP_TOKEN"
READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
RESOURCE_MANAGER = "https://cloudresourcemanager.googleapis.com"


def resolve_endpoint(options: CollectOptions) -> str | None:
    """``--gcp-endpoint`` / ``CLOUDFW_GCP_ENDPOINT`` as ``scheme://host[:port]``, or None.

    Plain http is accepted only for loopback hosts (tests, local stand-ins).
    """
    raw = options.gcp_endpoint or os.environ.get(ENDPOINT_ENV) or ""
    if not raw:
        return None
    u = urlsplit(raw.strip())
    if u.scheme not in ("http", "https") or not u.hostname:
        raise CollectError(f"GCP endpoint {raw!r}: expected an http(s) base URL")
    if u.path not in ("", "/") or u.query or u.fragment:
        raise CollectError(f"GCP endpoint {raw!r}: give a base URL without a path or query")
    if u.scheme == "http" and not is_loopback(u.hostname):
        raise CollectError(
            f"GCP endpoint {raw!r}: plain http is allowed only for loopback hosts; use https"
        )
    return f"{u.scheme}://{u.netloc}"


def resolve_credentials(given: object | None, endpoint: str | None) -> object:
    """Injected credentials, else ``CLOUDFW_GCP_TOKEN``, else anonymous for a loopback endpoint,
    else Application Default Credentials (read-only scope)."""
    if given is not None:
        return given
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        from google.oauth2.credentials import Credentials

        return Credentials(token=token)  # type: ignore[no-untyped-call]
    host = urlsplit(endpoint).hostname if endpoint else None
    if host and is_loopback(host):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        creds, _project = google.auth.default(scopes=[READ_ONLY_SCOPE])
    except DefaultCredentialsError:
        raise CollectError(
            "no GCP credentials: set CLOUDFW_GCP_TOKEN (e.g. from `gcloud auth print-access-token`)"
            " or configure Application Default Credentials"
            " (`gcloud auth application-default login`)"
        ) from None
    return creds

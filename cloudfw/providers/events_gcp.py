"""GCP Admin Activity audit logs through the Logging API (``entries.list``), read-only.

Yields LogEntry JSON (the same shape as a sink export) for ``cloudfw.events.gcp``. Endpoint:
``CLOUDFW_GCP_LOGGING_ENDPOINT`` (default ``https://logging.googleapis.com``; plain http only
for loopback). Credentials as for the collector: ``CLOUDFW_GCP_TOKEN``, anonymous for a loopback
stand-in, else Application Default Credentials with the read-only scope.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from cloudfw.providers.base import CollectOptions, EventSourceError
from cloudfw.providers.gcp.auth import resolve_credentials, resolve_endpoint

LOGGING_ENDPOINT_ENV = "CLOUDFW_GCP_LOGGING_ENDPOINT"
PUBLIC_LOGGING = "https://logging.googleapis.com"
SERVICES = ("compute.googleapis.com", "appengine.googleapis.com")


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def audit_filter(project: str, since: datetime | None, until: datetime | None) -> str:
    """The Logging query: Admin Activity entries of the firewall-bearing services."""
    services = " OR ".join(f'protoPayload.serviceName="{s}"' for s in SERVICES)
    parts = [f'logName="projects/{project}/logs/cloudaudit.googleapis.com%2Factivity"',
             f"({services})"]  # fmt: skip
    if since:
        parts.append(f'timestamp>="{_iso(since)}"')
    if until:
        parts.append(f'timestamp<"{_iso(until)}"')
    return " AND ".join(parts)


def audit_entries(
    project: str,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    endpoint: str | None = None,
    credentials: object | None = None,
    page_size: int = 1000,
) -> Iterator[Mapping[str, Any]]:
    """Every matching LogEntry, oldest first, following ``nextPageToken``."""
    from google.auth.transport.requests import AuthorizedSession
    from requests import RequestException

    raw = endpoint or os.environ.get(LOGGING_ENDPOINT_ENV) or PUBLIC_LOGGING
    base = resolve_endpoint(CollectOptions(gcp_endpoint=raw)) or PUBLIC_LOGGING
    session = AuthorizedSession(resolve_credentials(credentials, base))  # type: ignore[no-untyped-call]
    location = f"gcp-audit://{project}"
    body: dict[str, Any] = {
        "resourceNames": [f"projects/{project}"],
        "filter": audit_filter(project, since, until),
        "orderBy": "timestamp asc",
        "pageSize": page_size,
    }
    while True:
        try:
            resp = session.post(f"{base}/v2/entries:list", json=body, timeout=60)
        except RequestException as exc:
            raise EventSourceError(location, f"{type(exc).__name__}: {exc}") from None
        if resp.status_code != 200:
            raise EventSourceError(location, f"HTTP {resp.status_code}: {resp.text[:200]}")
        page = resp.json()
        yield from page.get("entries") or []
        token = page.get("nextPageToken")
        if not token:
            return
        body["pageToken"] = token

"""Azure Activity Log through ``azure-mgmt-monitor`` (``activity_logs.list``), read-only.

Yields each ``EventData`` as ``as_dict()`` (snake_case), which ``cloudfw.events.azure`` reads like
the storage export. Endpoint and token follow the collector: ``--azure-endpoint`` /
``CLOUDFW_AZURE_ENDPOINT`` (plain http only for loopback) and ``CLOUDFW_AZURE_TOKEN``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudfw.providers.azure.auth import resolve_credential, resolve_endpoint
from cloudfw.providers.azure.fetch import call_options, describe
from cloudfw.providers.base import EventSourceError

RETENTION = timedelta(days=90)  # the Activity Log keeps 90 days


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def activity_log(
    subscription: str,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    endpoint: str | None = None,
    credential: object | None = None,
    policy: object | None = None,
    now: datetime | None = None,
) -> Iterator[Mapping[str, Any]]:
    """Every Activity Log event of ``subscription`` in [since, until] (default: 90 days)."""
    from azure.core.exceptions import AzureError
    from azure.mgmt.monitor import MonitorManagementClient

    ep = resolve_endpoint(endpoint)
    cred = resolve_credential(credential, policy is not None)
    kw: dict[str, Any] = {"credential_scopes": [ep.scope]}
    if policy is not None:
        kw["authentication_policy"] = policy
    client = MonitorManagementClient(cred, subscription, base_url=ep.url, **kw)  # type: ignore[arg-type]
    end = until or now or datetime.now(UTC)
    start = since or end - RETENTION
    flt = f"eventTimestamp ge '{_iso(start)}' and eventTimestamp le '{_iso(end)}'"
    location = f"azure-activity://{subscription}"
    try:
        for event in client.activity_logs.list(filter=flt, **call_options(ep, policy)):
            yield event.as_dict()
    except AzureError as exc:  # HTTP and transport failures alike: a located problem
        reason, _ = describe(exc)
        raise EventSourceError(location, reason) from None

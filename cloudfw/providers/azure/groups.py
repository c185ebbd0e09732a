"""Subscriptions under Azure management groups (``--management-group``).

One GET per group: ``/providers/Microsoft.Management/managementGroups/{id}/descendants``
(paged with ``nextLink``) returns the whole subtree flattened, child groups
(``Microsoft.Management/managementGroups``) and subscriptions (``/subscriptions``) alike; the
subscriptions are kept. A group that cannot be read is one coverage entry
(``azure:managementGroups/<id>``), so the run is incomplete, never silently smaller.
Permission: ``Microsoft.Management/managementGroups/descendants/read`` at the group
(``policies/iam/azure-management-group-reader.json``, or the built-in Management Group Reader).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cloudfw.model import Coverage, CoverageStatus
from cloudfw.providers.azure.fetch import FetchFailure, get_raw

DESCENDANTS_API = "2020-05-01"
SUBSCRIPTION_TYPES = frozenset(
    {"/subscriptions", "microsoft.management/managementgroups/subscriptions"}
)


def subscriptions_under(
    client: Any, groups: tuple[str, ...], kw: dict[str, Any]
) -> tuple[list[str], list[Coverage]]:
    """(subscription ids in first-seen order, one error coverage per unreadable group)."""
    subs: dict[str, None] = {}
    failed: list[Coverage] = []
    for group in dict.fromkeys(groups):
        url = (
            f"/providers/Microsoft.Management/managementGroups/{quote(group, safe='')}"
            f"/descendants?api-version={DESCENDANTS_API}"
        )
        try:
            items = get_raw(client, f"management group {group}", url, kw)
        except FetchFailure as exc:
            scope = f"azure:managementGroups/{group}"
            failed.append(Coverage("azure", scope, CoverageStatus.ERROR, str(exc)))
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            kind = str(item.get("type", "")).lower()
            name = item.get("name")
            if kind in SUBSCRIPTION_TYPES and isinstance(name, str) and name:
                subs.setdefault(name, None)
    return list(subs), failed

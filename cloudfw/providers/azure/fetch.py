"""Read one subscription's network resources as raw ARM JSON, through the real SDK client.

Listings go through `azure-mgmt-network` operations; each page's JSON is captured exactly as ARM
sent it (``raw_response_hook``), so normalization sees real ARM documents and a malformed resource
is reported by id and field instead of being half-parsed by the SDK. Diagnostic settings and the
subscription list are plain GETs through the same client pipeline (same auth, retries, timeouts).
Only GET requests are ever made.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cloudfw.normalize.azure import SubscriptionData
from cloudfw.providers.azure.auth import Endpoint

DIAGNOSTICS_API = "2021-05-01-preview"
SUBSCRIPTIONS_API = "2022-12-01"
PLACEHOLDER_SUB = "00000000-0000-0000-0000-000000000000"
CLIENT_OPTIONS: dict[str, Any] = {
    "retry_total": 5,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 30,
    "connection_timeout": 15,
    "read_timeout": 60,
}


class FetchFailure(Exception):
    """One listing failed; ``fatal`` when the whole subscription is unreadable (401/403)."""

    def __init__(self, what: str, reason: str, fatal: bool) -> None:
        super().__init__(f"{what}: {reason}")
        self.fatal = fatal


@dataclass
class Fetched:
    data: SubscriptionData
    errors: list[str] = field(default_factory=list)


def make_client(
    credential: object, subscription: str, endpoint: Endpoint, policy: object | None
) -> Any:
    from azure.mgmt.network import NetworkManagementClient

    kw: dict[str, Any] = dict(CLIENT_OPTIONS, credential_scopes=[endpoint.scope])
    if policy is not None:
        # a pipeline links its policies through their ``next`` attribute, so one policy object
        # must never serve two clients: each client gets its own shallow copy
        kw["authentication_policy"] = copy.copy(policy)
    return NetworkManagementClient(credential, subscription, base_url=endpoint.url, **kw)  # type: ignore[arg-type]


def call_options(endpoint: Endpoint, policy: object | None) -> dict[str, Any]:
    """Per-call options: plain http is allowed only for a loopback endpoint."""
    return {"enforce_https": False} if endpoint.insecure_loopback and policy is None else {}


def describe(exc: BaseException) -> tuple[str, bool]:
    """A one-line reason for an SDK/transport error, and whether it is an access error."""
    from azure.core.exceptions import HttpResponseError

    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        code = getattr(getattr(exc, "error", None), "code", None) or exc.reason or ""
        msg = getattr(getattr(exc, "error", None), "message", None) or str(exc.message or "")
        first = (msg.splitlines() or [""])[0].strip()
        return f"HTTP {status} {code}: {first}".strip(), status in (401, 403)
    text = (str(exc).splitlines() or [""])[0].strip()
    return f"{type(exc).__name__}: {text}", False


def _values(pages: list[object], what: str) -> list[object]:
    items: list[object] = []
    for i, page in enumerate(pages):
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            raise FetchFailure(what, f"page {i + 1} is not an ARM list ({{'value': [...]}})", False)
        items.extend(page["value"])
    return items


def list_raw(what: str, op: Callable[..., Iterable[Any]], *args: Any, **kw: Any) -> list[object]:
    """Run an SDK list operation to the end; return the raw ``value`` items of every page."""
    pages: list[object] = []

    def hook(response: Any) -> None:
        http = response.http_response
        if http.status_code == 200:
            try:
                pages.append(http.json())
            except ValueError:
                pages.append(None)

    try:
        for _ in op(*args, raw_response_hook=hook, **kw):
            pass
    except FetchFailure:
        raise
    except Exception as exc:  # the SDK boundary: every failure becomes a reason, never a crash
        reason, fatal = describe(exc)
        raise FetchFailure(what, reason, fatal) from None
    return _values(pages, what)


def get_raw(client: Any, what: str, url: str, kw: dict[str, Any]) -> list[object]:
    """GET an ARM list URL through the client's pipeline, following nextLink."""
    from azure.core.rest import HttpRequest

    pages: list[object] = []
    next_url: str | None = url
    while next_url:
        try:
            resp = client.send_request(HttpRequest("GET", next_url), **kw)
        except Exception as exc:
            reason, fatal = describe(exc)
            raise FetchFailure(what, reason, fatal) from None
        if resp.status_code != 200:
            try:
                err = resp.json().get("error", {})
                detail = f"{err.get('code', '')}: {err.get('message', '')}"
            except (ValueError, AttributeError):
                detail = resp.reason or ""
            raise FetchFailure(
                what, f"HTTP {resp.status_code} {detail}", resp.status_code in (401, 403)
            )
        try:
            page = resp.json()
        except ValueError:
            page = None
        pages.append(page)
        nl = page.get("nextLink") if isinstance(page, dict) else None
        next_url = nl if isinstance(nl, str) and nl else None
    return _values(pages, what)


def list_subscriptions(client: Any, kw: dict[str, Any]) -> list[object]:
    return get_raw(client, "subscriptions", f"/subscriptions?api-version={SUBSCRIPTIONS_API}", kw)


def _split(rid: object) -> tuple[str, str] | None:
    """(resource group, name) of an ARM id, or None when it does not look like one."""
    if not isinstance(rid, str):
        return None
    parts = rid.strip("/").split("/")
    low = [p.lower() for p in parts]
    if "resourcegroups" not in low or len(parts) < 8:
        return None
    return parts[low.index("resourcegroups") + 1], parts[-1]


def _ids(items: list[object]) -> list[str]:
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


class _Reader:
    """Runs listings for one subscription, recording non-fatal failures."""

    def __init__(self, client: Any, kw: dict[str, Any]) -> None:
        self.client = client
        self.kw = kw
        self.errors: list[str] = []
        self.readable = False

    def _guard(self, fn: Callable[[], list[object]]) -> list[object] | None:
        try:
            out = fn()
        except FetchFailure as exc:
            # 401/403 on the first listing: the subscription is unreadable. Later, it only means
            # the role lacks one permission (say diagnostic settings): record it, read the rest.
            if exc.fatal and not self.readable:
                raise
            self.errors.append(str(exc))
            return None
        self.readable = True
        return out

    def listing(
        self, what: str, op: Callable[..., Iterable[Any]], *args: str
    ) -> list[object] | None:
        return self._guard(lambda: list_raw(what, op, *args, **self.kw))

    def get(self, what: str, url: str) -> list[object] | None:
        return self._guard(lambda: get_raw(self.client, what, url, self.kw))


def fetch_subscription(client: Any, sub: str, kw: dict[str, Any]) -> Fetched:
    """Everything cloudfw reads in one subscription. 401/403 on the first listing raises
    FetchFailure; any other failed listing is recorded and the rest is still read (its data is
    then marked missing, so normalization reports it instead of assuming it empty)."""
    c, r = client, _Reader(client, kw)
    nsgs = r.listing("networkSecurityGroups", c.network_security_groups.list_all) or []
    nics = r.listing("networkInterfaces", c.network_interfaces.list_all) or []
    pips = r.listing("publicIPAddresses", c.public_ip_addresses.list_all) or []
    vnets = r.listing("virtualNetworks", c.virtual_networks.list_all) or []
    fws = r.listing("azureFirewalls", c.azure_firewalls.list_all) or []
    pols = r.listing("firewallPolicies", c.firewall_policies.list_all) or []
    groups: dict[str, list[object]] = {}
    for pid in _ids(pols):
        rg_name = _split(pid)
        if rg_name is not None:
            op = c.firewall_policy_rule_collection_groups.list
            got = r.listing(f"{pid}/ruleCollectionGroups", op, *rg_name)
            if got is not None:
                groups[pid.lower()] = got
    watchers = r.listing("networkWatchers", c.network_watchers.list_all)
    flow_logs: list[object] | None = None if watchers is None else []
    for wid in _ids(watchers or []):
        rg_name = _split(wid)
        if rg_name is not None and flow_logs is not None:
            got = r.listing(f"{wid}/flowLogs", c.flow_logs.list, *rg_name)
            flow_logs = None if got is None else flow_logs + got
    diagnostics: dict[str, list[object]] = {}
    for fid in _ids(fws):
        url = f"{fid}/providers/Microsoft.Insights/diagnosticSettings?api-version={DIAGNOSTICS_API}"
        got = r.get(f"{fid}/diagnosticSettings", url)
        if got is not None:
            diagnostics[fid.lower()] = got
    data = SubscriptionData(
        subscription=sub, nsgs=nsgs, network_interfaces=nics, public_ips=pips,
        virtual_networks=vnets, firewalls=fws, firewall_policies=pols,
        rule_collection_groups=groups, flow_logs=flow_logs, diagnostics=diagnostics,
    )  # fmt: skip
    return Fetched(data, r.errors)

"""Compute Engine reads through the real ``google-cloud-compute`` REST clients (imported lazily).

Every call is a list (GET). Retries with exponential backoff cover 429 and 5xx. Each resource is
turned back into Compute API JSON (camelCase, as the REST API and ``gcloud --format=json`` show
it) so the pure normalizer sees one shape, whether it came from the API or from a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

TIMEOUT = 30.0


class ApiCallError(Exception):
    """One Compute list call failed; the message names the call and the reason."""


def _retry(initial: float) -> Any:
    from google.api_core import exceptions as gexc
    from google.api_core.retry import Retry, if_exception_type

    return Retry(
        predicate=if_exception_type(
            gexc.TooManyRequests,
            gexc.InternalServerError,
            gexc.BadGateway,
            gexc.ServiceUnavailable,
            gexc.GatewayTimeout,
        ),
        initial=initial,
        maximum=max(initial * 16, initial),
        multiplier=2.0,
        timeout=initial * 120,  # about ten attempts at the default 1 s start
    )


def _plain(msg: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    out: dict[str, Any] = json_format.MessageToDict(type(msg).pb(msg))
    return out


class ComputeReader:
    """The Compute clients for one worker, pointed at one endpoint."""

    def __init__(self, endpoint: str | None, credentials: object, retry_initial: float) -> None:
        from google.api_core.client_options import ClientOptions
        from google.cloud import compute_v1

        self._c = compute_v1
        opts = ClientOptions(api_endpoint=endpoint) if endpoint else None
        kw: dict[str, Any] = {
            "credentials": credentials,
            "client_options": opts,
            "transport": "rest",
        }
        self.firewalls = compute_v1.FirewallsClient(**kw)
        self.networks = compute_v1.NetworksClient(**kw)
        self.subnetworks = compute_v1.SubnetworksClient(**kw)
        self.network_policies = compute_v1.NetworkFirewallPoliciesClient(**kw)
        self.region_policies = compute_v1.RegionNetworkFirewallPoliciesClient(**kw)
        self.org_policies = compute_v1.FirewallPoliciesClient(**kw)
        self.instances = compute_v1.InstancesClient(**kw)
        self.retry = _retry(retry_initial)

    def _pages(self, call: str, start: Callable[[], Any], items: Callable[[Any], Iterable[Any]]
               ) -> list[dict[str, Any]]:  # fmt: skip
        out: list[dict[str, Any]] = []
        page_no = 1
        try:
            pager = start()
            for page in pager.pages:
                out.extend(_plain(x) for x in items(page))
                page_no += 1
        except Exception as exc:  # api_core errors, malformed bodies, transport errors
            raise ApiCallError(f"{call}: {_reason(exc, page_no)}") from None
        return out

    def list_firewalls(self, project: str) -> list[dict[str, Any]]:
        req = self._c.ListFirewallsRequest(project=project)
        return self._pages(
            "firewalls.list",
            lambda: self.firewalls.list(request=req, retry=self.retry, timeout=TIMEOUT),
            lambda page: page.items,
        )

    def list_networks(self, project: str) -> list[dict[str, Any]]:
        req = self._c.ListNetworksRequest(project=project)
        return self._pages(
            "networks.list",
            lambda: self.networks.list(request=req, retry=self.retry, timeout=TIMEOUT),
            lambda page: page.items,
        )

    def list_subnetworks(self, project: str) -> list[dict[str, Any]]:
        req = self._c.AggregatedListSubnetworksRequest(project=project)
        return self._pages(
            "subnetworks.aggregatedList",
            lambda: self.subnetworks.aggregated_list(
                request=req, retry=self.retry, timeout=TIMEOUT
            ),
            lambda page: [sn for scoped in page.items.values() for sn in scoped.subnetworks],
        )

    def list_instances(self, project: str) -> list[dict[str, Any]]:
        """Every VM (tags, service accounts, interfaces with external IPs), for exposure."""
        req = self._c.AggregatedListInstancesRequest(project=project)
        return self._pages(
            "instances.aggregatedList",
            lambda: self.instances.aggregated_list(request=req, retry=self.retry, timeout=TIMEOUT),
            lambda page: [vm for scoped in page.items.values() for vm in scoped.instances],
        )

    def _get(self, call: str, get: Callable[[str], Any], name: str) -> dict[str, Any]:
        try:
            return _plain(get(name))
        except Exception as exc:
            raise ApiCallError(f"{call}({name}): {_reason(exc, 1)}") from None

    def _with_rules(self, policies: list[dict[str, Any]], call: str,
                    get: Callable[[str], Any]) -> list[dict[str, Any]]:  # fmt: skip
        """Every real policy has default rules; one listed without any is read again by name."""
        return [
            p if p.get("rules") or not p.get("name") else self._get(call, get, str(p["name"]))
            for p in policies
        ]

    def list_network_policies(self, project: str) -> list[dict[str, Any]]:
        req = self._c.ListNetworkFirewallPoliciesRequest(project=project)
        pols = self._pages(
            "networkFirewallPolicies.list",
            lambda: self.network_policies.list(request=req, retry=self.retry, timeout=TIMEOUT),
            lambda page: page.items,
        )
        return self._with_rules(
            pols,
            "networkFirewallPolicies.get",
            lambda name: self.network_policies.get(
                project=project, firewall_policy=name, retry=self.retry, timeout=TIMEOUT
            ),
        )

    def list_region_policies(self, project: str, region: str) -> list[dict[str, Any]]:
        req = self._c.ListRegionNetworkFirewallPoliciesRequest(project=project, region=region)
        pols = self._pages(
            f"regionNetworkFirewallPolicies.list({region})",
            lambda: self.region_policies.list(request=req, retry=self.retry, timeout=TIMEOUT),
            lambda page: page.items,
        )
        return self._with_rules(
            pols,
            "regionNetworkFirewallPolicies.get",
            lambda name: self.region_policies.get(
                project=project,
                region=region,
                firewall_policy=name,
                retry=self.retry,
                timeout=TIMEOUT,
            ),
        )

    def list_hierarchical_policies(self, parent: str) -> list[dict[str, Any]]:
        req = self._c.ListFirewallPoliciesRequest(parent_id=parent)
        pols = self._pages(
            f"firewallPolicies.list({parent})",
            lambda: self.org_policies.list(request=req, retry=self.retry, timeout=TIMEOUT),
            lambda page: page.items,
        )
        return self._with_rules(
            pols,
            "firewallPolicies.get",
            lambda name: self.org_policies.get(
                firewall_policy=name, retry=self.retry, timeout=TIMEOUT
            ),
        )


def _reason(exc: Exception, page_no: int) -> str:
    from google.api_core import exceptions as gexc
    from google.protobuf.json_format import ParseError

    if isinstance(exc, gexc.GoogleAPICallError):
        code = exc.code if exc.code is not None else "error"
        return f"{int(code) if not isinstance(code, str) else code} {exc.message}"
    if isinstance(exc, gexc.RetryError):
        return f"gave up retrying: {exc.cause or exc}"
    if isinstance(exc, ParseError | ValueError):
        return f"malformed response on page {page_no}: {str(exc)[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"

"""A Compute Engine + Resource Manager stand-in: a stdlib HTTP server on 127.0.0.1.

It serves recorded JSON (``gcloud ... --format=json`` shapes) from a fixtures directory, wrapped in
the list envelopes the REST API uses, with ``pageToken`` / ``nextPageToken`` paging. The real
``google-cloud-compute`` REST clients talk to it through ``ClientOptions(api_endpoint=base_url)``.

Fixture layout (``fixtures/gcp/``)::

    standin.json                           {"page_size": 2}   (optional)
    resourcemanager/projects.json          gcloud projects list
    resourcemanager/folders.json           folders (Resource Manager v3 shape; v3 folders.list)
    hierarchical/firewall-policies.json    gcloud compute firewall-policies list (every parent)
    projects/<p>/project.json              gcloud projects describe <p> (and v3 projects.list)
    projects/<p>/networks.json             gcloud compute networks list
    projects/<p>/firewall-rules.json       gcloud compute firewall-rules list
    projects/<p>/subnets.json              gcloud compute networks subnets list
    projects/<p>/instances.json            gcloud compute instances list (optional)
    projects/<p>/network-firewall-policies.json            ... list --global
    projects/<p>/regional-network-firewall-policies.json   ... --regions=R (filtered by region)
    projects/<p>/<file>.raw                served verbatim instead of <file>.json (bad bodies)

A project with no directory (or listed in ``forbidden``) answers 403 as the real API does.
Faults: ``server.add_fault("/global/firewalls", 429, 503)`` makes the next matching requests fail
with those statuses (0 = a 200 whose body is not JSON). Only GET is served; anything else is
logged and refused with 405, so tests can prove collection is read-only.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SELF = "https://www.googleapis.com/compute/v1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    auth_scheme: str  # "Bearer" or "" (the token itself is never kept)
    auth_digest: str  # first 12 hex digits of sha256(token), to tell tokens apart


_REASONS = {
    403: ("forbidden", "PERMISSION_DENIED"),
    404: ("notFound", "NOT_FOUND"),
    429: ("rateLimitExceeded", "RESOURCE_EXHAUSTED"),
    500: ("backendError", "INTERNAL"),
    503: ("backendError", "UNAVAILABLE"),
}


def _error(code: int, message: str) -> dict[str, Any]:
    reason, status = _REASONS.get(code, ("backendError", "UNKNOWN"))
    domain = "usageLimits" if code == 429 else "global"
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": status,
        }
    }


class GceStandin(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fixtures: Path, page_size: int, forbidden: Iterable[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fixtures = fixtures
        self.page_size = page_size
        self.forbidden = set(forbidden)
        self.lists_omit_rules = False  # list responses without policy rules (get has them)
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self._faults: list[tuple[str, list[int]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_fault(self, path_contains: str, *statuses: int) -> None:
        with self.lock:
            self._faults.append((path_contains, list(statuses)))

    def take_fault(self, path: str) -> int | None:
        with self.lock:
            for needle, statuses in self._faults:
                if needle in path and statuses:
                    return statuses.pop(0)
        return None

    def record(self, req: Request) -> None:
        with self.lock:
            self.requests.append(req)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start(
    fixtures_dir: Path, *, page_size: int | None = None, forbidden: Iterable[str] = ()
) -> tuple[GceStandin, str]:
    """Serve ``fixtures_dir`` on 127.0.0.1 (a free port) in a daemon thread: (server, base_url)."""
    cfg_path = fixtures_dir / "standin.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    size = page_size or int(cfg.get("page_size", 500))
    srv = GceStandin(fixtures_dir, size, forbidden)
    threading.Thread(
        target=srv.serve_forever, kwargs={"poll_interval": 0.05}, name="gce-standin", daemon=True
    ).start()
    return srv, srv.base_url


Route = Callable[["_Handler", re.Match[str], dict[str, list[str]]], None]


class _Handler(BaseHTTPRequestHandler):
    server: GceStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ----------------------------------------------------------------------------
    def _log(self) -> tuple[str, dict[str, list[str]]]:
        u = urlsplit(self.path)
        auth = self.headers.get("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        digest = hashlib.sha256(token.encode()).hexdigest()[:12] if token else ""
        self.server.record(Request(self.command, u.path, u.query, scheme, digest))
        return u.path, parse_qs(u.query)

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, doc: Any) -> None:
        self._send(code, json.dumps(doc).encode())

    def _refuse(self) -> None:
        self._log()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._json(405, _error(405, f"{self.command} is not served: the stand-in is read-only"))

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def do_GET(self) -> None:
        path, query = self._log()
        fault = self.server.take_fault(path)
        if fault == 0:
            return self._send(200, b'{"kind": "compute#firewallList", "items": [{"name": ')
        if fault is not None:
            return self._json(fault, _error(fault, f"injected fault {fault}"))
        for pattern, route in _ROUTES:
            m = pattern.match(path)
            if m:
                return route(self, m, query)
        return self._json(404, _error(404, f"The resource '{path}' was not found"))

    # -- data ---------------------------------------------------------------------------------
    def _project_dir(self, project: str, permission: str) -> Path | None:
        d = self.server.fixtures / "projects" / project
        if project in self.server.forbidden or not d.is_dir():
            msg = f"Required '{permission}' permission for 'projects/{project}'"
            self._json(403, _error(403, msg))
            return None
        return d

    def _load(self, path: Path) -> Any:
        return json.loads(path.read_text()) if path.exists() else []

    def _page(self, items: list[Any], query: dict[str, list[str]]) -> tuple[list[Any], str]:
        start = int((query.get("pageToken") or ["p0"])[0].lstrip("p") or 0)
        size = min(int((query.get("maxResults") or [str(self.server.page_size)])[0]), 500)
        nxt = f"p{start + size}" if start + size < len(items) else ""
        return items[start : start + size], nxt

    def _list(self, project: str, file: str, kind: str, coll: str, query: dict[str, list[str]],
              keep: Callable[[Any], bool] = lambda _: True) -> None:  # fmt: skip
        d = self._project_dir(project, f"compute.{coll.rsplit('/', 1)[-1]}.list")
        if d is None:
            return None
        raw = d / f"{file}.raw"
        if raw.exists():
            return self._send(200, raw.read_bytes())
        items, nxt = self._page([x for x in self._load(d / f"{file}.json") if keep(x)], query)
        items = [_list_view(x, self.server.lists_omit_rules) for x in items]
        body: dict[str, Any] = {"kind": kind, "id": f"projects/{project}/{coll}"}
        if items:
            body["items"] = items
        body["selfLink"] = f"{SELF}/projects/{project}/{coll}"
        if nxt:
            body["nextPageToken"] = nxt
        return self._json(200, body)


def _list_view(item: Any, omit_rules: bool) -> Any:
    if omit_rules and isinstance(item, dict) and item.get("kind") == "compute#firewallPolicy":
        return {k: v for k, v in item.items() if k != "rules"}
    return item


def _get_one(h: _Handler, items: list[Any], name: str, path: str) -> None:
    for x in items:
        if x.get("name") == name:
            return h._json(200, x)
    return h._json(404, _error(404, f"The resource '{path}' was not found"))


def _net_policy_get(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    d = h._project_dir(m[1], "compute.networkFirewallPolicies.get")
    if d is not None:
        _get_one(h, h._load(d / "network-firewall-policies.json"), m[2], m[0])


def _region_policy_get(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    d = h._project_dir(m[1], "compute.regionNetworkFirewallPolicies.get")
    if d is not None:
        pols = h._load(d / "regional-network-firewall-policies.json")
        _get_one(h, [p for p in pols if _in_region(m[2])(p)], m[3], m[0])


def _hier_policy_get(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    _get_one(h, h._load(h.server.fixtures / "hierarchical" / "firewall-policies.json"), m[1], m[0])


def _in_region(region: str) -> Callable[[Any], bool]:
    return lambda x: str(x.get("region", "")).rstrip("/").endswith(f"/regions/{region}")


def _firewalls(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    h._list(m[1], "firewall-rules", "compute#firewallList", "global/firewalls", q)


def _networks(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    h._list(m[1], "networks", "compute#networkList", "global/networks", q)


def _net_policies(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    h._list(m[1], "network-firewall-policies", "compute#firewallPolicyList",
            "global/firewallPolicies", q)  # fmt: skip


def _region_policies(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    h._list(m[1], "regional-network-firewall-policies", "compute#firewallPolicyList",
            f"regions/{m[2]}/firewallPolicies", q, _in_region(m[2]))  # fmt: skip


def _region_subnets(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    h._list(m[1], "subnets", "compute#subnetworkList", f"regions/{m[2]}/subnetworks", q,
            _in_region(m[2]))  # fmt: skip


def _aggregated(
    h: _Handler, project: str, items: list[Any], q: dict[str, list[str]], spec: tuple[str, str, str]
) -> None:
    """One page of ``items`` in the ``<kind>AggregatedList`` shape, grouped by region or zone.
    ``spec`` is (resource, the field that names the scope, the scope's plural)."""
    resource, scope_field, scopes = spec
    page, nxt = h._page(items, q)
    grouped: dict[str, dict[str, list[Any]]] = {}
    for item in page:
        where = str(item.get(scope_field, "")).rstrip("/").rsplit("/", 1)[-1]
        grouped.setdefault(f"{scopes}/{where}", {resource: []})[resource].append(item)
    kind = resource[:-1] if resource.endswith("s") else resource
    body: dict[str, Any] = {
        "kind": f"compute#{kind}AggregatedList",
        "id": f"projects/{project}/aggregated/{resource}",
        "items": grouped,
        "selfLink": f"{SELF}/projects/{project}/aggregated/{resource}",
    }
    if nxt:
        body["nextPageToken"] = nxt
    return h._json(200, body)


def _aggregated_subnets(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    d = h._project_dir(m[1], "compute.subnetworks.list")
    if d is None:
        return None
    raw = d / "subnets.raw"
    if raw.exists():
        return h._send(200, raw.read_bytes())
    spec = ("subnetworks", "region", "regions")
    return _aggregated(h, m[1], h._load(d / "subnets.json"), q, spec)


def _aggregated_instances(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    """``projects/<p>/instances.json`` (optional) grouped by zone, as instances.aggregatedList."""
    d = h._project_dir(m[1], "compute.instances.list")
    if d is None:
        return None
    return _aggregated(h, m[1], h._load(d / "instances.json"), q, ("instances", "zone", "zones"))


def _hier_policies(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    parent = (q.get("parentId") or [""])[0]
    pols = h._load(h.server.fixtures / "hierarchical" / "firewall-policies.json")
    page, nxt = h._page([p for p in pols if p.get("parent") == parent], q)
    page = [_list_view(p, h.server.lists_omit_rules) for p in page]
    body: dict[str, Any] = {"kind": "compute#firewallPolicyList", "items": page}
    if nxt:
        body["nextPageToken"] = nxt
    return h._json(200, body)


def _rm_projects(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    projects = h._load(h.server.fixtures / "resourcemanager" / "projects.json")
    page, nxt = h._page(projects, q)
    body: dict[str, Any] = {"projects": page}
    if nxt:
        body["nextPageToken"] = nxt
    return h._json(200, body)


def _v3_project(p: dict[str, Any], pid: str) -> dict[str, Any]:
    """A v1 project record (``project.json``) in the v3 shape."""
    parent = p.get("parent") or {}
    return {
        "name": f"projects/{p.get('projectNumber', '')}",
        "parent": f"{parent.get('type', '')}s/{parent.get('id', '')}" if parent else "",
        "projectId": p.get("projectId", pid),
        "state": p.get("lifecycleState", "ACTIVE"),
        "displayName": p.get("name", pid),
        "createTime": p.get("createTime", ""),
    }


def _rm_project(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    d = h._project_dir(m[1], "resourcemanager.projects.get")
    if d is None:
        return None
    return h._json(200, _v3_project(h._load(d / "project.json"), m[1]))


def _rm_projects_v3(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    """v3 ``projects.list?parent=``: the direct children of one organization or folder."""
    parent = (q.get("parent") or [""])[0]
    found = [_v3_project(h._load(f), f.parent.name)
             for f in sorted((h.server.fixtures / "projects").glob("*/project.json"))]  # fmt: skip
    page, nxt = h._page([p for p in found if p["parent"] == parent], q)
    return h._json(200, {"projects": page, **({"nextPageToken": nxt} if nxt else {})})


def _rm_folders(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    """v3 ``folders.list?parent=``: the direct child folders of one organization or folder."""
    parent = (q.get("parent") or [""])[0]
    if parent in h.server.forbidden:
        denied = f"Permission 'resourcemanager.folders.list' denied on '{parent}'"
        return h._json(403, _error(403, denied))
    folders = h._load(h.server.fixtures / "resourcemanager" / "folders.json")
    page, nxt = h._page([f for f in folders if f.get("parent") == parent], q)
    return h._json(200, {"folders": page, **({"nextPageToken": nxt} if nxt else {})})


def _rm_folder(h: _Handler, m: re.Match[str], q: dict[str, list[str]]) -> None:
    for f in h._load(h.server.fixtures / "resourcemanager" / "folders.json"):
        if f.get("name") == f"folders/{m[1]}":
            return h._json(200, f)
    return h._json(403, _error(403, "The caller does not have permission"))


_P = r"/compute/v1/projects/([^/]+)"
_ROUTES: list[tuple[re.Pattern[str], Route]] = [
    (re.compile(rf"^{_P}/global/firewalls$"), _firewalls),
    (re.compile(rf"^{_P}/global/networks$"), _networks),
    (re.compile(rf"^{_P}/global/firewallPolicies$"), _net_policies),
    (re.compile(rf"^{_P}/regions/([^/]+)/firewallPolicies$"), _region_policies),
    (re.compile(rf"^{_P}/global/firewallPolicies/([^/]+)$"), _net_policy_get),
    (re.compile(rf"^{_P}/regions/([^/]+)/firewallPolicies/([^/]+)$"), _region_policy_get),
    (re.compile(r"^/compute/v1/locations/global/firewallPolicies/([^/]+)$"), _hier_policy_get),
    (re.compile(rf"^{_P}/regions/([^/]+)/subnetworks$"), _region_subnets),
    (re.compile(rf"^{_P}/aggregated/subnetworks$"), _aggregated_subnets),
    (re.compile(rf"^{_P}/aggregated/instances$"), _aggregated_instances),
    (re.compile(r"^/compute/v1/locations/global/firewallPolicies$"), _hier_policies),
    (re.compile(r"^/v1/projects$"), _rm_projects),
    (re.compile(r"^/v3/projects$"), _rm_projects_v3),
    (re.compile(r"^/v3/folders$"), _rm_folders),
    (re.compile(r"^/v3/projects/([^/]+)$"), _rm_project),
    (re.compile(r"^/v3/folders/([^/]+)$"), _rm_folder),
]

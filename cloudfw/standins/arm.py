"""A small Azure Resource Manager stand-in: stdlib HTTP on 127.0.0.1, recorded JSON fixtures.

Fixtures live in ``<fixtures_dir>/arm/`` as files that mirror ARM paths, e.g.
``arm/subscriptions/<sub>/providers/Microsoft.Network/networkSecurityGroups.json``. A file holding
``{"value": [...]}`` is a collection and is served in pages of ``page_size`` with a ``nextLink``
(absolute and relative links alternate; api-version is kept in the link, as ARM does). Paths
are matched case-insensitively. A collection that has no file under a known subscription is
served as ``{"value": []}``.

Faults (``Faults``, or ``<fixtures_dir>/faults.json``): subscriptions or path substrings that
answer 403 ``AuthorizationFailed``; paths that answer 429 with ``Retry-After`` or 503 a number of
times before they succeed. Requests without ``api-version`` get 400, without a bearer token
401, and every method but GET gets 405. Every request is recorded in ``server.requests``.

Used by tests and by ``cloudfw demo``; no cloud SDK is imported here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cloudfw.model import CloudfwError
from cloudfw.providers.base import is_loopback

_SUBS_PREFIX = "/subscriptions/"


class StandinError(CloudfwError):
    """Bad stand-in setup (fixture directory, fault file) or a non-loopback use."""


@dataclass
class Faults:
    """Configurable failures. Path keys are lower-case substrings of the request path."""

    forbidden_subscriptions: frozenset[str] = frozenset()
    forbidden_paths: frozenset[str] = frozenset()
    throttle: dict[str, int] = field(default_factory=dict)
    server_errors: dict[str, int] = field(default_factory=dict)
    retry_after: int = 1

    @staticmethod
    def load(path: Path) -> Faults:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StandinError(f"{path}: cannot read fault file: {exc}") from None
        if not isinstance(doc, dict):
            raise StandinError(f"{path}: expected a JSON object")
        try:
            return Faults(
                forbidden_subscriptions=_lower_set(doc.get("forbidden_subscriptions", [])),
                forbidden_paths=_lower_set(doc.get("forbidden_paths", [])),
                throttle={k.lower(): int(v) for k, v in doc.get("throttle", {}).items()},
                server_errors={k.lower(): int(v) for k, v in doc.get("server_errors", {}).items()},
                retry_after=int(doc.get("retry_after", 1)),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise StandinError(f"{path}: bad fault file: {exc}") from None


def _lower_set(items: list[str]) -> frozenset[str]:
    return frozenset(s.lower() for s in items)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    status: int


def load_fixtures(fixtures_dir: Path) -> dict[str, Any]:
    """Index ``<fixtures_dir>/arm/**/*.json`` by lower-cased ARM path."""
    root = fixtures_dir / "arm"
    if not root.is_dir():
        raise StandinError(f"{root}: no such fixture directory")
    index: dict[str, Any] = {}
    for f in sorted(root.rglob("*.json")):
        rel = "/" + f.relative_to(root).with_suffix("").as_posix()
        try:
            index[rel.lower()] = json.loads(f.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise StandinError(f"{f}: invalid JSON: {exc}") from None
    return index


class ArmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fixtures: dict[str, Any], faults: Faults, page_size: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fixtures = fixtures
        self.faults = faults
        self.page_size = max(1, page_size)
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.subscriptions = {
            k.split("/")[2] for k in fixtures if k.startswith(_SUBS_PREFIX) and k.count("/") > 2
        }

    def take_fault(self, table: dict[str, int], path: str) -> bool:
        with self.lock:
            for key, left in table.items():
                if left > 0 and key in path:
                    table[key] = left - 1
                    return True
        return False

    def record(self, r: Request) -> None:
        with self.lock:
            self.requests.append(r)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    server: ArmServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] = {}) -> None:
        u = urlsplit(self.path)
        self.server.record(Request(self.command, u.path, u.query, status))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", f"standin-{len(self.server.requests)}")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(
            405, _error("MethodNotAllowed", f"the ARM stand-in is read-only ({self.command})")
        )

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def do_GET(self) -> None:
        u = urlsplit(self.path)
        path = u.path.rstrip("/").lower()
        query = dict(parse_qsl(u.query, keep_blank_values=True))
        srv = self.server
        if not (self.headers.get("Authorization") or "").startswith("Bearer "):
            return self._send(401, _error("AuthenticationFailed", "missing bearer token"))
        if "api-version" not in query:
            return self._send(400, _error("MissingApiVersionParameter", "api-version is required"))
        sub = path.split("/")[2] if path.startswith(_SUBS_PREFIX) else ""
        denied = any(p in path for p in srv.faults.forbidden_paths)
        if denied or (sub and sub in srv.faults.forbidden_subscriptions):
            msg = (
                f"The client does not have authorization to perform action "
                f"'Microsoft.Network/*/read' over scope '/subscriptions/{sub}' "
                "or the scope is invalid."
            )
            return self._send(403, _error("AuthorizationFailed", msg))
        if srv.take_fault(srv.faults.throttle, path):
            ra = str(srv.faults.retry_after)
            return self._send(429, _error("TooManyRequests", "throttled"), {"Retry-After": ra})
        if srv.take_fault(srv.faults.server_errors, path):
            return self._send(503, _error("ServiceUnavailable", "try again later"))
        doc = srv.fixtures.get(path)
        if doc is None:
            if sub and sub in srv.subscriptions:
                doc = {"value": []}
            elif sub:
                return self._send(
                    404, _error("SubscriptionNotFound", f"subscription {sub} not found")
                )
            else:
                return self._send(404, _error("ResourceNotFound", f"no fixture for {u.path}"))
        if isinstance(doc, dict) and isinstance(doc.get("value"), list):
            return self._send(200, self._page(u.path, query, doc["value"]))
        return self._send(200, doc)

    def _page(self, path: str, query: dict[str, str], items: list[Any]) -> dict[str, Any]:
        size = self.server.page_size
        try:
            page = int(query.get("$skipToken", "0"))
        except ValueError:
            page = 0
        body: dict[str, Any] = {"value": items[page * size : (page + 1) * size]}
        if (page + 1) * size < len(items):
            q = {k: v for k, v in query.items() if k != "$skipToken"}
            q["$skipToken"] = str(page + 1)
            rel = f"{path}?{urlencode(q, safe='$')}"
            # even pages give an absolute link, odd pages a relative one: clients must take both
            body["nextLink"] = f"http://{self.headers['Host']}{rel}" if page % 2 == 0 else rel
        return body


def start(
    fixtures_dir: Path, *, faults: Faults | None = None, page_size: int = 2
) -> tuple[ArmServer, str]:
    """Serve ``fixtures_dir`` on 127.0.0.1 (free port) in a daemon thread -> (server, base_url).

    Without ``faults``, ``<fixtures_dir>/faults.json`` is used when it exists. Stop with `stop`.
    """
    fixtures = load_fixtures(fixtures_dir)
    if faults is None:
        ff = fixtures_dir / "faults.json"
        faults = Faults.load(ff) if ff.exists() else Faults()
    srv = ArmServer(fixtures, faults, page_size)
    threading.Thread(target=srv.serve_forever, name="arm-standin", daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


def stop(server: ArmServer) -> None:
    server.shutdown()
    server.server_close()


def is_loopback_url(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname or "")


class StaticBearerPolicy:
    """An azure-core pipeline policy (duck-typed ``HTTPPolicy``) for the loopback stand-in.

    Pass it as ``authentication_policy``: it adds ``Authorization: Bearer <token>`` and refuses any
    request that is not for a loopback host, so a test token can never leave the machine.
    """

    next: Any

    def __init__(self, token: str = "standin-token") -> None:
        self._token = token

    def send(self, request: Any) -> Any:
        url = str(request.http_request.url)
        if not is_loopback_url(url):
            raise StandinError(f"StaticBearerPolicy refuses a non-loopback request: {url}")
        request.http_request.headers["Authorization"] = f"Bearer {self._token}"
        return self.next.send(request)

"""A recording, paging, throttling HTTP proxy in front of moto's server (127.0.0.1 only).

moto neither pages nor throttles, and cannot tell us afterwards which calls it served. This proxy
speaks the real EC2/STS query protocol to boto3 and forwards to moto:

* records (service, region, action) of every request;
* splits the list of the EC2 describe calls in ``PAGED`` into pages of ``page_size`` items with a
  ``nextToken`` (the offset), as real AWS does;
* answers the first ``throttle[action]`` calls of an action with HTTP 503 ``RequestLimitExceeded``
  (``-1``: always);
* keeps only ``regions`` in a DescribeRegions answer, when set.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAGED = {
    "DescribeSecurityGroups": "securityGroupInfo",
    "DescribeSecurityGroupRules": "securityGroupRuleSet",
    "DescribeNetworkAcls": "networkAclSet",
    "DescribeNetworkInterfaces": "networkInterfaceSet",
    "DescribeFlowLogs": "flowLogSet",
    "DescribeVpcs": "vpcSet",
    "DescribeSubnets": "subnetSet",
    "GetManagedPrefixListEntries": "entrySet",
}
THROTTLED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>cloudfw-proxy</RequestID></Response>"
)
_CRED = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")


@dataclass(frozen=True)
class Call:
    service: str
    region: str
    action: str


@dataclass
class ProxyState:
    upstream: str  # host:port of moto
    page_size: int = 0  # 0: no paging
    throttle: dict[str, int] = field(default_factory=dict)
    regions: tuple[str, ...] = ()
    calls: list[Call] = field(default_factory=list)
    pages_served: dict[str, int] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        action = form.get("Action", [""])[0]
        action = action or self.headers.get("X-Amz-Target", "").rpartition(".")[2]  # JSON APIs
        m = _CRED.search(self.headers.get("Authorization", ""))
        region, service = (m.group(1), m.group(2)) if m else ("?", "?")
        with st.lock:
            st.calls.append(Call(service, region, action))
            left = st.throttle.get(action, 0)
            if left:
                st.throttle[action] = left - 1 if left > 0 else left
                st.throttled[action] = st.throttled.get(action, 0) + 1
        if left:
            return self._reply(503, "text/xml", THROTTLED)
        offset = 0
        paged = st.page_size > 0 and action in PAGED
        if paged:
            offset = int(form.pop("NextToken", ["0"])[0])
            form.pop("MaxResults", None)
            body = urllib.parse.urlencode(form, doseq=True).encode()
        status, ctype, payload = self._forward(body)
        if status == 200 and paged:
            payload = _page(payload, PAGED[action], offset, st.page_size)
            with st.lock:
                st.pages_served[action] = st.pages_served.get(action, 0) + 1
        if status == 200 and action == "DescribeRegions" and st.regions:
            payload = _keep_regions(payload, st.regions)
        self._reply(status, ctype, payload)

    def _forward(self, body: bytes) -> tuple[int, str, bytes]:
        conn = http.client.HTTPConnection(self.server.state.upstream, timeout=60)
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
        }
        try:
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", "text/xml"), resp.read()
        finally:
            conn.close()

    def _reply(self, status: int, ctype: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _parse(payload: bytes) -> tuple[ET.Element, str]:
    """The root element and its ``{namespace}`` prefix (moto's EC2 namespace varies)."""
    root = ET.fromstring(payload)
    ns = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    if ns:
        ET.register_namespace("", ns[1:-1])
    return root, ns


def _page(payload: bytes, list_tag: str, offset: int, size: int) -> bytes:
    root, ns = _parse(payload)
    holder = root.find(f"{ns}{list_tag}")
    if holder is None:
        raise AssertionError(f"proxy: no <{list_tag}> in {root.tag}")
    items = list(holder)
    for item in items:
        holder.remove(item)
    holder.extend(items[offset : offset + size])
    for old in root.findall(f"{ns}nextToken"):
        root.remove(old)
    if offset + size < len(items):
        ET.SubElement(root, f"{ns}nextToken").text = str(offset + size)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _keep_regions(payload: bytes, keep: tuple[str, ...]) -> bytes:
    root, ns = _parse(payload)
    holder = root.find(f"{ns}regionInfo")
    if holder is None:
        return payload
    for item in list(holder):
        if item.findtext(f"{ns}regionName") not in keep:
            holder.remove(item)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ProxyState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class Proxy:
    """``with Proxy(ProxyState(upstream=...)) as p:`` -> ``p.endpoint``; stopped on exit."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self._server = _Server(state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

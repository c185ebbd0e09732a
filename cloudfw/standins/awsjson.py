"""The AWS JSON protocol (1.0 and 1.1) on 127.0.0.1, for the stand-ins of services moto lacks:
one POST per call, the operation in ``X-Amz-Target``, a JSON document in and out. Stdlib only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: (HTTP status, JSON body)
Answer = tuple[int, Mapping[str, Any]]
#: (X-Amz-Target, request headers, request document) -> answer
Handle = Callable[[str, Mapping[str, str], dict[str, Any]], Answer]


class AwsJsonServer:
    """Serves ``handle`` on a free loopback port until `stop`; a body that is not JSON gets
    AWS's ``SerializationException``."""

    def __init__(self, handle: Handle, content_type: str) -> None:
        self._handle = handle
        self._content_type = content_type
        self._server: ThreadingHTTPServer | None = None
        self.endpoint = ""

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    req = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._send(400, {"__type": "SerializationException"})
                headers = dict(self.headers.items())
                target = self.headers.get("X-Amz-Target", "")
                return self._send(*server._handle(target, headers, req))

            def _send(self, code: int, body: Mapping[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", server._content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

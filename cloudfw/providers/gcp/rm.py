"""Resource Manager over plain REST (GET only): project listing (all visible, or under an
organization / folder) and project ancestry.

google-cloud-resource-manager is not a dependency: three GET calls do not justify it. Requests go
through google-auth's ``AuthorizedSession`` (imported lazily), so the same credentials apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_DEPTH = 12  # folders nest at most 10 deep under an organization


class RmError(Exception):
    """A Resource Manager call failed; the message names the call (never the credentials)."""


class ResourceManager:
    def __init__(
        self,
        base_url: str,
        credentials: object,
        retry_initial: float,
        attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from google.auth.transport.requests import AuthorizedSession

        self.base = base_url.rstrip("/")
        self.session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        self.retry_initial = retry_initial
        self.attempts = attempts
        self.sleep = sleep

    def close(self) -> None:
        self.session.close()  # type: ignore[no-untyped-call]

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        delay = self.retry_initial
        for attempt in range(self.attempts):
            try:
                r = self.session.get(f"{self.base}{path}", params=params, timeout=30)
            except Exception as exc:  # transport errors: report, never crash
                raise RmError(f"GET {path}: {type(exc).__name__}: {exc}") from None
            if r.status_code in RETRYABLE and attempt + 1 < self.attempts:
                self.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if r.status_code >= 400:
                raise RmError(f"{r.status_code} GET {path}: {_message(r)}")
            try:
                doc = r.json()
            except ValueError:
                raise RmError(f"GET {path}: malformed response (not JSON)") from None
            if not isinstance(doc, dict):
                raise RmError(f"GET {path}: malformed response (not a JSON object)")
            return doc
        raise RmError(f"GET {path}: gave up after {self.attempts} attempts")

    def list_projects(self) -> list[str]:
        """Every ACTIVE project the credential can see (v1 ``projects.list``, paged)."""
        out: list[str] = []
        token = ""
        while True:
            doc = self.get("/v1/projects", {"pageToken": token} if token else None)
            for p in doc.get("projects", []):
                if isinstance(p, dict) and p.get("lifecycleState", "ACTIVE") == "ACTIVE":
                    pid = p.get("projectId")
                    if isinstance(pid, str) and pid:
                        out.append(pid)
            token = str(doc.get("nextPageToken") or "")
            if not token:
                return out

    def _pages(self, path: str, key: str, parent: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token = ""
        while True:
            params = {"parent": parent, **({"pageToken": token} if token else {})}
            doc = self.get(path, params)
            out.extend(x for x in doc.get(key, []) if isinstance(x, dict))
            token = str(doc.get("nextPageToken") or "")
            if not token:
                return out

    def projects_under(self, parent: str) -> list[str]:
        """Every ACTIVE project under ``parent`` (``organizations/N`` or ``folders/N``) and its
        ACTIVE folders, at any depth (v3 ``projects.list`` and ``folders.list``, paged)."""
        out: list[str] = []
        queue, seen = [parent], set()
        while queue:
            node = queue.pop(0)
            if node in seen:
                continue
            seen.add(node)
            for p in self._pages("/v3/projects", "projects", node):
                pid = p.get("projectId")
                if p.get("state", "ACTIVE") == "ACTIVE" and isinstance(pid, str) and pid:
                    out.append(pid)
            for f in self._pages("/v3/folders", "folders", node):
                name = f.get("name")
                if f.get("state", "ACTIVE") == "ACTIVE" and isinstance(name, str) and name:
                    queue.append(name)
        return out

    def ancestry(self, project: str, folder_parents: dict[str, str]) -> list[str]:
        """The project's ancestors top-down (``organizations/N``, ``folders/N``...).

        ``folder_parents`` caches folder -> parent across projects (shared between workers).
        """
        doc = self.get(f"/v3/projects/{project}")
        node = str(doc.get("parent") or "")
        chain: list[str] = []
        while node and len(chain) < MAX_DEPTH:
            chain.append(node)
            if not node.startswith("folders/"):
                break
            if node not in folder_parents:
                folder = self.get(f"/v3/{node}")
                folder_parents[node] = str(folder.get("parent") or "")
            node = folder_parents[node]
        return list(reversed(chain))


def _message(r: Any) -> str:
    try:
        err = r.json().get("error", {})
        return str(err.get("message") or err.get("status") or r.reason)
    except (ValueError, AttributeError):
        return str(r.reason)

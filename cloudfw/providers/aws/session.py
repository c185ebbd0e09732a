"""Read-only boto3 sessions: every client made from them refuses non-read-only operations.

Defense in depth next to the IAM policy in ``policies/iam/aws-readonly.json``: a botocore
``before-parameter-build`` handler raises before a request is even built, unless the operation
name starts with Describe, List, Get or Lookup. The one exception is `credentials_client`: an
STS client that may also call AssumeRole (it changes nothing; it is how cloudfw enters member
accounts), and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3.session
import botocore.loaders
from botocore.config import Config

from cloudfw.providers.aws.tuning import AwsTuning
from cloudfw.providers.base import CollectError, is_loopback

READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Lookup")
MAX_POOL = 64  # connections a client keeps (botocore's default is 10)
GUARD_ID = "cloudfw-read-only-guard"

SessionFactory = Callable[[], boto3.session.Session]


class ReadOnlyViolation(CollectError):
    """cloudfw tried to make an AWS call that could change something. Always a bug."""


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES)


CREDENTIAL_CALLS = frozenset({"AssumeRole"})


def _refuse(model: Any, also: frozenset[str]) -> None:
    name = str(getattr(model, "name", ""))
    if not is_read_only(name) and name not in also:
        service = getattr(getattr(model, "service_model", None), "service_name", "?")
        raise ReadOnlyViolation(f"refused non-read-only AWS call {service}:{name}")


def _guard(model: Any = None, **_: Any) -> None:
    _refuse(model, frozenset())


def _credentials_guard(model: Any = None, **_: Any) -> None:
    _refuse(model, CREDENTIAL_CALLS)


def default_session() -> boto3.session.Session:
    return boto3.session.Session()


_LOADERS: dict[str | None, Any] = {}  # botocore's data path -> this process's one loader
_LOADERS_LOCK = threading.Lock()


def _share_loader(session: boto3.session.Session) -> None:
    """Give ``session`` this process's loader of botocore's data. A loader caches what it
    parsed, and a new session's own loader would parse the service models again (EC2's alone
    is megabytes of JSON): in an organization scan, where every account is a new session, that
    was most of the CPU."""
    core = session._session
    path = core.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(path)
        if loader is None:
            loader = _LOADERS[path] = botocore.loaders.create_loader(path)
    core.register_component("data_loader", loader)


def read_only_session(factory: SessionFactory | None = None) -> boto3.session.Session:
    """A session from ``factory`` (default: the standard credential chain) with the guard on,
    reading botocore's data through the process's shared loader."""
    session = (factory or default_session)()
    _share_loader(session)
    session.events.register("before-parameter-build", _guard, unique_id=GUARD_ID)
    return session


def make_client(session: boto3.session.Session, service: str, region: str, config: Config) -> Any:
    """A client whose endpoint (``AWS_ENDPOINT_URL*`` included) is https, or http on loopback."""
    client = session.client(service, region_name=region, config=config)
    url = str(client.meta.endpoint_url)
    parts = urlsplit(url)
    if parts.scheme != "https" and not (
        parts.scheme == "http" and is_loopback(parts.hostname or "")
    ):
        raise CollectError(
            f"{service} endpoint {url}: plain http is allowed only for loopback; use https"
        )
    return client


def client_config(tuning: AwsTuning) -> Config:
    return Config(
        # total_max_attempts counts the first request too, like AWS_MAX_ATTEMPTS
        retries={"mode": tuning.retry_mode, "total_max_attempts": tuning.max_attempts},
        connect_timeout=tuning.connect_timeout,
        read_timeout=tuning.read_timeout,
        user_agent_extra="cloudfw",
        max_pool_connections=MAX_POOL,  # a client of assumed roles serves a process's threads
    )


def credentials_client(session: boto3.session.Session, region: str, config: Config) -> Any:
    """An STS client of the guarded ``session`` whose guard also lets AssumeRole through (a
    client's handlers are its own copy: the session's other clients keep the strict guard)."""
    sts = make_client(session, "sts", region, config)
    sts.meta.events.unregister("before-parameter-build", unique_id=GUARD_ID)
    sts.meta.events.register("before-parameter-build", _credentials_guard, unique_id=GUARD_ID)
    return sts

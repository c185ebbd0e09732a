"""Sessions in other accounts: STS AssumeRole from this process's own identity, refreshed.

Each unit of an organization scan (account x region) runs where the executor puts it: a thread
here, or a task on a Dask worker. It brings no credentials: it names an account and a role, and
the process that runs it assumes that role from its *own* identity (the standard credential
chain, or the test's session factory when it runs here), so nothing secret is ever pickled.

The temporary credentials are botocore ``RefreshableCredentials``: botocore calls AssumeRole
again when they are 15 minutes from expiry (10 minutes: it must), so a run longer than the role
session never fails on expired tokens. Sessions are cached per process, per run and role (a few
regions of one account share one AssumeRole), and every one carries the read-only guard.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3.session
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials

from cloudfw.providers.aws.fetch import AwsCallError, call
from cloudfw.providers.aws.scope import SESSION_NAME
from cloudfw.providers.aws.session import (
    credentials_client,
    make_client,
    read_only_session,
)

Factory = Callable[[], boto3.session.Session] | None
CACHE_SIZE = 64  # assumed sessions kept per process (units come account by account)


@dataclass(frozen=True)
class Target:
    """An account to read, and the role to assume there (None: the identity's own account)."""

    account: str
    role_arn: str | None = None
    external_id: str | None = None
    duration: int = 3600  # seconds a role session lasts before botocore refreshes it


class _Fixed(CredentialProvider):  # type: ignore[misc]  # botocore is untyped
    METHOD = "cloudfw-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    session: boto3.session.Session | None = None


class Sessions:
    """Guarded sessions by (run, role), bounded, thread-safe: one AssumeRole per role however
    many threads want it, different roles in parallel; clients are made under the session's
    lock (boto3 sessions are not thread-safe, their clients are)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str | None, str | None], _Entry] = OrderedDict()

    def client(
        self, run: str, target: Target, factory: Factory, service: str, region: str, config: Any
    ) -> Any:
        """A client of ``service`` in ``target``'s account. Raises `AwsCallError` when the role
        cannot be assumed (the message names the role, AssumeRole and the error code)."""
        key = (run, target.role_arn, target.external_id)
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                entry = self._cache[key] = _Entry()
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
        with entry.lock:
            if entry.session is None:
                home = read_only_session(factory)
                entry.session = (
                    home if target.role_arn is None else _assumed(home, target, region, config)
                )
            return make_client(entry.session, service, region, config)


def _assumed(
    home: boto3.session.Session, target: Target, region: str, config: Any
) -> boto3.session.Session:
    assert target.role_arn is not None
    sts = credentials_client(home, region, config)
    params: dict[str, Any] = {
        "RoleArn": target.role_arn,
        "RoleSessionName": SESSION_NAME,
        "DurationSeconds": target.duration,
    }
    if target.external_id:
        params["ExternalId"] = target.external_id

    def fetch() -> dict[str, str]:
        got = call(sts, "assume_role", **params)["Credentials"]
        return {
            "access_key": str(got["AccessKeyId"]),
            "secret_key": str(got["SecretAccessKey"]),
            "token": str(got["SessionToken"]),
            "expiry_time": got["Expiration"].isoformat(),
        }

    try:
        first = fetch()
    except AwsCallError as exc:
        raise AwsCallError(f"cannot assume {target.role_arn}: {exc}") from exc
    creds = RefreshableCredentials.create_from_metadata(
        metadata=first, refresh_using=fetch, method=_Fixed.METHOD
    )
    core = botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", _Fixed(creds))
    return read_only_session(lambda: boto3.session.Session(botocore_session=core))


SESSIONS = Sessions()  # this process's cache: one per worker process, shared by its threads

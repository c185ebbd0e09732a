"""Sessions in other accounts: STS AssumeRole from this process's own identity, refreshed.

Each unit of an organization scan (account x region) runs where the executor puts it: a thread
here, or a task on a Dask worker. It brings no credentials: it names an account and a role, and
the process that runs it assumes that role from its *own* identity (the standard credential
chain, or the test's session factory when it runs here), so nothing secret is ever pickled.

The temporary credentials are botocore ``RefreshableCredentials``: botocore calls AssumeRole
again when they are 15 minutes from expiry (10 minutes: it must), so a run longer than the role
session never fails on expired tokens. They are cached per process, per run and role (a few
regions of one account share one AssumeRole).

Clients of assumed roles are shared: one per run, service and region in each process, whose
credentials are those of the account the calling thread has entered (`Sessions.clients`, a
context variable). A client costs ~10k objects in reference cycles (botocore's event handlers,
its class of ~600 methods for EC2): made anew for every account x region they were most of an
organization scan's CPU, and its garbage is what the cyclic collector of a Dask worker spent
its time on (or, with the collector paused, memory that grew with every account). A client used
outside an account raises instead of signing with someone else's keys. Every client carries the
read-only guard.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

import boto3.session
import botocore.session
from botocore.credentials import CredentialProvider, Credentials, RefreshableCredentials

from cloudfw.providers.aws.fetch import AwsCallError, call
from cloudfw.providers.aws.scope import SESSION_NAME
from cloudfw.providers.aws.session import (
    credentials_client,
    make_client,
    read_only_session,
)
from cloudfw.providers.base import CollectError

Factory = Callable[[], boto3.session.Session] | None
CACHE_SIZE = 64  # roles' credentials kept per process (units come account by account)
RUNS = 4  # runs whose clients a process keeps (a Dask worker serves run after run)


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    credentials: RefreshableCredentials | None = None


@dataclass(frozen=True)
class Target:
    """An account to read, and the role to assume there (None: the identity's own account)."""

    account: str
    role_arn: str | None = None
    external_id: str | None = None
    duration: int = 3600  # seconds a role session lasts before botocore refreshes it


class _Fixed(CredentialProvider):  # type: ignore[misc]  # botocore is untyped
    METHOD = "cloudfw-assume-role"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


_ENTERED: ContextVar[Credentials | None] = ContextVar("cloudfw_aws_account", default=None)


class _Entered(Credentials):  # type: ignore[misc]  # botocore is untyped
    """The credentials of the account the calling thread has entered (`Sessions.clients`)."""

    method = "cloudfw-entered-account"

    def __init__(self) -> None:  # no keys of its own
        pass

    @staticmethod
    def _now() -> Credentials:
        creds = _ENTERED.get()
        if creds is None:
            raise CollectError("an AWS client of assumed roles was used outside an account")
        return creds

    def get_frozen_credentials(self) -> Any:
        return self._now().get_frozen_credentials()

    def get_deferred_property(self, name: str) -> Callable[[], Any]:
        return lambda: getattr(self._now(), name, None)

    @property
    def access_key(self) -> str:
        return str(self._now().access_key)

    @property
    def secret_key(self) -> str:
        return str(self._now().secret_key)

    @property
    def token(self) -> str | None:
        return cast(str | None, self._now().token)


class _Run:
    """One run's state in this process: its home session (the identity roles are assumed
    from), the STS client that assumes them, and the clients shared by every account."""

    def __init__(self, factory: Factory) -> None:
        self.lock = threading.Lock()  # boto3 sessions are not thread-safe; clients are
        self.home = read_only_session(factory)
        self.sts: Any = None
        core = botocore.session.Session()
        core.get_component("credential_provider").insert_before("env", _Fixed(_Entered()))
        self.roles = read_only_session(lambda: boto3.session.Session(botocore_session=core))
        self.clients: dict[tuple[str, str], Any] = {}

    def client(self, assumed: bool, service: str, region: str, config: Any) -> Any:
        """A shared client of assumed roles, or a new one of the home identity's own account."""
        with self.lock:
            if not assumed:
                return make_client(self.home, service, region, config)
            got = self.clients.get((service, region))
            if got is None:
                got = self.clients[(service, region)] = make_client(
                    self.roles, service, region, config
                )
            return got

    def credentials_client(self, region: str, config: Any) -> Any:
        with self.lock:
            if self.sts is None:
                self.sts = credentials_client(self.home, region, config)
            return self.sts


class Sessions:
    """This process's runs (bounded) and their roles' credentials (bounded, thread-safe): one
    AssumeRole per role however many threads want it, different roles in parallel."""

    def __init__(self, size: int = CACHE_SIZE, runs: int = RUNS) -> None:
        self._size, self._runs_size = size, runs
        self._lock = threading.Lock()
        self._runs: OrderedDict[tuple[str, int], _Run] = OrderedDict()
        self._cache: OrderedDict[tuple[str, str | None, str | None], _Entry] = OrderedDict()

    def _run(self, run: str, factory: Factory) -> _Run:
        key = (run, id(factory))  # one factory per run (None on a cluster's workers)
        with self._lock:
            got = self._runs.get(key)
            if got is None:
                got = self._runs[key] = _Run(factory)
                while len(self._runs) > self._runs_size:
                    self._runs.popitem(last=False)
            self._runs.move_to_end(key)
            return got

    @contextmanager
    def clients(
        self,
        run: str,
        target: Target,
        factory: Factory,
        region: str,
        config: Any,
        *services: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Clients of ``services`` in ``target``'s account and ``region``, for the ``with``
        block (in the calling thread). Raises `AwsCallError` when the role cannot be assumed
        (the message names the role, AssumeRole and the error code)."""
        state = self._run(run, factory)
        assumed = target.role_arn is not None
        got = tuple(state.client(assumed, s, region, config) for s in services)
        if not assumed:
            yield got
            return
        token = _ENTERED.set(self._credentials(run, target, state, region, config))
        try:
            yield got
        finally:
            _ENTERED.reset(token)

    def _credentials(
        self, run: str, target: Target, state: _Run, region: str, config: Any
    ) -> Credentials:
        key = (run, target.role_arn, target.external_id)
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                entry = self._cache[key] = _Entry()
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
        with entry.lock:
            if entry.credentials is None:
                entry.credentials = _assumed(state.credentials_client(region, config), target)
            return entry.credentials


def _assumed(sts: Any, target: Target) -> RefreshableCredentials:
    assert target.role_arn is not None
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
    return RefreshableCredentials.create_from_metadata(
        metadata=first, refresh_using=fetch, method=_Fixed.METHOD
    )


SESSIONS = Sessions()  # this process's cache: one per worker process, shared by its threads

"""What every cloud collector shares: options, progress reporting and the error base."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from cloudfw.model import CloudfwError

if TYPE_CHECKING:
    from cloudfw.executor import Executor
    from cloudfw.providers.aws.scope import AwsScope

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class CollectError(CloudfwError):
    """Collection could not even start (bad endpoint, bad options). Per-scope failures are not
    errors: they are recorded in the snapshot's coverage and make the run incomplete (exit 3)."""


class Progress(Protocol):
    """Injected progress sink; the CLI renders it on stderr when stderr is a terminal."""

    def start(self, total: int, label: str) -> None: ...

    def advance(self, unit: str, ok: bool) -> None: ...

    def done(self) -> None: ...


class NullProgress:
    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, unit: str, ok: bool) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass(frozen=True)
class CollectOptions:
    """Scope and transport options for one collection run.

    Empty scope lists mean "everything the credential can see". ``workers`` bounds concurrency
    across scope units (account x region, subscription, project). ``executor`` runs the units
    (None: threads of this process); ``aws`` names other AWS accounts to read (None: the
    caller's own).
    """

    regions: tuple[str, ...] = ()
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()  # Azure: every subscription under these
    projects: tuple[str, ...] = ()
    gcp_parents: tuple[str, ...] = ()  # GCP: every project under organizations/N, folders/N
    azure_endpoint: str | None = None
    gcp_endpoint: str | None = None
    workers: int = 8
    clock: Clock = field(default=utc_now)
    executor: Executor | None = None
    aws: AwsScope | None = None


class EventSourceError(CollectError):
    """An event source that failed (listing, paging). ``location`` names it."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location


def is_loopback(host: str) -> bool:
    """A host name or address of this machine: where plain http is allowed (local stand-ins)."""
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False

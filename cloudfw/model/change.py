"""Change events: who changed which firewall rule, when, from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cloudfw.model.asset import SourceRef


class ChangeAction(StrEnum):
    AUTHORIZE = "authorize"
    REVOKE = "revoke"
    MODIFY = "modify"
    CREATE = "create"
    DELETE = "delete"
    DISABLE_LOGGING = "disable_logging"


@dataclass(frozen=True, slots=True)
class PortSpec:
    """``protocol`` lower-case; ``all`` with from/to None for every protocol. ICMP: type/code."""

    protocol: str
    from_port: int | None
    to_port: int | None


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    provider: str
    account: str
    region: str
    time: datetime
    action: ChangeAction
    event_name: str
    resource_id: str
    direction: str = ""
    peers: tuple[str, ...] = ()
    any_peer: bool = False
    ports: tuple[PortSpec, ...] = ()
    principal: str = ""
    source_ip: str = ""
    success: bool = True
    error_code: str = ""
    event_id: str = ""
    origin: SourceRef | None = None
    #: the changed rule's own action when the log says: "allow", "deny" or "" (unknown)
    rule_action: str = ""


@dataclass(frozen=True, slots=True)
class EnumerationEvent:
    """One read of firewall configuration or metadata (a ``Describe*``/``List*`` call, an
    Activity Log ``/read``, a GCP ``get``/``list``): it changes nothing, so it is never a
    :class:`ChangeEvent`. ``success`` False with an access-denied ``error_code`` is itself a
    signal (someone probing what their keys may read)."""

    provider: str
    account: str
    region: str
    time: datetime
    event_name: str
    resource_id: str = ""
    principal: str = ""
    source_ip: str = ""
    user_agent: str = ""
    success: bool = True
    error_code: str = ""
    event_id: str = ""
    origin: SourceRef | None = None

    @property
    def denied(self) -> bool:
        """The call was refused for lack of permission (not throttled, not a bad request)."""
        code = self.error_code.lower()
        return not self.success and any(m in code for m in DENIED_MARKERS)


#: error codes (any case, any part) that mean "not allowed": CloudTrail ``AccessDenied``,
#: ``Client.UnauthorizedOperation``, ``AccessDeniedException``; Azure ``AuthorizationFailed``,
#: ``Forbidden``; GCP status 7 ``PERMISSION_DENIED``
DENIED_MARKERS = ("accessdenied", "unauthorized", "authorizationfailed", "forbidden",
                  "permission_denied", "permissiondenied")  # fmt: skip


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_micros(t: datetime) -> int:
    """An aware time as whole microseconds since the epoch (exact: times compare as before)."""
    return (t - EPOCH) // _MICROSECOND


def from_epoch_micros(us: int) -> datetime:
    """`epoch_micros` undone: the same aware UTC time."""
    return EPOCH + timedelta(microseconds=us)

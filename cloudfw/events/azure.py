"""Azure Activity Log records -> ChangeEvent, folding each operation's Start/Accept/Success/
Failure records. Pure: no I/O.

One ``correlationId`` is shared by every operation of an "uber action": an ARM deployment or a
Terraform run writes many resources under one. The records of one operation share its
``operationId`` (REST/portal shape; ``properties.operationId`` in exports) and each record has its
own ``eventDataId``. So an operation is keyed by (correlationId, operationId), or by
(correlationId, resourceId, operationName) when the records carry no operationId. Its event id is
the operationId, else ``correlationId/`` + a digest of the resource and operation.

Accepted record shapes: the storage / Event Hub export (``operationName``, ``resultType``,
``identity.claims``, ``properties.requestbody``), the REST / portal JSON (``operationName.value``,
``status.value``, ``httpRequest.clientIpAddress``) and ``azure-mgmt-monitor``'s
``EventData.as_dict()`` (snake_case). Operation names and resource ids are matched
case-insensitively; resource ids are reported lower-case so exports and API reads agree.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from cloudfw.events.azure_rules import contents
from cloudfw.events.errors import RecordError
from cloudfw.events.normal import obj, parse_time, text
from cloudfw.model import ChangeAction, ChangeEvent, SourceRef

A = ChangeAction
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
PREFIXES = (
    "microsoft.network/networksecuritygroups/",
    "microsoft.network/azurefirewalls/",
    "microsoft.network/firewallpolicies/",
    "microsoft.network/networkwatchers/flowlogs/",
)
FIREWALL_RESOURCES = ("/networksecuritygroups/", "/azurefirewalls/", "/firewallpolicies/")
#: operations that change a resource; reads (``/read``) and actions (``/listKeys/action``,
#: ``/join/action``, ...) change no rule
CHANGING = ("/write", "/delete")
TERMINAL = {"success": True, "succeeded": True, "failure": False, "failed": False}


@dataclass(frozen=True, slots=True)
class AzureRecord:
    """The fields cloudfw needs, whatever the record shape."""

    operation: str  # lower-case
    status: str  # lower-case: start/started, accept/accepted, success/succeeded, failure/failed
    time: datetime
    resource_id: str  # lower-case
    correlation_id: str
    operation_id: str  # lower-case; "" when the record does not carry one
    caller_ip: str
    principal: str
    properties: Mapping[str, Any]
    sub_status: str
    location: str
    request: Mapping[str, Any]  # the decoded request body ({} when none)
    response: Mapping[str, Any]  # the decoded response body ({} when none)

    @property
    def key(self) -> tuple[str, ...]:
        """The operation this record belongs to."""
        if self.operation_id:
            return (self.correlation_id, self.operation_id)
        return (self.correlation_id, self.resource_id, self.operation)


def field_value(v: object) -> str:
    """LocalizableString ``{"value": ..}`` or a plain string."""
    if isinstance(v, Mapping):
        return text(v.get("value"))
    return text(v)


def first_of(rec: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if n in rec and rec[n] is not None:
            return rec[n]
    return None


def principal(rec: Mapping[str, Any]) -> str:
    ident = obj(rec.get("identity"), "identity")
    claims = obj(first_of(ident, "claims") or first_of(rec, "claims"), "identity.claims")
    for key in (UPN, "upn", OID, "appid"):
        if claims.get(key):
            return str(claims[key])
    return text(first_of(rec, "caller"))


def parse(rec: Mapping[str, Any]) -> AzureRecord | None:
    """Extract the common fields; None when the record is not a firewall change."""
    op = field_value(first_of(rec, "operationName", "operation_name")).lower()
    if not op:
        raise RecordError("missing", "operationName")
    rid = text(first_of(rec, "resourceId", "resource_id")).lower()
    relevant = op.startswith(PREFIXES) or (
        "diagnosticsettings/" in op and any(r in rid for r in FIREWALL_RESOURCES)
    )
    if not relevant or not op.endswith(CHANGING):
        return None
    status = text(first_of(rec, "resultType") or field_value(first_of(rec, "status"))).lower()
    http = obj(first_of(rec, "httpRequest", "http_request"), "httpRequest")
    ip = first_of(rec, "callerIpAddress") or first_of(http, "clientIpAddress", "client_ip_address")
    props = obj(first_of(rec, "properties"), "properties")
    corr = text(first_of(rec, "correlationId", "correlation_id"))
    if not corr:
        raise RecordError("missing", "correlationId")
    op_id = first_of(rec, "operationId", "operation_id") or _field(props, "operationid")
    return AzureRecord(
        operation=op,
        status=status,
        time=parse_time(first_of(rec, "time", "eventTimestamp", "event_timestamp"), "time"),
        resource_id=rid,
        correlation_id=corr.lower(),
        operation_id=text(op_id).lower(),
        caller_ip=text(ip),
        principal=principal(rec),
        properties=props,
        sub_status=text(
            first_of(rec, "resultSignature")
            or field_value(first_of(rec, "subStatus", "sub_status"))
        ),
        location=text(first_of(rec, "location")),
        request=_body(props, "requestbody"),
        response=_body(props, "responsebody"),
    )


def _field(props: Mapping[str, Any], low: str) -> Any:
    return next((v for k, v in props.items() if k.lower() == low and v), None)


def _camel(value: Any) -> Any:
    """Body keys as ARM writes them (``properties``, ``destinationPortRange``) whatever casing
    the exporter used (``Properties``, ``DestinationPortRange``)."""
    if isinstance(value, Mapping):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): _camel(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _body(props: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A body in ``properties`` (any key casing): an object, or JSON in a string (even twice)."""
    name = next((k for k, v in props.items() if k.lower() == key and v), None)
    if name is None:
        return {}
    v = props[name]
    for _ in range(2):  # JSON-in-a-string, sometimes encoded twice
        if not isinstance(v, str):
            break
        try:
            v = orjson.loads(v)
        except orjson.JSONDecodeError:
            raise RecordError("invalid embedded JSON", f"properties.{name}") from None
    return obj(_camel(obj(v, f"properties.{name}")), f"properties.{name}")


def error_code(props: Mapping[str, Any], sub: str) -> str:
    msg = props.get("statusMessage")
    if isinstance(msg, str) and msg.lstrip().startswith("{"):
        try:
            err = orjson.loads(msg)
        except orjson.JSONDecodeError:
            err = None
        if isinstance(err, Mapping) and isinstance(err.get("error"), Mapping):
            code = err["error"].get("code")
            if code:
                return str(code)
    return text(props.get("statusCode")) or sub or "Failed"


@dataclass
class _Group:
    records: list[AzureRecord] = field(default_factory=list)

    def complete(self) -> bool:
        has_start = any(r.status.startswith("start") for r in self.records)
        has_end = any(r.status in TERMINAL for r in self.records)
        return has_start and has_end


def _event_id(first: AzureRecord) -> str:
    if first.operation_id:
        return first.operation_id
    digest = hashlib.sha256(f"{first.operation}|{first.resource_id}".encode()).hexdigest()[:12]
    return f"{first.correlation_id}/{digest}"


def _action(op: str, recs: list[AzureRecord], body: Mapping[str, Any]) -> ChangeAction:
    if op.endswith("/delete"):
        return A.DISABLE_LOGGING if ("diagnosticsettings" in op or "flowlogs" in op) else A.DELETE
    if "flowlogs" in op and obj(body.get("properties"), "properties").get("enabled") is False:
        return A.DISABLE_LOGGING
    # HTTP 201 on any record of the operation (Accept or Success) means the resource was created
    created = any(
        text(r.properties.get("statusCode")).lower() == "created"
        or "created" in r.sub_status.lower()
        for r in recs
    )
    return A.CREATE if created else A.MODIFY


def fold(records: list[AzureRecord], origin: SourceRef | None = None) -> list[ChangeEvent]:
    """One operation's records (any order) -> its ChangeEvent (one per rule for an NSG-level
    write that carries its rules)."""
    recs = sorted(records, key=lambda r: (r.time, r.status, r.sub_status))
    start = next((r for r in recs if r.status.startswith("start")), None)
    end = next((r for r in recs if r.status in TERMINAL), None)
    first = start or recs[0]
    # the rule: what was asked (any record's request body), else what was stored (a response)
    body = next((r.request for r in recs if r.request), None) or next(
        (r.response for r in recs if r.response), {}
    )
    op = first.operation
    action = _action(op, recs, body)
    if end is None:
        success, error = False, "NoTerminalRecord"
    else:
        success = TERMINAL[end.status]
        error = "" if success else error_code(end.properties, end.sub_status)
    rid = first.resource_id
    _, _, tail = rid.partition("/subscriptions/")
    event_id = _event_id(first)
    base = ChangeEvent(
        provider="azure",
        account=tail.split("/", 1)[0],
        region=next((r.location for r in recs if r.location and r.location != "global"), ""),
        time=(end or recs[-1]).time,  # the terminal record's: when the change took effect
        action=action,
        event_name=op,
        resource_id=rid,
        principal=next((r.principal for r in recs if r.principal), ""),
        source_ip=next((r.caller_ip for r in recs if r.caller_ip), ""),
        success=success,
        error_code=error,
        event_id=event_id,
        origin=origin,
    )
    return [
        dataclasses.replace(
            base,
            resource_id=f"{rid}/securityrules/{c.name.lower()}" if c.name else rid,
            direction=c.direction,
            peers=c.peers,
            any_peer=c.any_peer,
            ports=c.ports,
            event_id=f"{event_id}#{c.name}" if c.name else event_id,
            rule_action=c.rule_action,
        )
        for c in contents(body)
    ]


class Folder:
    """Streams records in and events out; holds only operations still open.

    An operation is emitted once both its Start and its terminal record arrived; whatever is
    still open at :meth:`flush` is emitted then (a lone Failure record is common: authorization
    failures log nothing else). Records of an already emitted operation are ignored."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, ...], _Group] = {}
        self._origin: dict[tuple[str, ...], SourceRef | None] = {}
        self._done: set[tuple[str, ...]] = set()

    @property
    def open_groups(self) -> int:
        return len(self._open)

    def add(self, rec: AzureRecord, origin: SourceRef | None = None) -> Iterator[ChangeEvent]:
        key = rec.key
        if key in self._done:
            return
        group = self._open.setdefault(key, _Group())
        group.records.append(rec)
        if rec.status.startswith("start") or key not in self._origin:
            self._origin[key] = origin
        if group.complete():
            del self._open[key]
            self._done.add(key)
            yield from fold(group.records, self._origin.pop(key, None))

    def flush(self) -> Iterator[ChangeEvent]:
        for key in sorted(self._open):
            group = self._open.pop(key)
            self._done.add(key)
            yield from fold(group.records, self._origin.pop(key, None))

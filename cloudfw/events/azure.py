"""Azure Activity Log records -> ChangeEvent, folding Start/Accept/Success/Failure by
``correlationId``. Pure: no I/O.

Accepted record shapes: the storage / Event Hub export (``operationName``, ``resultType``,
``identity.claims``, ``properties.requestbody``), the REST / portal JSON (``operationName.value``,
``status.value``, ``httpRequest.clientIpAddress``) and ``azure-mgmt-monitor``'s
``EventData.as_dict()`` (snake_case). Operation names and resource ids are matched
case-insensitively; resource ids are reported lower-case so exports and API reads agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from cloudfw.events.errors import RecordError
from cloudfw.events.normal import any_peer, dedupe, obj, parse_time, range_specs, strs, text
from cloudfw.model import ChangeAction, ChangeEvent, PortSpec, SourceRef

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
    caller_ip: str
    principal: str
    properties: Mapping[str, Any]
    sub_status: str
    location: str


def _value(v: object) -> str:
    """LocalizableString ``{"value": ..}`` or a plain string."""
    if isinstance(v, Mapping):
        return text(v.get("value"))
    return text(v)


def _get(rec: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if n in rec and rec[n] is not None:
            return rec[n]
    return None


def _principal(rec: Mapping[str, Any]) -> str:
    ident = obj(rec.get("identity"), "identity")
    claims = obj(_get(ident, "claims") or _get(rec, "claims"), "identity.claims")
    for key in (UPN, "upn", OID, "appid"):
        if claims.get(key):
            return str(claims[key])
    return text(_get(rec, "caller"))


def parse(rec: Mapping[str, Any]) -> AzureRecord | None:
    """Extract the common fields; None when the record is not a firewall change."""
    op = _value(_get(rec, "operationName", "operation_name")).lower()
    if not op:
        raise RecordError("missing", "operationName")
    rid = text(_get(rec, "resourceId", "resource_id")).lower()
    relevant = op.startswith(PREFIXES) or (
        "diagnosticsettings/" in op and any(r in rid for r in FIREWALL_RESOURCES)
    )
    if not relevant or not op.endswith(CHANGING):
        return None
    status = text(_get(rec, "resultType") or _value(_get(rec, "status"))).lower()
    http = obj(_get(rec, "httpRequest", "http_request"), "httpRequest")
    ip = _get(rec, "callerIpAddress") or _get(http, "clientIpAddress", "client_ip_address")
    props = obj(_get(rec, "properties"), "properties")
    corr = text(_get(rec, "correlationId", "correlation_id"))
    if not corr:
        raise RecordError("missing", "correlationId")
    return AzureRecord(
        operation=op,
        status=status,
        time=parse_time(_get(rec, "time", "eventTimestamp", "event_timestamp"), "time"),
        resource_id=rid,
        correlation_id=corr.lower(),
        caller_ip=text(ip),
        principal=_principal(rec),
        properties=props,
        sub_status=text(
            _get(rec, "resultSignature") or _value(_get(rec, "subStatus", "sub_status"))
        ),
        location=text(_get(rec, "location")),
    )


def _body(props: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for k in keys:
        for name, v in props.items():
            if name.lower() == k and v:
                if isinstance(v, str):
                    try:
                        v = orjson.loads(v)
                    except orjson.JSONDecodeError:
                        raise RecordError("invalid embedded JSON", f"properties.{name}") from None
                return obj(v, f"properties.{name}")
    return {}


def _collections(p: Mapping[str, Any]) -> tuple[str, list[str], list[PortSpec]]:
    """Firewall policy rule collection group / classic Azure Firewall rule collections."""
    peers: list[str] = []
    ports: list[PortSpec] = []
    colls = p.get("ruleCollections") or p.get("networkRuleCollections") or []
    for c in colls if isinstance(colls, list) else []:
        c = obj(c, "requestbody.ruleCollections[]")
        rules = c.get("rules") or obj(c.get("properties"), "properties").get("rules") or []
        for r in rules if isinstance(rules, list) else []:
            r = obj(r, "requestbody.ruleCollections[].rules[]")
            peers += strs(r.get("sourceAddresses"), "rules[].sourceAddresses")
            peers += strs(r.get("sourceIpGroups"), "rules[].sourceIpGroups")
            dports = strs(r.get("destinationPorts"), "rules[].destinationPorts")
            protos = strs(r.get("ipProtocols") or r.get("protocols"), "rules[].ipProtocols")
            for proto in protos:
                name = proto.split(":", 1)[0] if isinstance(proto, str) else proto
                ports += range_specs("all" if name.lower() == "any" else name, dports, "ports")
    return "", peers, ports


def _rule(body: Mapping[str, Any]) -> tuple[str, list[str], list[PortSpec]]:
    p = obj(body.get("properties", body), "requestbody.properties")
    if "ruleCollections" in p or "networkRuleCollections" in p:
        return _collections(p)
    d = text(p.get("direction")).lower()
    direction = {"inbound": "ingress", "outbound": "egress"}.get(d, "")
    side = "destination" if direction == "egress" else "source"
    peers = strs(p.get(f"{side}AddressPrefix"), "addressPrefix") + strs(
        p.get(f"{side}AddressPrefixes"), "addressPrefixes"
    )
    for g in p.get(f"{side}ApplicationSecurityGroups") or []:
        if isinstance(g, Mapping) and g.get("id"):
            peers.append(str(g["id"]))
    ranges = strs(p.get("destinationPortRange"), "destinationPortRange") + strs(
        p.get("destinationPortRanges"), "destinationPortRanges"
    )
    ports: list[PortSpec] = []
    if p.get("protocol") is not None:
        if text(p.get("protocol")) == "*" and all(r.strip() == "*" for r in ranges):
            ranges = []
        ports = range_specs(p["protocol"], ranges, "requestbody.destinationPortRange")
    return direction, peers, ports


def _access(body: Mapping[str, Any]) -> str:
    p = body.get("properties", body)
    if not isinstance(p, Mapping):
        return ""
    access = p.get("access")
    if access is None:  # rule collection groups: the collections' action, when they agree
        kinds = {
            text(obj(c, "ruleCollections[]").get("action", {}).get("type")).lower()
            for c in p.get("ruleCollections") or []
            if isinstance(c, Mapping) and isinstance(c.get("action"), Mapping)
        }
        return kinds.pop() if len(kinds) == 1 else ""
    return text(access).lower()


def _error(props: Mapping[str, Any], sub: str) -> str:
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


def fold(records: list[AzureRecord], origin: SourceRef | None = None) -> ChangeEvent:
    """One operation's records (any order) -> one ChangeEvent."""
    recs = sorted(records, key=lambda r: (r.time, r.status, r.sub_status))
    start = next((r for r in recs if r.status.startswith("start")), None)
    end = next((r for r in recs if r.status in TERMINAL), None)
    first = start or recs[0]
    props_all: dict[str, Any] = {}
    for r in recs:
        props_all.update({k: v for k, v in r.properties.items() if v not in (None, "")})
    # the rule: what was asked (any record's request body), else what was stored (a response)
    body = next((b for r in recs if (b := _body(r.properties, "requestbody"))), None) or next(
        (b for r in recs if (b := _body(r.properties, "responsebody"))), {}
    )
    direction, peers, ports = _rule(body) if body else ("", [], [])
    rule_action = _access(body)
    op = first.operation
    status_code = text((end.properties if end else props_all).get("statusCode")).lower()
    signature = end.sub_status.lower() if end else ""
    if op.endswith("/delete"):
        action = A.DISABLE_LOGGING if ("diagnosticsettings" in op or "flowlogs" in op) else A.DELETE
    elif "flowlogs" in op and obj(body.get("properties"), "properties").get("enabled") is False:
        action = A.DISABLE_LOGGING
    elif status_code == "created" or "created" in signature:
        action = A.CREATE
    else:
        action = A.MODIFY
    if end is None:
        success, error = False, "NoTerminalRecord"
    else:
        success = TERMINAL[end.status]
        error = "" if success else _error(end.properties, end.sub_status)
    rid = first.resource_id
    _, _, tail = rid.partition("/subscriptions/")
    account = tail.split("/", 1)[0]
    peer_t = dedupe(peers)
    principal = next((r.principal for r in recs if r.principal), "")
    ip = next((r.caller_ip for r in recs if r.caller_ip), "")
    region = next((r.location for r in recs if r.location and r.location != "global"), "")
    return ChangeEvent(
        provider="azure",
        account=account,
        region=region,
        time=(end or first).time,
        action=action,
        event_name=op,
        resource_id=rid,
        direction=direction,
        peers=peer_t,
        any_peer=any_peer(peer_t),
        ports=tuple(dict.fromkeys(ports)),
        principal=principal,
        source_ip=ip,
        success=success,
        error_code=error,
        event_id=first.correlation_id,
        origin=origin,
        rule_action=rule_action,
    )


class Folder:
    """Streams records in and events out; holds only operations still open.

    An operation is emitted once both its Start and its terminal record arrived; whatever is
    still open at :meth:`flush` is emitted then (a lone Failure record is common: authorization
    failures log nothing else). Records of an already emitted operation are ignored."""

    def __init__(self) -> None:
        self._open: dict[str, _Group] = {}
        self._origin: dict[str, SourceRef | None] = {}
        self._done: set[str] = set()

    @property
    def open_groups(self) -> int:
        return len(self._open)

    def add(self, rec: AzureRecord, origin: SourceRef | None = None) -> Iterator[ChangeEvent]:
        key = rec.correlation_id
        if key in self._done:
            return
        group = self._open.setdefault(key, _Group())
        group.records.append(rec)
        if rec.status.startswith("start") or key not in self._origin:
            self._origin[key] = origin
        if group.complete():
            del self._open[key]
            self._done.add(key)
            yield fold(group.records, self._origin.pop(key, None))

    def flush(self) -> Iterator[ChangeEvent]:
        for key in sorted(self._open):
            group = self._open.pop(key)
            self._done.add(key)
            yield fold(group.records, self._origin.pop(key, None))

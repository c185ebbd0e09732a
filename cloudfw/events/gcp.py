"""GCP Cloud Audit Log entries -> ChangeEvent, folding long-running operations (``first`` /
``last`` entries sharing ``operation.id``). Pure: no I/O.

Request bodies use the audit log's pluralised names (``alloweds``, ``denieds``); the singular
REST names are accepted too. A firewall or subnetwork patch whose only content change is
``logConfig.enable: false`` is ``disable_logging``. An operation's content comes from its
``first`` entry, its time from its ``last`` entry (when it completed, as Azure's terminal record).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudfw.events.errors import RecordError
from cloudfw.events.normal import (
    Written,
    any_peer,
    dedupe,
    effect,
    obj,
    parse_time,
    range_specs,
    seq,
    strs,
    text,
)
from cloudfw.model import ChangeAction, ChangeEvent, PortSpec, SourceRef
from cloudfw.normalize.gcp_rules import API_DEFAULT_PEERS

A = ChangeAction
SERVICES = (
    "compute.firewalls.",
    "compute.networkfirewallpolicies.",
    "compute.regionnetworkfirewallpolicies.",
    "compute.firewallpolicies.",
    "compute.subnetworks.patch",
    "compute.subnetworks.update",
    ".firewall.",  # google.appengine.v1.Firewall.*
)
VERBS: dict[str, ChangeAction] = {
    "insert": A.CREATE, "create": A.CREATE, "addrule": A.CREATE,
    "delete": A.DELETE, "removerule": A.DELETE,
    "patch": A.MODIFY, "update": A.MODIFY, "patchrule": A.MODIFY, "addassociation": A.MODIFY,
    "removeassociation": A.MODIFY, "clonerules": A.MODIFY, "move": A.MODIFY,
    # google.appengine.v1.Firewall.*
    "createingressrule": A.CREATE, "deleteingressrule": A.DELETE,
    "updateingressrule": A.MODIFY, "batchupdateingressrules": A.MODIFY,
}  # fmt: skip
#: methods whose request is the whole rule (a missing source means the API's default)
FULL_BODY = frozenset({"insert", "update"})
#: App Engine firewall rules filter every request to the app: HTTP and HTTPS
APP_PORTS = [PortSpec("tcp", 80, 80), PortSpec("tcp", 443, 443)]
#: the priority of App Engine's default rule, evaluated after every other
DEFAULT_APP_PRIORITY = 2147483647
# request keys that identify, rather than change, the resource
IDENTITY_KEYS = frozenset({"@type", "name", "fingerprint", "network", "selfLink", "id", "kind"})


@dataclass(frozen=True, slots=True)
class GcpEntry:
    method: str
    op_id: str
    first: bool
    last: bool
    time: datetime
    insert_id: str
    project: str
    region: str
    resource: str
    principal: str
    caller_ip: str
    request: Mapping[str, Any]
    status_code: int
    status_message: str


def audit_method(entry: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """(protoPayload, methodName) of a Cloud Audit Log entry; the method is required."""
    pp = obj(entry.get("protoPayload") or entry.get("proto_payload"), "protoPayload")
    method = text(pp.get("methodName"))
    if not method:
        raise RecordError("missing", "protoPayload.methodName")
    return pp, method


@dataclass(frozen=True)
class AuditFields:
    """What change and read entries share: caller, status, project and location."""

    auth: Mapping[str, Any]
    meta: Mapping[str, Any]
    status: Mapping[str, Any]
    labels: Mapping[str, Any]
    locations: list[str]
    project: str
    code: int


def audit_fields(entry: Mapping[str, Any], pp: Mapping[str, Any]) -> AuditFields:
    status = obj(pp.get("status"), "protoPayload.status")
    labels = obj(obj(entry.get("resource"), "resource").get("labels"), "resource.labels")
    loc = obj(pp.get("resourceLocation"), "protoPayload.resourceLocation")
    project = text(labels.get("project_id"))
    if not project and text(entry.get("logName")).startswith("projects/"):
        project = text(entry.get("logName")).split("/")[1]
    code = status.get("code", 0)
    if not isinstance(code, int) or isinstance(code, bool):
        raise RecordError(f"expected an integer, got {code!r}", "protoPayload.status.code")
    return AuditFields(
        auth=obj(pp.get("authenticationInfo"), "protoPayload.authenticationInfo"),
        meta=obj(pp.get("requestMetadata"), "protoPayload.requestMetadata"),
        status=status,
        labels=labels,
        locations=strs(loc.get("currentLocations"), "resourceLocation.currentLocations"),
        project=project,
        code=code,
    )


def parse(entry: Mapping[str, Any]) -> GcpEntry | None:
    """Extract the common fields; None when the entry is not a firewall change."""
    pp, method = audit_method(entry)
    low = method.lower()
    if not any(s in low for s in SERVICES) or low.rsplit(".", 1)[-1] not in VERBS:
        return None  # not a firewall method, or one that changes nothing (get, list, ...)
    op = obj(entry.get("operation"), "operation")
    f = audit_fields(entry, pp)
    return GcpEntry(
        method=method,
        op_id=text(op.get("id")),
        first=bool(op.get("first")),
        last=bool(op.get("last")),
        time=parse_time(entry.get("timestamp"), "timestamp"),
        insert_id=text(entry.get("insertId")),
        project=f.project,
        region=f.locations[0] if f.locations else "",
        resource=text(pp.get("resourceName")),
        principal=text(f.auth.get("principalEmail")),
        caller_ip=text(f.meta.get("callerIp")),
        request=obj(pp.get("request"), "protoPayload.request"),
        status_code=f.code,
        status_message=text(f.status.get("message")),
    )


def _rules(req: Mapping[str, Any]) -> tuple[str, list[str], list[PortSpec]]:
    rule = obj(req.get("firewallPolicyRule"), "request.firewallPolicyRule") or req
    direction = text(rule.get("direction")).lower()
    match = obj(rule.get("match"), "request.match")
    ports: list[PortSpec] = []
    peers: list[str] = []
    for key in ("alloweds", "denieds", "allowed", "denied"):
        for i, a in enumerate(seq(rule.get(key), f"request.{key}")):
            a = obj(a, f"request.{key}[{i}]")
            proto = a.get("IPProtocol", a.get("ipProtocol"))
            ports += range_specs(proto, strs(a.get("ports"), f"request.{key}[{i}].ports"), key)
    for i, c in enumerate(seq(match.get("layer4Configs"), "request.match.layer4Configs")):
        c = obj(c, f"request.match.layer4Configs[{i}]")
        ports += range_specs(c.get("ipProtocol"), strs(c.get("ports"), "ports"), "layer4Configs")
    if ports and not direction:
        direction = "ingress"
    if direction == "egress":
        peers += strs(rule.get("destinationRanges"), "request.destinationRanges")
        peers += strs(match.get("destIpRanges"), "request.match.destIpRanges")
    else:
        peers += strs(rule.get("sourceRanges"), "request.sourceRanges")
        peers += strs(match.get("srcIpRanges"), "request.match.srcIpRanges")
        peers += [f"tag:{t}" for t in strs(rule.get("sourceTags"), "request.sourceTags")]
        peers += [
            f"serviceAccount:{t}"
            for t in strs(rule.get("sourceServiceAccounts"), "request.sourceServiceAccounts")
        ]
    return direction, peers, ports


def _rule_action(req: Mapping[str, Any]) -> str:
    inner = req.get("firewallPolicyRule")
    rule: Mapping[str, Any] = inner if isinstance(inner, Mapping) else req
    if rule.get("alloweds") or rule.get("allowed"):
        return "allow"
    if rule.get("denieds") or rule.get("denied"):
        return "deny"
    action = text(rule.get("action")).lower()
    return action if action in ("allow", "deny") else ""


def _app_engine(req: Mapping[str, Any]) -> list[Written] | None:
    """App Engine ingress rules (``rule``, or BatchUpdate's ``ingressRules``) in the order App
    Engine evaluates them: lowest ``priority`` first (the default rule is 2147483647). They
    filter every request to the app, which App Engine serves on HTTP and HTTPS. None when the
    request is not one."""
    if "rule" in req:
        rules = [obj(req["rule"], "request.rule")]
    elif "ingressRules" in req:
        rules = [obj(r, "request.ingressRules[]") for r in seq(req["ingressRules"], "ingressRules")]
    else:
        return None
    ordered = sorted(enumerate(rules), key=lambda ir: (_priority(ir[1], ir[0]), ir[0]))
    return [
        (text(r.get("action")).lower(), strs(r.get("sourceRange"), "rule.sourceRange"), APP_PORTS)
        for _, r in ordered
    ]


def _priority(rule: Mapping[str, Any], i: int) -> int:
    value = rule.get("priority", DEFAULT_APP_PRIORITY)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RecordError(f"expected an integer priority, got {value!r}", f"ingressRules[{i}].priority")


def _logging_off_only(req: Mapping[str, Any]) -> bool:
    changed = set(req) - IDENTITY_KEYS
    log = req.get("logConfig")
    return changed == {"logConfig"} and isinstance(log, Mapping) and log.get("enable") is False


def fold(entries: list[GcpEntry], origin: SourceRef | None = None) -> ChangeEvent | None:
    """One operation's entries (any order) -> one ChangeEvent; None for an unrelated subnet
    patch."""
    es = sorted(entries, key=lambda e: (not e.first, e.last, e.time, e.insert_id))
    first = es[0]
    req: dict[str, Any] = {}
    for e in reversed(es):  # content from the first entry wins
        req.update(e.request)
    method = first.method.lower()
    verb = method.rsplit(".", 1)[-1]
    action = VERBS[verb]
    if verb in ("patch", "update") and _logging_off_only(req):
        action = A.DISABLE_LOGGING
    elif "subnetworks" in first.method.lower():
        return None  # a subnet change that does not turn flow logs off is not a firewall change
    written = _app_engine(req)
    wide: bool | None = None
    if written is not None:
        rule_action, peers, ports, wide = effect(written)
        direction = "ingress" if peers else ""
    else:
        direction, peers, ports = _rules(req)
        rule_action = _rule_action(req)
        if not peers and ports and verb in FULL_BODY and "compute.firewalls." in method:
            peers = list(API_DEFAULT_PEERS.to_tokens())
    failed = next((e for e in es if e.status_code != 0), None)
    peer_t = dedupe(peers)
    # the time the operation completed: its `last` entry's (else the latest entry's), as Azure
    # takes its terminal record's
    done = next((e for e in es if e.last), max(es, key=lambda e: e.time))
    return ChangeEvent(
        provider="gcp",
        account=first.project,
        region=first.region,
        time=done.time,
        action=action,
        event_name=first.method,
        resource_id=first.resource,
        direction=direction,
        peers=peer_t,
        any_peer=any_peer(peer_t) if wide is None else wide,
        ports=tuple(dict.fromkeys(ports)),
        principal=next((e.principal for e in es if e.principal), ""),
        source_ip=next((e.caller_ip for e in es if e.caller_ip), ""),
        success=failed is None,
        error_code="" if failed is None else (failed.status_message or str(failed.status_code)),
        event_id=first.op_id or first.insert_id,
        origin=origin,
        rule_action=rule_action,
    )


class Folder:
    """Streams entries in and events out; holds only operations still open (first without
    last, or last without first). Entries without an operation are emitted at once."""

    def __init__(self) -> None:
        self._open: dict[str, list[GcpEntry]] = {}
        self._origin: dict[str, SourceRef | None] = {}
        self._done: set[str] = set()

    @property
    def open_groups(self) -> int:
        return len(self._open)

    def add(self, e: GcpEntry, origin: SourceRef | None = None) -> Iterator[ChangeEvent]:
        if not e.op_id or (e.first and e.last):
            ev = fold([e], origin)
            if ev is not None:
                yield ev
            return
        if e.op_id in self._done:
            return
        group = self._open.setdefault(e.op_id, [])
        group.append(e)
        if e.first or e.op_id not in self._origin:
            self._origin[e.op_id] = origin
        if any(x.first for x in group) and any(x.last for x in group):
            del self._open[e.op_id]
            self._done.add(e.op_id)
            ev = fold(group, self._origin.pop(e.op_id, None))
            if ev is not None:
                yield ev

    def flush(self) -> Iterator[ChangeEvent]:
        for key in sorted(self._open):
            group = self._open.pop(key)
            self._done.add(key)
            ev = fold(group, self._origin.pop(key, None))
            if ev is not None:
                yield ev

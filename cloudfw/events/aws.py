"""AWS CloudTrail records -> ChangeEvent. Pure: no I/O.

One function, :func:`normalize`, handles every delivery shape once it has a record dict: log
files (``{"Records": [...]}``), LookupEvents (``CloudTrailEvent`` is a JSON string; see
:func:`from_lookup`), CloudTrail Lake rows (nested values are JSON strings; see
:func:`from_lake_row`) and EventBridge envelopes (``detail``). The three request layouts are
supported: nested ``ipPermissions.items``, the legacy flat ``cidrIp``/``ipProtocol`` form, and
PascalCase ``...Request`` wrappers with ``{"content": ..., "tag": n}`` leaves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from cloudfw.events.aws_services import hardens, network_firewall, rds_security_group
from cloudfw.events.errors import RecordError
from cloudfw.events.normal import (
    any_peer,
    dedupe,
    obj,
    parse_time,
    port_int,
    port_spec,
    protocol_name,
    seq,
    text,
)
from cloudfw.model import ChangeAction, ChangeEvent, PortSpec, SourceRef

A = ChangeAction
EC2_ACTIONS: dict[str, ChangeAction] = {
    "AuthorizeSecurityGroupIngress": A.AUTHORIZE, "AuthorizeSecurityGroupEgress": A.AUTHORIZE,
    "RevokeSecurityGroupIngress": A.REVOKE, "RevokeSecurityGroupEgress": A.REVOKE,
    "CreateSecurityGroup": A.CREATE, "DeleteSecurityGroup": A.DELETE,
    "ModifySecurityGroupRules": A.MODIFY,
    "UpdateSecurityGroupRuleDescriptionsIngress": A.MODIFY,
    "UpdateSecurityGroupRuleDescriptionsEgress": A.MODIFY,
    "CreateNetworkAcl": A.CREATE, "CreateNetworkAclEntry": A.CREATE,
    "ReplaceNetworkAclEntry": A.MODIFY, "DeleteNetworkAclEntry": A.DELETE,
    "DeleteNetworkAcl": A.DELETE, "ReplaceNetworkAclAssociation": A.MODIFY,
    "CreateFlowLogs": A.CREATE, "DeleteFlowLogs": A.DISABLE_LOGGING,
}  # fmt: skip
NFW_ACTIONS: dict[str, ChangeAction] = {
    "CreateFirewall": A.CREATE, "DeleteFirewall": A.DELETE,
    "CreateFirewallPolicy": A.CREATE, "UpdateFirewallPolicy": A.MODIFY,
    "DeleteFirewallPolicy": A.DELETE, "CreateRuleGroup": A.CREATE, "UpdateRuleGroup": A.MODIFY,
    "DeleteRuleGroup": A.DELETE, "AssociateFirewallPolicy": A.MODIFY,
    "AssociateSubnets": A.MODIFY, "DisassociateSubnets": A.MODIFY,
    "UpdateLoggingConfiguration": A.MODIFY, "UpdateFirewallDeleteProtection": A.MODIFY,
    "UpdateFirewallPolicyChangeProtection": A.MODIFY, "UpdateSubnetChangeProtection": A.MODIFY,
}  # fmt: skip
RDS_ACTIONS: dict[str, ChangeAction] = {
    "AuthorizeDBSecurityGroupIngress": A.AUTHORIZE, "RevokeDBSecurityGroupIngress": A.REVOKE,
    "CreateDBSecurityGroup": A.CREATE, "DeleteDBSecurityGroup": A.DELETE,
}  # fmt: skip
SOURCES = {
    "ec2.amazonaws.com": EC2_ACTIONS,
    "network-firewall.amazonaws.com": NFW_ACTIONS,
    "rds.amazonaws.com": RDS_ACTIONS,
}
#: every event name cloudfw keeps (used by the fast pre-filter)
RELEVANT = frozenset(EC2_ACTIONS) | frozenset(NFW_ACTIONS) | frozenset(RDS_ACTIONS)
NO_CHANGE_ERRORS = ("DryRunOperation",)


def is_relevant(record: Mapping[str, Any]) -> bool:
    name = record.get("eventName")
    if not isinstance(name, str) or name not in RELEVANT:
        return False
    table = SOURCES.get(str(record.get("eventSource", "ec2.amazonaws.com")))
    return table is not None and name in table


def from_lookup(event: Mapping[str, Any]) -> dict[str, Any]:
    """A LookupEvents ``Events[]`` item -> the full CloudTrail record it carries."""
    raw = event.get("CloudTrailEvent")
    if isinstance(raw, str):
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise RecordError(f"not JSON: {e}", "CloudTrailEvent") from None
        if not isinstance(rec, dict):
            raise RecordError("expected a JSON object", "CloudTrailEvent")
        return rec
    if isinstance(raw, dict):
        return raw
    # Without the full record, rebuild the envelope from the summary fields.
    return {
        "eventID": event.get("EventId"),
        "eventName": event.get("EventName"),
        "eventSource": event.get("EventSource"),
        "eventTime": event.get("EventTime"),
        "userIdentity": {"userName": event.get("Username")},
    }


def from_lake_row(row: object) -> dict[str, Any]:
    """A Lake ``QueryResultRows`` row (list of single-key maps) or flat dict -> record."""
    if isinstance(row, list):
        out: dict[str, Any] = {}
        for cell in row:
            if isinstance(cell, dict):
                out.update(cell)
        return out
    if isinstance(row, dict):
        return row
    raise RecordError(f"expected a row, got {type(row).__name__}")


def unwrap(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """EventBridge ``{"detail-type": ..., "detail": {record}}`` -> record."""
    detail = record.get("detail")
    if "detail-type" in record and isinstance(detail, Mapping):
        return detail
    return record


def _maybe_json(value: object, field: str) -> object:
    """Lake stores nested values as JSON strings; re-parse those."""
    if isinstance(value, str):
        s = value.lstrip()
        if s.startswith(("{", "[")):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                raise RecordError("invalid embedded JSON", field) from None
        if s in ("", "null"):
            return None
        raise RecordError("expected an object, got str", field)
    return value


def _camel(value: object) -> object:
    """PascalCase wrapper -> camelCase keys; ``{"content": x, "tag": n}`` leaves -> x."""
    if isinstance(value, Mapping):
        if "content" in value and set(value) <= {"content", "tag"}:
            return _camel(value["content"])
        return {(k[:1].lower() + k[1:]): _camel(v) for k, v in value.items() if k not in ("tag",)}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _request(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    field = "requestParameters"
    req = obj(_maybe_json(record.get(field), field), field)
    wrapper = req.get(f"{name}Request")
    if wrapper is not None:
        inner = _camel(wrapper)
        return obj(inner, f"requestParameters.{name}Request")
    return req


def _items(value: object, field: str) -> list[Any]:
    """``{"items": [...]}``, a list, ``{}`` (empty list) or a single wrapped object."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        if "items" in value:
            return seq(value["items"], f"{field}.items")
        return [value] if value else []
    return seq(value, field)


def _permission(
    perm: Mapping[str, Any], field: str, peers: list[str], ports: list[PortSpec]
) -> None:
    proto = perm.get("ipProtocol")
    if proto is None:
        raise RecordError("missing", f"{field}.ipProtocol")
    ports.append(port_spec(proto, perm.get("fromPort"), perm.get("toPort"), field))
    for key, inner in (
        ("ipRanges", "cidrIp"),
        ("ipv6Ranges", "cidrIpv6"),
        ("groups", "groupId"),
        ("prefixListIds", "prefixListId"),
    ):
        for i, it in enumerate(_items(perm.get(key), f"{field}.{key}")):
            peers.append(text(obj(it, f"{field}.{key}[{i}]").get(inner)))
    keys = ("cidrIpv4", "cidrIpv6", "cidrIp", "prefixListId", "referencedGroupId")
    peers.extend(perm[k] for k in keys if isinstance(perm.get(k), str))


def _sg_rules(req: Mapping[str, Any]) -> tuple[list[str], list[PortSpec]]:
    peers: list[str] = []
    ports: list[PortSpec] = []
    perms = _items(req.get("ipPermissions"), "requestParameters.ipPermissions")
    for i, p in enumerate(perms):
        f = f"requestParameters.ipPermissions[{i}]"
        _permission(obj(p, f), f, peers, ports)
    if not perms and req.get("ipProtocol") is not None:  # legacy flat layout
        _permission(req, "requestParameters", peers, ports)
    if not perms and isinstance(req.get("sourceSecurityGroupName"), str):
        peers.append(req["sourceSecurityGroupName"])
    # ModifySecurityGroupRules: SecurityGroupRule[].SecurityGroupRule{IpProtocol, ...}
    for i, r in enumerate(_items(req.get("securityGroupRule"), "securityGroupRule")):
        f = f"requestParameters.securityGroupRule[{i}]"
        body = obj(obj(r, f).get("securityGroupRule"), f"{f}.securityGroupRule")
        if body:
            _permission(body, f, peers, ports)
    return peers, ports


def _egress_flags(rules: list[Any]) -> set[bool | None]:
    """``isEgress`` of each rule (on a ModifySecurityGroupRules item or on its rule body)."""
    flags: set[bool | None] = set()
    for r in rules:
        if isinstance(r, Mapping):
            body = r.get("securityGroupRule")
            inner = body if isinstance(body, Mapping) else {}
            flag = r.get("isEgress", inner.get("isEgress"))
            flags.add(flag in (True, "true") if flag is not None else None)
    return flags


def _sg_direction(name: str, record: Mapping[str, Any], req: Mapping[str, Any]) -> str:
    """From the event name, else from ``isEgress`` where the record has it (the request's rules,
    or the response's ``securityGroupRuleSet``); "" when the record does not say (a
    ModifySecurityGroupRules request names rules by id only)."""
    if name.endswith("Ingress"):
        return "ingress"
    if name.endswith("Egress"):
        return "egress"
    resp = record.get("responseElements")
    candidates = [_items(req.get("securityGroupRule"), "requestParameters.securityGroupRule")]
    if isinstance(resp, Mapping):
        f = "responseElements.securityGroupRuleSet"
        candidates.append(_items(resp.get("securityGroupRuleSet"), f))
    for rules in candidates:
        flags = _egress_flags(rules)
        if flags == {True}:
            return "egress"
        if flags == {False}:
            return "ingress"
    return ""


def _nacl(req: Mapping[str, Any]) -> tuple[str, list[str], list[PortSpec]]:
    egress = req.get("egress")
    direction = "" if egress is None else ("egress" if egress in (True, "true") else "ingress")
    peers = [str(req[k]) for k in ("cidrBlock", "ipv6CidrBlock") if isinstance(req.get(k), str)]
    ports: list[PortSpec] = []
    proto = req.get("aclProtocol", req.get("protocol"))
    if proto is not None:
        name = protocol_name(proto)
        if name in ("icmp", "icmpv6"):
            icmp = obj(req.get("icmpTypeCode"), "requestParameters.icmpTypeCode")
            f = "requestParameters.icmpTypeCode"
            ports.append(port_spec(name, icmp.get("type"), icmp.get("code"), f))
        else:
            rng = obj(req.get("portRange"), "requestParameters.portRange")
            f = "requestParameters.portRange"
            ports.append(port_spec(name, rng.get("from"), rng.get("to"), f))
    return direction, peers, ports


def _resource(name: str, req: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    for key in (
        "groupId", "networkAclId", "firewallArn", "firewallName", "firewallPolicyArn",
        "firewallPolicyName", "ruleGroupArn", "ruleGroupName", "associationId",
    ):  # fmt: skip
        if isinstance(req.get(key), str) and req[key]:
            return str(req[key])
    if name == "DeleteFlowLogs":
        ids = req.get("flowLogId")
        return ",".join(str(i) for i in ids) if isinstance(ids, list) else text(ids)
    resp = record.get("responseElements")
    if isinstance(resp, Mapping):
        if isinstance(resp.get("groupId"), str):
            return str(resp["groupId"])
        acl = resp.get("networkAcl")
        if isinstance(acl, Mapping) and isinstance(acl.get("networkAclId"), str):
            return str(acl["networkAclId"])
    for key in ("groupName", "vpcId", "resourceIds"):
        v = req.get(key)
        if isinstance(v, str):
            return v
        if isinstance(v, Mapping | list):
            return ",".join(str(x) for x in _items(v, key) if not isinstance(x, Mapping))
    return ""


def _outcome(name: str, record: Mapping[str, Any]) -> tuple[bool, str]:
    code = record.get("errorCode")
    if code:
        return False, str(code)
    resp = record.get("responseElements")
    if isinstance(resp, Mapping):
        inner = resp.get(f"{name}Response")
        body: Mapping[str, Any] = inner if isinstance(inner, Mapping) else resp
        if body.get("_return") is False or body.get("return") in (False, "false"):
            return False, "ReturnFalse"
        if body.get("unsuccessful") not in (None, "", {}, []):
            return False, "Unsuccessful"
    return True, ""


def principal(record: Mapping[str, Any]) -> str:
    ident = record.get("userIdentity")
    if isinstance(ident, str):
        ident = _maybe_json(ident, "userIdentity") if ident.lstrip().startswith("{") else None
    if not isinstance(ident, Mapping):
        return ""
    g = ident.get
    return principal_of(g("arn"), g("invokedBy"), g("principalId"), g("userName"), g("type"))


def principal_of(arn: object, invoked_by: object, pid: object, user: object, kind: object) -> str:
    """The caller named by ``userIdentity``'s ``arn``, ``invokedBy``, ``principalId`` or
    ``userName`` (the first that is set), else its ``type``."""
    for v in (arn, invoked_by, pid, user):
        if v:
            return str(v)
    return text(kind)


def normalize(record: Mapping[str, Any], origin: SourceRef | None = None) -> ChangeEvent | None:
    """One CloudTrail record -> ChangeEvent, or None when it is not a firewall change.

    Raises RecordError (with the field) when a relevant record does not fit the layout."""
    record = unwrap(record)
    name = record.get("eventName")
    if not isinstance(name, str) or not name:
        raise RecordError("missing", "eventName")
    if not is_relevant(record):
        return None
    source = str(record.get("eventSource", "ec2.amazonaws.com"))
    action = SOURCES[source][name]
    req = _request(record, name)
    direction = ""
    peers: list[str] = []
    ports: list[PortSpec] = []
    wide: bool | None = None
    rule_action = ""
    resource = ""
    if source == "network-firewall.amazonaws.com":
        if hardens(name, req):
            return None
        direction, rule_action, peers, ports, wide = network_firewall(name, req)
        if name == "UpdateLoggingConfiguration":
            cfg = obj(req.get("loggingConfiguration"), "requestParameters.loggingConfiguration")
            f = "loggingConfiguration.logDestinationConfigs"
            if not seq(cfg.get("logDestinationConfigs"), f):
                action = A.DISABLE_LOGGING
    elif source == "rds.amazonaws.com":
        resource, (direction, rule_action, peers, ports, wide) = rds_security_group(req)
    elif "SecurityGroup" in name and name not in ("CreateSecurityGroup", "DeleteSecurityGroup"):
        peers, ports = _sg_rules(req)
        direction = _sg_direction(name, record, req)
        rule_action = "allow"
    elif "NetworkAclEntry" in name:
        direction, peers, ports = _nacl(req)
        rule_action = text(req.get("ruleAction")).lower()
    success, error = _outcome(name, record)
    account = record.get("recipientAccountId") or obj(
        record.get("userIdentity") if isinstance(record.get("userIdentity"), Mapping) else None,
        "userIdentity",
    ).get("accountId")
    peer_t = dedupe(peers)
    return ChangeEvent(
        provider="aws",
        account=text(account),
        region=text(record.get("awsRegion")),
        time=parse_time(record.get("eventTime"), "eventTime"),
        action=action,
        event_name=name,
        resource_id=resource or _resource(name, req, record),
        direction=direction,
        peers=peer_t,
        any_peer=any_peer(peer_t) if wide is None else wide,
        ports=tuple(dict.fromkeys(ports)),
        principal=principal(record),
        source_ip=text(record.get("sourceIPAddress")),
        success=success,
        error_code=error,
        event_id=text(record.get("eventID")),
        origin=origin,
        rule_action=rule_action,
    )


__all__ = [
    "RELEVANT", "from_lake_row", "from_lookup", "is_relevant", "normalize", "port_int", "principal",
]  # fmt: skip

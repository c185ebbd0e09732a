"""Firewall enumeration records -> EnumerationEvent: the reads of firewall configuration and
metadata each cloud logs. Pure: no I/O.

* CloudTrail: the EC2 ``Describe*``/``Get*`` calls for security groups, their rules and
  references, network ACLs, flow logs and prefix lists; Network Firewall ``Describe*``/``List*``;
  RDS ``DescribeDBSecurityGroups`` (management read events, ``readOnly: true``).
* Activity Log: ``/read`` operations on network security groups (and their rules), Azure
  Firewalls, firewall policies (and rule collection groups) and flow logs. ARM does not log most
  GET requests, so these appear only where a read is logged at all; each terminal (or
  status-less) record is one read.
* Cloud Audit Logs: ``get``/``list`` (and ``getRule``, ``getAssociation``,
  ``getEffectiveFirewalls`` ...) of VPC firewall rules and firewall policies, from the Data
  Access log (``ADMIN_READ``), and App Engine ``ListIngressRules``/``GetIngressRule``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cloudfw.events.aws import principal as aws_principal
from cloudfw.events.azure import error_code, field_value, first_of
from cloudfw.events.azure import principal as azure_principal
from cloudfw.events.gcp import audit_fields, audit_method
from cloudfw.events.normal import obj, parse_time, text
from cloudfw.model import EnumerationEvent, SourceRef

#: ``eventSource`` when a CloudTrail record has none (a read's table is then EC2's)
DEFAULT_SOURCE = "ec2.amazonaws.com"

EC2_READS = frozenset({
    "DescribeSecurityGroups", "DescribeSecurityGroupRules", "DescribeSecurityGroupReferences",
    "DescribeStaleSecurityGroups", "DescribeSecurityGroupVpcAssociations",
    "GetSecurityGroupsForVpc", "DescribeNetworkAcls", "DescribeFlowLogs",
    "DescribeManagedPrefixLists", "DescribePrefixLists", "GetManagedPrefixListEntries",
    "GetManagedPrefixListAssociations",
})  # fmt: skip
NFW_READS = frozenset({
    "DescribeFirewall", "DescribeFirewallMetadata", "DescribeFirewallPolicy", "DescribeRuleGroup",
    "DescribeRuleGroupMetadata", "DescribeLoggingConfiguration", "DescribeResourcePolicy",
    "DescribeTLSInspectionConfiguration", "ListFirewalls", "ListFirewallPolicies",
    "ListRuleGroups", "ListTLSInspectionConfigurations",
})  # fmt: skip
RDS_READS = frozenset({"DescribeDBSecurityGroups"})
AWS_SOURCES = {
    "ec2.amazonaws.com": EC2_READS,
    "network-firewall.amazonaws.com": NFW_READS,
    "rds.amazonaws.com": RDS_READS,
}
#: every CloudTrail event name that may be a firewall read (the fast pre-filter's set)
AWS_READS = EC2_READS | NFW_READS | RDS_READS
#: request keys that name the resource a read targets, in order of preference
_AWS_TARGETS = (
    "groupId", "networkAclId", "firewallArn", "firewallName", "firewallPolicyArn",
    "firewallPolicyName", "ruleGroupArn", "ruleGroupName", "resourceArn", "prefixListId",
    "vpcId", "dBSecurityGroupName",
)  # fmt: skip
#: every request key `aws_target` reads
TARGET_KEYS = (*_AWS_TARGETS, "securityGroupIdSet", "networkAclIdSet")


def is_aws_read(record: Mapping[str, Any]) -> bool:
    name = record.get("eventName")
    if not isinstance(name, str) or name not in AWS_READS:
        return False
    return is_read_of(name, record.get("eventSource", DEFAULT_SOURCE))


def is_read_of(name: str, source: object) -> bool:
    """Whether ``name`` of the service ``source`` (``eventSource``) reads firewalls."""
    names = AWS_SOURCES.get(str(source))
    return names is not None and name in names


def aws_target(req: object) -> str:
    """The resource a read's ``requestParameters`` names ("" for none)."""
    if not isinstance(req, Mapping):
        return ""
    for key in _AWS_TARGETS:
        v = req.get(key)
        if isinstance(v, str) and v:
            return v
    ids = req.get("securityGroupIdSet") or req.get("networkAclIdSet")
    items = ids.get("items") if isinstance(ids, Mapping) else None
    if isinstance(items, list):
        found = [str(next(iter(i.values()), "")) for i in items if isinstance(i, Mapping) and i]
        return ",".join(f for f in found if f)
    return ""


def aws_read(record: Mapping[str, Any], origin: SourceRef | None = None) -> EnumerationEvent:
    """A CloudTrail record that `is_aws_read` -> EnumerationEvent."""
    ident = record.get("userIdentity")
    account = record.get("recipientAccountId") or (
        ident.get("accountId") if isinstance(ident, Mapping) else None
    )
    code = record.get("errorCode")
    return EnumerationEvent(
        provider="aws",
        account=text(account),
        region=text(record.get("awsRegion")),
        time=parse_time(record.get("eventTime"), "eventTime"),
        event_name=str(record["eventName"]),
        resource_id=aws_target(record.get("requestParameters")),
        principal=aws_principal(record),
        source_ip=text(record.get("sourceIPAddress")),
        user_agent=text(record.get("userAgent")),
        success=not code,
        error_code=text(code),
        event_id=text(record.get("eventID")),
        origin=origin,
    )


AZURE_PREFIXES = (
    "microsoft.network/networksecuritygroups/",
    "microsoft.network/azurefirewalls/",
    "microsoft.network/firewallpolicies/",
    "microsoft.network/networkwatchers/flowlogs/",
)
_AZURE_SKIPPED = ("start", "started", "accept", "accepted")


def azure_read(rec: Mapping[str, Any], origin: SourceRef | None = None) -> EnumerationEvent | None:
    """An Activity Log record -> EnumerationEvent when it is a firewall ``/read`` that ended
    (Start and Accept records of the same read are not counted again); None otherwise."""
    op = field_value(first_of(rec, "operationName", "operation_name")).lower()
    if not op.startswith(AZURE_PREFIXES) or not op.endswith("/read"):
        return None
    status = text(first_of(rec, "resultType") or field_value(first_of(rec, "status"))).lower()
    if status in _AZURE_SKIPPED:
        return None
    rid = text(first_of(rec, "resourceId", "resource_id")).lower()
    http = obj(first_of(rec, "httpRequest", "http_request"), "httpRequest")
    ip = first_of(rec, "callerIpAddress") or first_of(http, "clientIpAddress", "client_ip_address")
    props = obj(first_of(rec, "properties"), "properties")
    failed = status in ("failure", "failed")
    sub = text(first_of(rec, "resultSignature") or field_value(first_of(rec, "subStatus")))
    ident = first_of(rec, "operationId", "operation_id", "eventDataId", "event_data_id")
    if not ident:
        corr = text(first_of(rec, "correlationId", "correlation_id"))
        stamp = text(first_of(rec, "time", "eventTimestamp", "event_timestamp"))
        ident = corr + "/" + hashlib.sha256(f"{op}|{rid}|{stamp}".encode()).hexdigest()[:12]
    _, _, tail = rid.partition("/subscriptions/")
    agent = first_of(props, "userAgent", "useragent") or first_of(http, "userAgent")
    return EnumerationEvent(
        provider="azure",
        account=tail.split("/", 1)[0],
        region=text(first_of(rec, "location")) if first_of(rec, "location") != "global" else "",
        time=parse_time(first_of(rec, "time", "eventTimestamp", "event_timestamp"), "time"),
        event_name=op,
        resource_id=rid,
        principal=azure_principal(rec),
        source_ip=text(ip),
        user_agent=text(agent),
        success=not failed,
        error_code=error_code(props, sub) if failed else "",
        event_id=text(ident).lower(),
        origin=origin,
    )


#: Compute collections whose reads enumerate firewall rules or policies
GCP_COLLECTIONS = (
    "compute.firewalls.", "compute.firewallpolicies.", "compute.networkfirewallpolicies.",
    "compute.regionnetworkfirewallpolicies.",
)  # fmt: skip
GCP_VERBS = frozenset({
    "get", "list", "aggregatedlist", "getrule", "getassociation", "listassociations",
    "geteffectivefirewalls", "getiampolicy",
})  # fmt: skip
#: reads outside those collections that return the firewall rules in force
GCP_EXTRA = ("compute.instances.geteffectivefirewalls", "compute.networks.geteffectivefirewalls",
             ".firewall.listingressrules", ".firewall.getingressrule")  # fmt: skip
#: google.rpc.Code names, for the codes a read gets refused with
RPC_CODES = {3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 7: "PERMISSION_DENIED",
             8: "RESOURCE_EXHAUSTED", 16: "UNAUTHENTICATED"}  # fmt: skip


def is_gcp_read(method: str) -> bool:
    low = method.lower()
    if low.endswith(GCP_EXTRA):
        return True
    if not any(c in low for c in GCP_COLLECTIONS):
        return False
    return low.rsplit(".", 1)[-1] in GCP_VERBS


def gcp_read(entry: Mapping[str, Any], origin: SourceRef | None = None) -> EnumerationEvent | None:
    """A Cloud Audit Log entry -> EnumerationEvent when its method reads firewall rules or
    policies; None otherwise."""
    pp, method = audit_method(entry)
    if not is_gcp_read(method):
        return None
    f = audit_fields(entry, pp)
    error = RPC_CODES.get(f.code) or text(f.status.get("message")) or str(f.code) if f.code else ""
    return EnumerationEvent(
        provider="gcp",
        account=f.project,
        region=f.locations[0] if f.locations else text(f.labels.get("location")),
        time=parse_time(entry.get("timestamp"), "timestamp"),
        event_name=method,
        resource_id=text(pp.get("resourceName")),
        principal=text(f.auth.get("principalEmail")) or text(f.auth.get("principalSubject")),
        source_ip=text(f.meta.get("callerIp")),
        user_agent=text(f.meta.get("callerSuppliedUserAgent")),
        success=f.code == 0,
        error_code=error,
        event_id=text(entry.get("insertId")),
        origin=origin,
    )

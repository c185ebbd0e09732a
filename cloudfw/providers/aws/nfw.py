"""Read one region's AWS Network Firewalls (read-only, paginated) into `NfwRaw`.

``ListFirewalls`` (paginated), then per firewall ``DescribeFirewall`` and
``DescribeLoggingConfiguration``; per distinct policy ``DescribeFirewallPolicy``; per rule group
the policies reference ``DescribeRuleGroup`` (AWS managed groups are not readable and are not
asked for); ``DescribeTLSInspectionConfiguration`` for a policy that names one; and
``ec2:DescribeRouteTables`` (paginated) for the firewalls' VPCs, to place their endpoints on
the path. A region without firewalls costs one call. Rule groups are described by the ARNs the
policies reference rather than listed (``ListRuleGroups``): a group no policy references
enforces nothing, and a group shared from another account is not in the list.
"""

from __future__ import annotations

from typing import Any

from cloudfw.normalize.aws_nfw import NfwRaw, is_managed
from cloudfw.providers.aws.fetch import AwsCallError, call, pages


def _body(resp: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def read_network_firewall(nfw: Any, ec2: Any) -> tuple[NfwRaw, list[str]]:
    """(what could be read, errors). Only the firewall list failing loses every firewall; any
    other failure loses that piece, and each makes the region incomplete."""
    errors: list[str] = []
    listed = pages(nfw, "list_firewalls", "Firewalls")  # a failure: the caller records it
    firewalls: list[dict[str, Any]] = []
    for item in sorted(listed, key=lambda f: str(f.get("FirewallArn"))):
        arn = str(item.get("FirewallArn"))
        try:
            resp = _body(call(nfw, "describe_firewall", FirewallArn=arn))
        except AwsCallError as exc:
            errors.append(str(exc))
            continue
        try:
            log = call(nfw, "describe_logging_configuration", FirewallArn=arn)
            resp["LoggingConfiguration"] = log.get("LoggingConfiguration") or {}
        except AwsCallError as exc:
            resp["LoggingConfiguration"] = None
            errors.append(str(exc))
        firewalls.append(resp)
    policies: dict[str, dict[str, Any]] = {}
    for arn in sorted({str((f.get("Firewall") or {}).get("FirewallPolicyArn")) for f in firewalls}):
        try:
            policies[arn] = _body(call(nfw, "describe_firewall_policy", FirewallPolicyArn=arn))
        except AwsCallError as exc:
            errors.append(str(exc))
    groups: dict[str, dict[str, Any]] = {}
    tls: dict[str, dict[str, Any]] = {}
    for policy in policies.values():
        pol = policy.get("FirewallPolicy") or {}
        refs = (
            *(pol.get("StatelessRuleGroupReferences") or ()),
            *(pol.get("StatefulRuleGroupReferences") or ()),
        )
        for ref in refs:
            arn = str(ref.get("ResourceArn"))
            if arn in groups or is_managed(arn):
                continue
            try:
                groups[arn] = _body(call(nfw, "describe_rule_group", RuleGroupArn=arn))
            except AwsCallError as exc:
                errors.append(str(exc))
        tls_arn = str(pol.get("TLSInspectionConfigurationArn") or "")
        if tls_arn and tls_arn not in tls:
            try:
                tls[tls_arn] = _body(
                    call(
                        nfw,
                        "describe_tls_inspection_configuration",
                        TLSInspectionConfigurationArn=tls_arn,
                    )
                )
            except AwsCallError as exc:
                errors.append(str(exc))
    tables: list[dict[str, Any]] | None = []
    vpcs = sorted({str((f.get("Firewall") or {}).get("VpcId")) for f in firewalls})
    if vpcs:
        try:
            flt = [{"Name": "vpc-id", "Values": vpcs}]
            tables = pages(ec2, "describe_route_tables", "RouteTables", Filters=flt)
        except AwsCallError as exc:
            tables = None
            errors.append(str(exc))
    return NfwRaw(firewalls, policies, groups, tls, tables), errors

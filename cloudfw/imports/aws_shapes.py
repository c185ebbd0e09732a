"""The EC2 API shapes cloudfw reads (as `aws ec2 describe-*` prints them, PascalCase), as type
specs for `cloudfw.imports.schema.check`, and how to tell each output apart."""

from __future__ import annotations

import re

TAG = {"Key": str, "Value": str}
PERMISSION = {
    "IpProtocol": str, "FromPort": int, "ToPort": int,
    "IpRanges": [{"CidrIp": str, "Description": str}],
    "Ipv6Ranges": [{"CidrIpv6": str, "Description": str}],
    "PrefixListIds": [{"PrefixListId": str, "Description": str}],
    "UserIdGroupPairs": [{"GroupId": str, "UserId": str, "Description": str, "VpcId": str}],
}  # fmt: skip
SECURITY_GROUP = {
    "GroupId": str, "GroupName": str, "OwnerId": str, "VpcId": str, "Description": str,
    "SecurityGroupArn": str, "Tags": [TAG],
    "IpPermissions": [PERMISSION], "IpPermissionsEgress": [PERMISSION],
}  # fmt: skip
SECURITY_GROUP_RULE = {
    "SecurityGroupRuleId": str, "GroupId": str, "GroupOwnerId": str, "IsEgress": bool,
    "IpProtocol": str, "FromPort": int, "ToPort": int, "CidrIpv4": str, "CidrIpv6": str,
    "PrefixListId": str, "ReferencedGroupInfo": {"GroupId": str, "UserId": str},
    "Description": str, "SecurityGroupRuleArn": str, "Tags": [TAG],
}  # fmt: skip
NETWORK_ACL = {
    "NetworkAclId": str, "VpcId": str, "OwnerId": str, "IsDefault": bool, "Tags": [TAG],
    "Entries": [{
        "RuleNumber": int, "Egress": bool, "Protocol": str, "RuleAction": str,
        "CidrBlock": str, "Ipv6CidrBlock": str,
        "PortRange": {"From": int, "To": int}, "IcmpTypeCode": {"Type": int, "Code": int},
    }],
    "Associations": [{"SubnetId": str, "NetworkAclId": str}],
}  # fmt: skip
_ASSOCIATION = {"PublicIp": str}
NETWORK_INTERFACE = {
    "NetworkInterfaceId": str, "OwnerId": str, "AvailabilityZone": str, "SubnetId": str,
    "VpcId": str, "PrivateIpAddress": str, "InterfaceType": str, "Association": _ASSOCIATION,
    "PrivateIpAddresses": [{"PrivateIpAddress": str, "Association": _ASSOCIATION}],
    "Ipv6Addresses": [{"Ipv6Address": str}],
    "Groups": [{"GroupId": str, "GroupName": str}], "Attachment": {"InstanceId": str},
}  # fmt: skip
SUBNET = {
    "SubnetId": str, "VpcId": str, "OwnerId": str, "AvailabilityZone": str, "SubnetArn": str,
    "CidrBlock": str,
}  # fmt: skip
VPC = {"VpcId": str, "OwnerId": str, "Tags": [TAG], "IsDefault": bool, "CidrBlock": str}
FLOW_LOG = {"FlowLogId": str, "ResourceId": str, "FlowLogStatus": str}
PREFIX_LIST = {"PrefixListId": str, "PrefixListArn": str, "OwnerId": str, "PrefixListName": str}
PREFIX_LIST_ENTRY = {"Cidr": str, "Description": str, "PrefixListId": str}

# top-level key of each `aws ec2` output -> (kind, item spec, the CLI command that prints it)
OUTPUTS: dict[str, tuple[str, object, str]] = {
    "SecurityGroups": ("security_groups", SECURITY_GROUP, "describe-security-groups"),
    "SecurityGroupRules": (
        "security_group_rules",
        SECURITY_GROUP_RULE,
        "describe-security-group-rules",
    ),
    "NetworkAcls": ("network_acls", NETWORK_ACL, "describe-network-acls"),
    "NetworkInterfaces": ("network_interfaces", NETWORK_INTERFACE, "describe-network-interfaces"),
    "Subnets": ("subnets", SUBNET, "describe-subnets"),
    "Vpcs": ("vpcs", VPC, "describe-vpcs"),
    "FlowLogs": ("flow_logs", FLOW_LOG, "describe-flow-logs"),
    "PrefixLists": ("prefix_lists", PREFIX_LIST, "describe-managed-prefix-lists"),
    "Entries": ("prefix_list_entries", PREFIX_LIST_ENTRY, "get-managed-prefix-list-entries"),
}

_ARN = re.compile(r"^arn:aws[a-z-]*:ec2:([a-z0-9-]*):([0-9]{12}|aws)?:")
_AZ_REGION = re.compile(r"^([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]+)")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
PREFIX_LIST_ID = re.compile(r"pl-[0-9a-f]{8,17}")


def scope_hints(rec: dict[str, object]) -> tuple[str, str]:
    """(account, region) that one record states itself ("" where it does not)."""
    account, region = "", ""
    for key in ("SecurityGroupArn", "SecurityGroupRuleArn", "SubnetArn", "PrefixListArn"):
        m = _ARN.match(str(rec.get(key) or ""))
        if m:
            region = m.group(1)
            account = account or (m.group(2) if m.group(2) != "aws" else "")
    for key in ("OwnerId", "GroupOwnerId"):
        v = str(rec.get(key) or "")
        if not account and _ACCOUNT.match(v):
            account = v
    if not region:
        m = _AZ_REGION.match(str(rec.get("AvailabilityZone") or ""))
        region = m.group(1) if m else ""
    return account, region

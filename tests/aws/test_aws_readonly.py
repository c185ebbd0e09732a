"""Safety: the collector makes read-only calls only, and refuses anything else itself."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from aws_proxy import Proxy, ProxyState
from aws_support import ROOT, Seeded

from cloudfw.providers.aws import collect
from cloudfw.providers.aws.session import ReadOnlyViolation, is_read_only, read_only_session
from cloudfw.providers.base import CollectOptions, NullProgress

POLICY = ROOT / "policies" / "iam" / "aws-readonly.json"


def test_prefix_rule() -> None:
    assert all(
        is_read_only(op) for op in ("DescribeVpcs", "ListTags", "GetCallerIdentity", "LookupEvents")
    )
    assert not any(
        is_read_only(op)
        for op in (
            "CreateSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "describeVpcs",
        )
    )


def test_mutating_call_through_collector_session_is_refused(aws_env: Seeded) -> None:
    session = read_only_session()  # the same builder the collector uses for every worker
    ec2 = session.client("ec2", region_name="us-east-1")
    with pytest.raises(ReadOnlyViolation, match="ec2:CreateSecurityGroup"):
        ec2.create_security_group(GroupName="must-not-exist", Description="x")
    with pytest.raises(ReadOnlyViolation, match="ec2:RevokeSecurityGroupIngress"):
        ec2.revoke_security_group_ingress(
            GroupId=aws_env.ids["prod-bastion-sg"],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
    assert ec2.describe_vpcs()["Vpcs"]  # read-only still works
    plain = boto3.client("ec2", region_name="us-east-1", endpoint_url=aws_env.endpoint)
    names = {g["GroupName"] for g in plain.describe_security_groups()["SecurityGroups"]}
    assert "must-not-exist" not in names
    bastion = plain.describe_security_groups(GroupIds=[aws_env.ids["prod-bastion-sg"]])
    assert bastion["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 22


def test_mutating_network_firewall_call_is_refused(aws_env: Seeded) -> None:
    session = read_only_session()
    nfw = session.client("network-firewall", region_name="us-east-1")
    before = len(aws_env.firewalls.requests)
    with pytest.raises(ReadOnlyViolation, match="network-firewall:UpdateFirewallPolicy"):
        nfw.update_firewall_policy(
            UpdateToken="x",
            FirewallPolicyName="insp-policy",
            FirewallPolicy={"StatelessDefaultActions": ["aws:drop"],
                            "StatelessFragmentDefaultActions": ["aws:drop"]},
        )  # fmt: skip
    with pytest.raises(ReadOnlyViolation, match="network-firewall:DeleteFirewall"):
        nfw.delete_firewall(FirewallName="insp-fw")
    assert len(aws_env.firewalls.requests) == before, "refused before anything was sent"
    assert nfw.list_firewalls()["Firewalls"]  # read-only still works


def test_guard_on_injected_sessions(aws_env: Seeded) -> None:
    made: list[boto3.session.Session] = []

    def factory() -> boto3.session.Session:
        made.append(boto3.session.Session())
        return made[-1]

    collect(CollectOptions(regions=("eu-west-1",)), NullProgress(), factory)
    assert made
    sts = made[-1].client("sts", region_name="eu-west-1")
    with pytest.raises(ReadOnlyViolation):
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="x")


def test_recorded_calls_are_read_only_and_match_the_iam_policy(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded
) -> None:
    state = ProxyState(upstream=aws_env.upstream, regions=("us-east-1", "eu-west-1"))
    with Proxy(state) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        snap = collect(CollectOptions(), NullProgress())  # region discovery included
    assert snap.complete
    made = {f"{c.service}:{c.action}" for c in proxy.state.calls}
    made |= {f"network-firewall:{r['operation']}" for r in aws_env.firewalls.requests}
    assert made and all(is_read_only(a.split(":")[1]) for a in made), made
    assert "ec2:DescribeRouteTables" in made and "network-firewall:DescribeRuleGroup" in made
    policy = json.loads(Path(POLICY).read_text())
    services = ("ec2", "sts", "network-firewall")
    allowed = {a for st in policy["Statement"] for a in st["Action"] if a.split(":")[0] in services}
    assert made == allowed, "policies/iam/aws-readonly.json must list exactly the calls made"
    assert all(st["Effect"] == "Allow" for st in policy["Statement"])

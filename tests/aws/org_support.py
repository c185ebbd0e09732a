"""An AWS organization on moto's server: 22 member accounts (one closed, so SUSPENDED; one whose
role the auditor may not assume; 20 readable), OUs two levels deep, open admin ports in two
regions of each account, and moto's IAM enforcement, so that the one role really is refused.

moto lets any AssumeRole through unless IAM authorization is enforced (``/moto-api/reset-auth``);
then the caller's identity policies are evaluated, Resource included. The management account's
auditor user gets ``Allow *`` and an explicit ``Deny sts:AssumeRole`` on the one account's role:
AWS answers AccessDenied exactly like that when an SCP or a permission boundary denies it.
Each member account holds ``OrganizationAccountAccessRole`` (moto's CreateAccount makes it, as
AWS does) with a describe-only inline policy. Seeding runs with enforcement off (moto's fake
keys), from one thread; `enforce_iam` switches it on and off.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3

REGIONS = ("us-east-1", "eu-west-1")
MEMBERS = 22  # one is closed (SUSPENDED) and one denied: 20 members are read
ROLE = "OrganizationAccountAccessRole"
MANAGEMENT = "123456789012"  # moto's default account: the caller, the management account
MEMBER_ROLE = Path(__file__).resolve().parents[2] / "policies" / "iam" / "aws-member-role.cfn.yaml"


def member_role_actions() -> tuple[str, ...]:
    """The actions the shipped member-role template grants (its ``- service:Action`` lines; the
    template's intrinsic tags keep a plain YAML loader from reading it)."""
    text = MEMBER_ROLE.read_text(encoding="utf-8")
    return tuple(re.findall(r"^\s+- ([a-z0-9-]+:[A-Za-z]+)$", text, re.M))


#: the member role's policy: the shipped role's own actions (policies/iam/aws-member-role.cfn.yaml)
READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": list(member_role_actions()), "Resource": "*"}],
}


@dataclass
class Org:
    endpoint: str
    accounts: dict[str, str] = field(default_factory=dict)  # id -> name, every ACTIVE member
    denied: str = ""  # the member whose role the auditor may not assume
    suspended: str = ""
    ous: dict[str, str] = field(default_factory=dict)  # name -> OU id
    placed: dict[str, str] = field(default_factory=dict)  # account id -> OU name
    auditor_key: tuple[str, str] = ("", "")


def _client(endpoint: str, service: str, region: str = "us-east-1", **creds: str) -> object:
    keys = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **keys)  # type: ignore[call-overload]


def _member(endpoint: str, account: str, service: str, region: str = "us-east-1") -> object:
    sts = _client(endpoint, "sts")
    c = sts.assume_role(  # type: ignore[attr-defined]
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return _client(endpoint, service, region, aws_access_key_id=c["AccessKeyId"],
                   aws_secret_access_key=c["SecretAccessKey"],
                   aws_session_token=c["SessionToken"])  # fmt: skip


def build(endpoint: str) -> Org:
    org = Org(endpoint)
    o = _client(endpoint, "organizations")
    o.create_organization(FeatureSet="ALL")  # type: ignore[attr-defined]
    root = o.list_roots()["Roots"][0]["Id"]  # type: ignore[attr-defined]
    for name, parent in (("prod", root), ("dev", root)):
        org.ous[name] = o.create_organizational_unit(ParentId=parent, Name=name)[  # type: ignore[attr-defined]
            "OrganizationalUnit"]["Id"]  # fmt: skip
    org.ous["prod-eu"] = o.create_organizational_unit(  # type: ignore[attr-defined]
        ParentId=org.ous["prod"], Name="prod-eu")["OrganizationalUnit"]["Id"]  # fmt: skip
    ids = []
    for n in range(MEMBERS):
        name = f"team-{n:02d}" + ("-sandbox" if n % 7 == 6 else "")
        status = o.create_account(Email=f"t{n}@example.com", AccountName=name)  # type: ignore[attr-defined]
        account = status["CreateAccountStatus"]["AccountId"]
        ids.append(account)
        org.accounts[account] = name
        ou = ("prod", "prod-eu", "dev", "")[n % 4]
        if ou:
            o.move_account(AccountId=account, SourceParentId=root,  # type: ignore[attr-defined]
                           DestinationParentId=org.ous[ou])  # fmt: skip
            org.placed[account] = ou
    org.suspended, org.denied = ids[3], ids[5]
    for account in ids:
        _seed_member(endpoint, account, org.accounts[account])
    o.close_account(AccountId=org.suspended)  # type: ignore[attr-defined]
    del org.accounts[org.suspended]
    org.auditor_key = _auditor(endpoint, org.denied)
    return org


def _seed_member(endpoint: str, account: str, name: str) -> None:
    iam = _member(endpoint, account, "iam")  # moto's CreateAccount made the role, as AWS does
    iam.put_role_policy(RoleName=ROLE, PolicyName="cloudfw-read",  # type: ignore[attr-defined]
                        PolicyDocument=json.dumps(READ_POLICY))  # fmt: skip
    for region in REGIONS:
        ec2 = _member(endpoint, account, "ec2", region)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]  # type: ignore[attr-defined]
        sg = ec2.create_security_group(  # type: ignore[attr-defined]
            GroupName=f"{name}-admin", Description="admin", VpcId=vpc)["GroupId"]  # fmt: skip
        port = 22 if region == "us-east-1" else 3389
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[  # type: ignore[attr-defined]
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])  # fmt: skip


def _auditor(endpoint: str, denied: str) -> tuple[str, str]:
    iam = _client(endpoint, "iam")
    iam.create_user(UserName="auditor")  # type: ignore[attr-defined]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sts:AssumeRole",
         "Resource": f"arn:aws:iam::{denied}:role/*"},
    ]}  # fmt: skip
    iam.put_user_policy(UserName="auditor", PolicyName="audit",  # type: ignore[attr-defined]
                        PolicyDocument=json.dumps(policy))  # fmt: skip
    key = iam.create_access_key(UserName="auditor")["AccessKey"]  # type: ignore[attr-defined]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def enforce_iam(endpoint: str, on: bool) -> None:
    """moto's IAM authorization, for every request from now on (on) or none (off)."""
    body = b"0" if on else b"inf"
    req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=body, method="POST",
                                 headers={"Content-Type": "text/plain"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()

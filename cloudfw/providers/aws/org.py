"""Which accounts an AWS Organizations scan reads: the organization's ACTIVE accounts, or the
accounts under some OUs, narrowed by globs; and the caller's own account or one role's.

Read from the caller's identity (the management account, or a delegated administrator) with
``organizations:ListAccounts``, ``ListChildren`` and ``ListAccountsForParent``, all paginated.
Accounts not ACTIVE (suspended, closing, closed: ``State``, or the older ``Status``) are
skipped and said so in a warning. The management account itself is read with the caller's own
credentials (OrganizationAccountAccessRole exists only in member accounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3.session

from cloudfw.providers.aws.assume import Target
from cloudfw.providers.aws.fetch import AwsCallError, call, pages
from cloudfw.providers.aws.scope import AwsScope
from cloudfw.providers.aws.session import make_client

ORG_REGION = "us-east-1"  # Organizations is a global service homed in us-east-1
_ARN_ACCOUNT = 4  # arn:partition:iam::ACCOUNT:role/NAME


@dataclass
class Scope:
    """The accounts to read, what was skipped (warnings), and why none could be listed."""

    targets: list[Target] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""  # the organization could not be listed: one coverage entry


def caller_account(session: boto3.session.Session, region: str, config: Any) -> str:
    sts = make_client(session, "sts", region, config)
    return str(call(sts, "get_caller_identity")["Account"])


def role_account(role_arn: str) -> str:
    parts = role_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise ValueError(f"--role-arn {role_arn!r}: expected arn:aws:iam::ACCOUNT:role/NAME")
    return parts[_ARN_ACCOUNT]


def discover(session: boto3.session.Session, scope: AwsScope, caller: str, config: Any) -> Scope:
    """The targets of ``scope`` (``scope.org``: the organization's; else the one role's)."""
    if scope.role_arn is not None:
        account = role_account(scope.role_arn)
        return Scope([Target(account, scope.role_arn, scope.external_id, scope.duration)])
    try:
        org = make_client(session, "organizations", ORG_REGION, config)
        listed = pages(org, "list_accounts", "Accounts")
        under = _accounts_under(org, scope.ous) if scope.ous else None
    except AwsCallError as exc:
        return Scope(error=f"organization accounts unknown: {exc}")
    out = Scope()
    skipped: list[str] = []
    partition = "aws"
    for acct in sorted(listed, key=lambda a: str(a["Id"])):
        account, name = str(acct["Id"]), str(acct.get("Name", ""))
        if under is not None and account not in under:
            continue
        if not scope.wants(account, name):
            continue
        state = str(acct.get("State") or acct.get("Status") or "ACTIVE")  # State replaces Status
        if state != "ACTIVE":
            skipped.append(f"{account} ({state})")
            continue
        partition = str(acct.get("Arn", "arn:aws:")).split(":")[1] or partition
        role = None if account == caller else scope.role_for(account, partition)
        out.targets.append(Target(account, role, scope.external_id, scope.duration))
    if skipped:
        out.warnings.append(f"aws organization: skipped {len(skipped)} account(s) not ACTIVE: "
                            + ", ".join(skipped))  # fmt: skip
    return out


def _accounts_under(org: Any, roots: tuple[str, ...]) -> set[str]:
    """Every account in the subtrees of ``roots`` (OU or root ids), breadth first."""
    seen: set[str] = set()
    accounts: set[str] = set()
    queue = list(roots)
    while queue:
        parent = queue.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        for a in pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent):
            accounts.add(str(a["Id"]))
        children = pages(
            org, "list_children", "Children", ParentId=parent, ChildType="ORGANIZATIONAL_UNIT"
        )
        queue.extend(str(c["Id"]) for c in children)
    return accounts

"""Options shared by `audit` and `collect`: where units run (--dask) and which AWS accounts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # loaded when a command runs, not for `--help`
    from cloudfw.executor import Executor
    from cloudfw.providers.aws.scope import AwsScope

DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar="CLOUDFW_DASK",
        help="Run the units (account x region, snapshot shards) as tasks on this dask.distributed "
        "scheduler, e.g. tcp://scheduler:8786 (needs cloudfw[dask] here and on the workers).",
    ),
]
OrgOpt = Annotated[
    bool,
    typer.Option(
        "--org", help="AWS: every active account of the organization (assumes --role-name)."
    ),
]
AccountsOpt = Annotated[
    list[str] | None,
    typer.Option("--accounts", help="AWS --org: keep accounts whose id or name matches (glob)."),
]
ExcludeAccountsOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude-accounts", help="AWS --org: drop accounts matching (id or name glob)."),
]
OuOpt = Annotated[
    list[str] | None,
    typer.Option("--ou", help="AWS --org: only the accounts under this OU (ou-… or r-…)."),
]
RoleNameOpt = Annotated[
    str,
    typer.Option("--role-name", help="AWS --org: the role to assume in each member account."),
]
ExternalIdOpt = Annotated[
    str | None,
    typer.Option("--external-id", help="AWS: the ExternalId the member role's trust requires."),
]
RoleArnOpt = Annotated[
    str | None,
    typer.Option("--role-arn", help="AWS: read the one account of this role (assumed)."),
]

ManagementGroupOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--management-group", help="Azure: every subscription under this management group."
    ),
]
OrganizationOpt = Annotated[
    list[str] | None,
    typer.Option("--organization", help="GCP: every active project under this organization id."),
]
FolderOpt = Annotated[
    list[str] | None,
    typer.Option("--folder", help="GCP: every active project under this folder id."),
]


def gcp_parents(organizations: list[str] | None, folders: list[str] | None) -> tuple[str, ...]:
    """``organizations/N`` and ``folders/N`` (a bare number or the full name is accepted)."""

    def full(kind: str, ids: list[str] | None) -> list[str]:
        return [i if i.startswith(f"{kind}/") else f"{kind}/{i}" for i in ids or ()]

    return (*full("organizations", organizations), *full("folders", folders))


def aws_scope(
    org: bool,
    accounts: list[str] | None,
    exclude_accounts: list[str] | None,
    ous: list[str] | None,
    role_name: str,
    external_id: str | None,
    role_arn: str | None,
) -> AwsScope | None:
    """The AWS accounts to read, or None for the caller's own (errors are bad usage: exit 2)."""
    from cloudfw.cli.common import fail
    from cloudfw.providers.aws.scope import AwsScope

    if org and role_arn:
        fail("--org and --role-arn exclude each other (--role-arn reads one account)")
    if not org and (accounts or exclude_accounts or ous):
        fail("--accounts, --exclude-accounts and --ou need --org")
    if external_id and not (org or role_arn):
        fail("--external-id needs --org or --role-arn")
    scope = AwsScope(
        org=org,
        accounts=tuple(accounts or ()),
        exclude_accounts=tuple(exclude_accounts or ()),
        ous=tuple(ous or ()),
        role_name=role_name,
        external_id=external_id,
        role_arn=role_arn,
    )
    return scope if scope.active else None


@contextmanager
def executor(dask: str | None, workers: int, jobs: int = 0) -> Iterator[Executor]:
    """The executor for one command: ``--dask``'s cluster, or this machine's threads/processes."""
    from cloudfw.executor import open_executor

    ex = open_executor(dask, threads=workers, processes=jobs)
    try:
        yield ex
    finally:
        ex.close()

"""`cloudfw audit` and `cloudfw collect`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cloudfw.cli.common import (
    StderrProgress,
    batch_gc,
    exit_code,
    fail,
    handle_errors,
    parse_severity,
    write_output,
    wrote_snapshot,
)
from cloudfw.cli.history import NewOnlyOpt, NoStoreOpt, StoreOpt, record_audit
from cloudfw.cli.imports import AccountOpt, ImportFormatOpt, ImportsOpt, read_import_files
from cloudfw.cli.scope_opts import (
    AccountsOpt,
    DaskOpt,
    ExcludeAccountsOpt,
    ExternalIdOpt,
    FolderOpt,
    ManagementGroupOpt,
    OrganizationOpt,
    OrgOpt,
    OuOpt,
    RoleArnOpt,
    RoleNameOpt,
    aws_scope,
    executor,
    gcp_parents,
)
from cloudfw.model import ChangeEvent, Coverage, Snapshot
from cloudfw.providers.aws.scope import DEFAULT_ROLE, AwsScope
from cloudfw.providers.base import CollectOptions


class Provider(StrEnum):
    aws = "aws"
    azure = "azure"
    gcp = "gcp"


RegionOpt = Annotated[
    list[str] | None,
    typer.Option("--region", "-r", help="AWS region (repeatable). Default: every enabled region."),
]
SubscriptionOpt = Annotated[
    list[str] | None,
    typer.Option("--subscription", help="Azure subscription id (repeatable). Default: all."),
]
ProjectOpt = Annotated[
    list[str] | None,
    typer.Option("--project", help="GCP project id (repeatable). Default: all visible."),
]
AzureEndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--azure-endpoint",
        envvar="CLOUDFW_AZURE_ENDPOINT",
        help="ARM base URL (sovereign clouds, tests). Plain http only for loopback.",
    ),
]
GcpEndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--gcp-endpoint",
        envvar="CLOUDFW_GCP_ENDPOINT",
        help="Compute API endpoint (Private Service Connect, tests). Plain http only for loopback.",
    ),
]
ProvidersOpt = Annotated[
    list[Provider] | None,
    typer.Option("--provider", "-p", help="Collect live from this cloud (repeatable)."),
]
SnapshotsOpt = Annotated[
    list[Path] | None,
    typer.Option("--snapshot", "-s", help="A snapshot file from `cloudfw collect` (repeatable)."),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report here (atomic).")
]
FailOnOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding is at or above: info|low|medium|high|critical. "
        "Default: the baseline's policy.fail_on, else high.",
    ),
]
CatalogOpt = Annotated[
    Path | None, typer.Option("--catalog", help="Service catalog YAML (default: built in).")
]
WorkersOpt = Annotated[
    int,
    typer.Option("--workers", min=1, max=64, help="Concurrent scope units (regions, projects…)."),
]


def collect_live(
    providers: list[str],
    options: CollectOptions,
    progress: StderrProgress,
) -> Snapshot:
    from cloudfw.providers.registry import collector

    snap: Snapshot | None = None
    for name in providers:
        part = collector(name)(options, progress)
        snap = part if snap is None else snap.merge(part)
    assert snap is not None
    return snap


def gather(
    snapshots: list[Path] | None,
    providers: list[Provider] | None,
    options: CollectOptions,
    imports: Snapshot | None = None,
) -> Snapshot:
    """Snapshot files, imports and live collection, merged (the caller checks that one was
    given)."""
    parts: list[Snapshot] = []
    if snapshots:
        parts.append(load_snapshots(snapshots))
    if imports is not None:
        parts.append(imports)
    if providers:
        parts.append(collect_live([p.value for p in providers], options, StderrProgress()))
    snap = parts[0]
    for part in parts[1:]:
        snap = snap.merge(part)
    return snap


def load_snapshots(paths: list[Path]) -> Snapshot:
    from cloudfw.snapshotio import read_snapshot

    snap: Snapshot | None = None
    for p in paths:
        part = read_snapshot(p)
        snap = part if snap is None else snap.merge(part)
    assert snap is not None
    return snap


def collect_options(
    region: list[str] | None,
    subscription: list[str] | None,
    project: list[str] | None,
    azure_endpoint: str | None,
    gcp_endpoint: str | None,
    workers: int,
    aws: AwsScope | None = None,
    management_groups: list[str] | None = None,
    parents: tuple[str, ...] = (),
) -> CollectOptions:
    return CollectOptions(
        regions=tuple(region or ()),
        subscriptions=tuple(subscription or ()),
        management_groups=tuple(management_groups or ()),
        projects=tuple(project or ()),
        gcp_parents=parents,
        azure_endpoint=azure_endpoint,
        gcp_endpoint=gcp_endpoint,
        workers=workers,
        aws=aws,
    )


class Format(StrEnum):
    table = "table"
    json = "json"


@handle_errors
def audit(
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", "-b", help="Baseline YAML: approved/required rules, policy."),
    ] = None,
    provider: ProvidersOpt = None,
    snapshot: SnapshotsOpt = None,
    imports: ImportsOpt = None,
    import_format: ImportFormatOpt = None,
    account: AccountOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="table | json | csv | sarif | ocsf | junit | html | markdown"
        ),
    ] = "table",
    output: OutputOpt = None,
    fail_on: FailOnOpt = None,
    catalog: CatalogOpt = None,
    region: RegionOpt = None,
    subscription: SubscriptionOpt = None,
    project: ProjectOpt = None,
    azure_endpoint: AzureEndpointOpt = None,
    gcp_endpoint: GcpEndpointOpt = None,
    workers: WorkersOpt = 8,
    events: Annotated[
        list[str] | None,
        typer.Option(
            "--events",
            "-e",
            help="Change-event logs (files, dirs, s3://, cloudtrail://): attach who changed each "
            "rule, and judge the changes against the baseline.",
        ),
    ] = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    new_only: NewOnlyOpt = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            max=64,
            help="Shards (worker processes, or tasks with --dask) for one big --snapshot file, "
            "split by provider account. 0: one per CPU (up to 4) or per cluster thread, for "
            "files over 32 MB; 1: none.",
        ),
    ] = 0,
    dask: DaskOpt = None,
    org: OrgOpt = False,
    accounts: AccountsOpt = None,
    exclude_accounts: ExcludeAccountsOpt = None,
    ou: OuOpt = None,
    role_name: RoleNameOpt = DEFAULT_ROLE,
    external_id: ExternalIdOpt = None,
    role_arn: RoleArnOpt = None,
    management_group: ManagementGroupOpt = None,
    organization: OrganizationOpt = None,
    folder: FolderOpt = None,
) -> None:
    """Audit firewall rules: internet exposure, allow-all, unlogged, baseline drift.

    \b
    Examples:
      cloudfw audit --provider aws --baseline prod.yaml
      cloudfw audit --provider aws --region eu-west-1 --format json -o report.json
      cloudfw audit --snapshot snap.json --baseline prod.yaml --fail-on medium
      cloudfw audit --provider aws -b prod.yaml --events s3://trail-bucket/AWSLogs/
      cloudfw audit --provider aws --new-only --format sarif -o new.sarif
      cloudfw audit --import aws-export/ --baseline prod.yaml
      cloudfw audit --import nsgs.json --import cai-export.jsonl.gz
      cloudfw audit --provider aws --org --region us-east-1 --exclude-accounts '*-sandbox'
      cloudfw audit --provider aws --org --dask tcp://scheduler:8786 -f json -o org.json

    Every run is recorded in the scan history (--store, default under the user data
    dir; --no-store turns it off): see `cloudfw history` and `cloudfw diff A B`.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad usage or
    input; 3 incomplete (a region/account/subscription/project/file could not be read: the
    report's coverage says which and why).
    """
    from cloudfw.cli.runner import (
        NO_READS,
        audit_file_sharded,
        audit_snapshot,
        load_policy,
        read_change_events,
    )
    from cloudfw.store import RuleRow, rule_rows

    if not provider and not snapshot and not imports:
        fail("nothing to audit: give --provider aws|azure|gcp, --snapshot FILE or --import FILE")
    if fmt not in _formats():
        fail(f"unknown --format {fmt!r} (known: {', '.join(_formats())})")
    loaded = load_policy(baseline, catalog)
    threshold = parse_severity(fail_on) if fail_on else loaded.policy.fail_on
    scope = aws_scope(org, accounts, exclude_accounts, ou, role_name, external_id, role_arn)
    opts = collect_options(
        region, subscription, project, azure_endpoint, gcp_endpoint, workers, scope,
        management_group, gcp_parents(organization, folder),
    )  # fmt: skip
    with batch_gc(), executor(dask, workers, jobs) as ex:
        opts = replace(opts, executor=ex)
        changes: tuple[ChangeEvent, ...] = ()
        event_coverage: tuple[Coverage, ...] = ()
        reads = NO_READS
        if events:
            from cloudfw.cli.events_store import enumeration_history

            history = None if no_store else enumeration_history(store)
            changes, event_coverage, reads = read_change_events(events, history)
        now = datetime.now(UTC)
        done = None
        imported = (
            read_import_files(imports, import_format, account, region, project) if imports else None
        )
        if snapshot and len(snapshot) == 1 and not provider and imported is None:
            done = audit_file_sharded(
                snapshot[0], jobs, loaded, now, ex, changes, event_coverage,
                keep_rows=not no_store, reads=reads,
            )  # fmt: skip
            if done.why:
                typer.echo(f"cloudfw: one process: {snapshot[0]}: {done.why}", err=True)
            elif done.report is not None:
                how = "worker processes" if not ex.remote else f"shards on {ex.where}"
                typer.echo(f"cloudfw: audited in {done.jobs} {how}", err=True)
        rows: Iterable[RuleRow]
        if done is not None and done.report is not None:
            report, rows = done.report, done.rows
        else:
            snap = gather(snapshot, provider, opts, imported)
            report = audit_snapshot(
                snap, loaded, now, events=changes, extra_coverage=event_coverage, reads=reads
            )
            rows = rule_rows(snap.rulesets)
        report = record_audit(report, rows, store, no_store, new_only)
        _emit(report, fmt, output)
    raise typer.Exit(int(exit_code(report, threshold)))


def _formats() -> list[str]:
    from cloudfw.export import RENDERERS

    return sorted(RENDERERS)


def _emit(report: object, fmt: str, output: Path | None) -> None:
    from cloudfw.export import render
    from cloudfw.model.report import Report

    assert isinstance(report, Report)
    write_output(render(report, fmt), output)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


@handle_errors
def collect(
    provider: Annotated[Provider, typer.Argument(help="aws | azure | gcp")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Snapshot file to write (.json/.gz).")],
    region: RegionOpt = None,
    subscription: SubscriptionOpt = None,
    project: ProjectOpt = None,
    azure_endpoint: AzureEndpointOpt = None,
    gcp_endpoint: GcpEndpointOpt = None,
    workers: WorkersOpt = 8,
    dask: DaskOpt = None,
    org: OrgOpt = False,
    accounts: AccountsOpt = None,
    exclude_accounts: ExcludeAccountsOpt = None,
    ou: OuOpt = None,
    role_name: RoleNameOpt = DEFAULT_ROLE,
    external_id: ExternalIdOpt = None,
    role_arn: RoleArnOpt = None,
    management_group: ManagementGroupOpt = None,
    organization: OrganizationOpt = None,
    folder: FolderOpt = None,
) -> None:
    """Collect one cloud's firewall state into a snapshot file, for a later `audit --snapshot`.

    \b
    Examples:
      cloudfw collect aws --region us-east-1 --out aws.json
      cloudfw collect gcp --project my-proj --out gcp.json.gz
      cloudfw collect aws --org --ou ou-ab12-prod --role-name cloudfw-audit --out org.json

    Exits 3 when a scope could not be read (the snapshot's coverage lists it).
    """
    from cloudfw.snapshotio import write_snapshot

    scope = aws_scope(org, accounts, exclude_accounts, ou, role_name, external_id, role_arn)
    opts = collect_options(
        region, subscription, project, azure_endpoint, gcp_endpoint, workers, scope,
        management_group, gcp_parents(organization, folder),
    )  # fmt: skip
    with executor(dask, workers) as ex:
        snap = collect_live([provider.value], replace(opts, executor=ex), StderrProgress())
    write_snapshot(snap, out)
    read = sum(c.ok for c in snap.coverage)
    wrote_snapshot(out, snap, f"{read}/{len(snap.coverage)} scopes read")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
    app.command("collect")(collect)

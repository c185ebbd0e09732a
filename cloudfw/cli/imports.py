"""`cloudfw import` and the --import options `cloudfw audit` shares with it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cloudfw.cli.common import batch_gc, fail, handle_errors, wrote_snapshot
from cloudfw.model import Snapshot

ImportsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--import",
        "-i",
        help="A provider or inventory export (file or directory, repeatable): aws ec2 describe-*, "
        "AWS Config, az network ... / az graph query, gcloud ... --format=json, Cloud Asset "
        "Inventory. Format detected from content.",
    ),
]
ImportFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--import-format",
        help="Force the --import reader: aws-cli | aws-config | azure-cli | "
        "azure-resource-graph | gcloud | gcp-asset-inventory.",
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="With --import: the AWS account (or Azure subscription) of files that do not say.",
    ),
]


def read_import_files(
    paths: list[Path],
    fmt: str | None,
    account: str | None,
    region: list[str] | None,
    project: list[str] | None,
) -> Snapshot:
    """`cloudfw.imports.read_imports` with the command line's scope defaults (one each)."""
    from cloudfw.imports import ImportOptions, read_imports

    for flag, values in (("--region", region), ("--project", project)):
        if values and len(values) > 1:
            fail(f"with --import, give {flag} once (the default for files that do not say)")
    opts = ImportOptions(
        account=account or "",
        region=(region or [""])[0],
        project=(project or [""])[0],
        format=fmt or "",
    )
    return read_imports(paths, opts, datetime.now(UTC))


@handle_errors
def import_files(
    paths: Annotated[
        list[Path], typer.Argument(help="Export files or directories (.json, .jsonl, .gz).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Snapshot file to write (.json/.gz).")],
    import_format: ImportFormatOpt = None,
    account: AccountOpt = None,
    region: Annotated[
        str | None, typer.Option("--region", help="AWS region of files that do not say.")
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="GCP project of files that do not say.")
    ] = None,
) -> None:
    """Import provider and inventory exports into a snapshot, for a later `audit --snapshot`.

    \b
    Examples:
      cloudfw import aws-export/ --out aws.json
      cloudfw import sgs.json --account 123456789012 --region eu-west-1 --out sgs-snap.json
      cloudfw import nsgs.json firewalls.json --out azure.json
      cloudfw import cai-export.jsonl.gz --out org.json.gz

    Formats are detected from content (--import-format forces one). A bad file is an error
    naming the file and JSON path (exit 2); exits 3 when the files leave joins undone (no
    interfaces, no flow logs...): the snapshot's coverage says which.
    """
    from cloudfw.snapshotio import write_snapshot

    with batch_gc():  # millions of long-lived, acyclic objects: see batch_gc
        snap = read_import_files(
            paths, import_format, account, [region] if region else None,
            [project] if project else None,
        )  # fmt: skip
        write_snapshot(snap, out)
    files = sum(c.scope.startswith("file:") for c in snap.coverage)
    wrote_snapshot(out, snap, f"{len(snap.coverage) - files} scope(s) from {files} file(s)")


def register(app: typer.Typer) -> None:
    app.command("import")(import_files)

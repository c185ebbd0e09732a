"""`cloudfw exposure`: what the internet can really reach, per asset, through every layer."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cloudfw.cli.audit import (
    AzureEndpointOpt,
    GcpEndpointOpt,
    ProjectOpt,
    ProvidersOpt,
    RegionOpt,
    SnapshotsOpt,
    SubscriptionOpt,
    WorkersOpt,
    collect_options,
    gather,
)
from cloudfw.cli.common import Exit, fail, handle_errors, write_output
from cloudfw.cli.imports import AccountOpt, ImportFormatOpt, ImportsOpt, read_import_files
from cloudfw.exposure import AssetExposure
from cloudfw.model import Snapshot

#: how narrow the table's columns may get (asset, public address, family, traffic, from, verdict),
#: and the width kept for "decided by", which takes the rest of the line and wraps
TABLE_MIN_WIDTH = (24, 15, None, 29, 16, None, 64)


class ExposureFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


@handle_errors
def exposure(
    provider: ProvidersOpt = None,
    snapshot: SnapshotsOpt = None,
    imports: ImportsOpt = None,
    import_format: ImportFormatOpt = None,
    account: AccountOpt = None,
    fmt: Annotated[
        ExposureFormat, typer.Option("--format", "-f", help="table | json | html")
    ] = ExposureFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (atomic) instead of stdout.")
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Table/html: also list assets without a public address, narrow sources."
        ),
    ] = False,
    region: RegionOpt = None,
    subscription: SubscriptionOpt = None,
    project: ProjectOpt = None,
    azure_endpoint: AzureEndpointOpt = None,
    gcp_endpoint: GcpEndpointOpt = None,
    workers: WorkersOpt = 8,
) -> None:
    """Effective exposure: the protocol/ports the internet can reach on each asset.

    Every enforcement point in front of an asset is stacked, each under its own semantics:
    AWS subnet NACL (stateless: the reply's ephemeral ports must be allowed out) and the union of
    the ENI's security groups; Azure subnet NSG and NIC NSG, plus Azure Firewall DNAT rules in
    front of a private address; GCP hierarchical -> network policy -> VPC rules (goto_next,
    targets); a host firewall snapshot whose host id is the instance id (or one of its private
    IPs) is the innermost layer. "Internet" applies only to assets with a public address (AWS
    route tables are not read: a public IP is assumed routed). The table has one line per
    asset, address family and port range, with the verdict and what decided it: the allowing
    rule on every layer, or the layer and rule that block an open port.

    \b
    Examples:
      cloudfw exposure --provider aws --region eu-west-1
      cloudfw exposure --snapshot aws.json --snapshot azure.json --format json -o exposure.json
      cloudfw exposure --snapshot snap.json --format html -o exposure.html --all
      cloudfw exposure --import aws-export/ --format json

    JSON: schema "cloudfw.exposure/1" (see cloudfw/exposure/report.py).
    Exit codes: 0 nothing reachable from the internet; 1 something is; 2 bad usage or input;
    3 incomplete (a scope could not be read: never reported as clean).
    """
    from cloudfw.exposure import build_paths, effective_exposure

    if not provider and not snapshot and not imports:
        fail("nothing to analyse: give --provider aws|azure|gcp, --snapshot FILE or --import FILE")
    opts = collect_options(region, subscription, project, azure_endpoint, gcp_endpoint, workers)
    imported = (
        read_import_files(imports, import_format, account, region, project) if imports else None
    )
    snap = gather(snapshot, provider, opts, imported)
    results = effective_exposure(build_paths(snap.rulesets))
    now = datetime.now(UTC)
    write_output(_render(fmt, results, snap, now, show_all), output)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)
    if not snap.complete:
        for c in snap.coverage:
            if not c.ok:
                typer.echo(f"cloudfw: incomplete: {c.scope}: {c.reason}", err=True)
        raise typer.Exit(int(Exit.INCOMPLETE))
    raise typer.Exit(int(Exit.FINDINGS if any(r.reachable for r in results) else Exit.CLEAN))


def _render(
    fmt: ExposureFormat, res: list[AssetExposure], snap: Snapshot, now: datetime, show_all: bool
) -> str:
    import orjson

    from cloudfw.exposure.report import document, rows

    if fmt is ExposureFormat.json:
        doc = document(res, snap.coverage, now)
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
    table_rows = rows(res, everything=show_all)
    if fmt is ExposureFormat.html:
        from cloudfw import __version__
        from cloudfw.export import render
        from cloudfw.model.report import Report

        report = Report(
            findings=(),
            coverage=snap.coverage,
            generated_at=now,
            tool_version=__version__,
            rulesets=len(snap.rulesets),
            extra={"exposure": table_rows},
        )
        return render(report, "html")
    from cloudfw.export.table import text_table
    from cloudfw.exposure.report import COLUMNS

    if not table_rows:
        return (
            f"nothing reachable from the internet ({len({r.path.asset.uid for r in res})} assets)\n"
        )
    head = [c.upper() for c in COLUMNS]
    cells = [[r[c] for c in COLUMNS] for r in table_rows]
    body = "\n".join(text_table(head, cells, TABLE_MIN_WIDTH))
    every = {r.path.asset.uid for r in res}
    reach = {r.path.asset.uid for r in res if r.reachable}
    return f"{body}\n\n{len(reach)} of {len(every)} assets reachable from the internet\n"


def register(app: typer.Typer) -> None:
    app.command("exposure")(exposure)

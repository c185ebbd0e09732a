"""`cloudfw baseline capture|validate`."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
    collect_options,
    gather,
)
from cloudfw.cli.common import Exit, fail, handle_errors, write_output

baseline_app = typer.Typer(
    name="baseline",
    help="Write a baseline from what is open today, or check a baseline file.\n\n"
    "A baseline lists the approved exposures (anything else that opens is\n"
    "`unexpectedly-authorized`), the rules that must exist (their absence is `revoked`),\n"
    "and exceptions that mute one finding until an expiry date.",
    no_args_is_help=True,
)


def _today() -> date:
    return datetime.now(UTC).date()


@baseline_app.command("validate")
@handle_errors
def validate(
    file: Annotated[Path, typer.Argument(help="Baseline YAML file.", show_default=False)],
) -> None:
    """Check a baseline file: YAML syntax, structure, ports, CIDRs, protocols, check ids,
    dates and per-check parameters.

    Prints one summary line and exits 0 when the file is valid. Otherwise prints one line
    naming the file, line and field, and exits 2:

    \b
      $ cloudfw baseline validate prod.yaml
      ok: 12 approved, 2 required, 1 exceptions
      $ cloudfw baseline validate broken.yaml
      cloudfw: error: broken.yaml:12: approved[0].rules[1].ports: port '70000' is outside 0..65535
    """
    from cloudfw.cli.runner import load_policy

    loaded = load_policy(file)
    b = loaded.baseline
    assert b is not None  # a path was given
    typer.echo(f"ok: {len(b.approved)} approved, {len(b.required)} required, "
               f"{len(b.exceptions)} exceptions")  # fmt: skip
    today = _today()
    for x in b.exceptions:
        if x.expires < today:
            typer.echo(
                f"cloudfw: note: {b.where(x.line)}: exception for {x.check} on {x.resource} "
                f"expired after {x.expires.isoformat()}; it no longer suppresses anything",
                err=True,
            )


@baseline_app.command("capture")
@handle_errors
def capture(
    snapshot: SnapshotsOpt = None,
    provider: ProvidersOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the baseline here (default: stdout)."),
    ] = None,
    region: RegionOpt = None,
    subscription: SubscriptionOpt = None,
    project: ProjectOpt = None,
    azure_endpoint: AzureEndpointOpt = None,
    gcp_endpoint: GcpEndpointOpt = None,
) -> None:
    """Write a baseline that approves every rule open today, so drift starts from now.

    Each rule set becomes one `approved` entry; each rule is pinned by `rule_id`, so a later
    change to it is reported as `modified`. `required` and `exceptions` start empty, with
    commented examples. Review the result before you commit it. Exit 3 (file still written)
    when the snapshot is incomplete: what was not read is not approved.

    \b
      cloudfw collect aws --out snap.json
      cloudfw baseline capture --snapshot snap.json --out prod.yaml
      cloudfw audit --snapshot snap.json --baseline prod.yaml   # no drift findings
      cloudfw baseline capture --provider aws --region eu-west-1 --out prod.yaml
    """
    from cloudfw.baseline import capture_baseline

    if not snapshot and not provider:
        fail("nothing to capture: give --snapshot FILE or --provider aws|azure|gcp")
    opts = collect_options(region, subscription, project, azure_endpoint, gcp_endpoint, 8)
    snap = gather(snapshot, provider, opts)
    write_output(capture_baseline(snap, today=_today()), out)
    missing = [c for c in snap.coverage if not c.ok]
    if missing:
        scopes = ", ".join(f"{c.provider} {c.scope}" for c in missing)
        typer.echo(f"cloudfw: warning: incomplete snapshot; not captured: {scopes}", err=True)
        raise typer.Exit(int(Exit.INCOMPLETE))


def register(app: typer.Typer) -> None:
    app.add_typer(baseline_app, name="baseline")

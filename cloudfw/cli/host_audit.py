"""`cloudfw host audit` and `cloudfw host collector`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cloudfw.cli.audit import CatalogOpt, FailOnOpt, OutputOpt
from cloudfw.cli.common import (
    Exit,
    exit_code,
    fail,
    handle_errors,
    open_output,
    parse_severity,
    write_output,
)
from cloudfw.cli.history import NewOnlyOpt, NoStoreOpt, StoreOpt, record_findings
from cloudfw.cli.host import host_app
from cloudfw.cli.runner import load_policy
from cloudfw.cli.scope_opts import DaskOpt, executor

if TYPE_CHECKING:
    from cloudfw.hosts.fleet import FleetAudit
    from cloudfw.model import Finding, Severity

SCRIPTS = {
    "macos": "collect-posix.sh",
    "linux": "collect-posix.sh",
    "windows": "collect-windows.ps1",
}


class Platform(StrEnum):
    macos = "macos"
    linux = "linux"
    windows = "windows"


def _input_formats() -> list[str]:
    from cloudfw.hosts.parsers import BY_NAME

    return list(BY_NAME)


@handle_errors
def audit(
    snapshots: Annotated[
        list[Path],
        typer.Argument(help="Snapshot files, bundles (dir or .tar.gz) or directories of many."),
    ],
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", "-b", help="Baseline YAML (match hosts with `hosts: GLOB`)."),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="Report format: table | json | jsonl (one finding per line, then a summary "
            "line) | csv | sarif | ... An input format name (iptables, pf, ...) is accepted here "
            "too and forces that parser.",
        ),
    ] = "table",
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            "-F",
            help="Force the parser for loose files (skip "
            "detection): " + ", ".join(_input_formats()),
        ),
    ] = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = None,
    catalog: CatalogOpt = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes auditing hosts in parallel.")
    ] = 1,
    dask: DaskOpt = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    new_only: NewOnlyOpt = False,
) -> None:
    """Audit host firewall snapshots: disabled firewalls, internet exposure, logging, drift.

    Reads what the collector scripts gather (see `cloudfw host collector`): iptables-save,
    ip6tables-save, nft -j, ufw status verbose, firewall-cmd --list-all-zones, pfctl -sr/-sa/
    -s info and pf.conf, com.apple.alf.plist, socketfilterfw, system_profiler
    SPFirewallDataType, Get-NetFirewallProfile/Rule JSON, netsh advfirewall, osquery results.
    Formats are detected from content.

    \b
    Examples:
      cloudfw host audit web-01.tar.gz db-01/
      cloudfw host audit fleet/ --baseline hosts.yaml --format json -o report.json
      cloudfw host audit rules.v4 --input-format iptables --fail-on medium
      cloudfw host audit fleet/ --workers 8 -f jsonl | jq -c 'select(.severity=="high")'
      cloudfw host audit fleet/ --dask tcp://scheduler:8786 -f json -o report.json

    Hosts are audited in chunks on this machine (--workers processes) or as tasks on a Dask
    cluster (--dask; every worker needs cloudfw and must see the same input paths). Findings
    wait on disk, not in memory: json and jsonl are written as they are merged.

    Every run is recorded in the scan history (see `cloudfw history`; --no-store turns it off).

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad usage;
    3 incomplete (a file or bundle could not be read: the error names file:line, the other
    hosts are still audited and the report's coverage lists it).
    """
    from cloudfw.export import RENDERERS
    from cloudfw.hosts.audit import HostAuditRequest
    from cloudfw.hosts.fleet import audit_fleet
    from cloudfw.hosts.parsers import BY_NAME

    if fmt in BY_NAME and input_format is None:
        fmt, input_format = "table", fmt
    if fmt not in RENDERERS and fmt != "jsonl":
        fail(
            f"unknown --format {fmt!r} (report formats: {', '.join(sorted([*RENDERERS, 'jsonl']))}"
            f"; input formats: {', '.join(BY_NAME)})"
        )
    if input_format is not None and input_format not in BY_NAME:
        fail(f"unknown --input-format {input_format!r} (known: {', '.join(BY_NAME)})")
    _check_inputs(snapshots)
    loaded = load_policy(baseline, catalog)
    threshold = parse_severity(fail_on) if fail_on else loaded.policy.fail_on
    req = HostAuditRequest(
        paths=tuple(snapshots),
        policy=loaded.policy,
        catalog=loaded.catalog,
        now=datetime.now(UTC),
        baseline=loaded.baseline,
        fmt=input_format,
    )
    parallel = dask is not None or workers > 1
    with executor(dask, workers, workers) if parallel else nullcontext(None) as ex:
        fleet = audit_fleet(req, ex)
    try:
        code = _write(fleet, fmt, output, threshold, store, no_store, new_only)
    finally:
        fleet.close()
    for c in fleet.report.coverage:
        if not c.ok:
            where = "" if c.reason.startswith(c.scope) else f"{c.scope}: "
            typer.echo(f"cloudfw: error: {where}{c.reason}", err=True)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)
    raise typer.Exit(int(code))


def _write(
    fleet: FleetAudit,
    fmt: str,
    output: Path | None,
    threshold: Severity,
    store: Path | None,
    no_store: bool,
    new_only: bool,
) -> Exit:
    """Record the run, write the report; the exit code."""
    from cloudfw.export import render
    from cloudfw.export.stream import STREAMED, write_json, write_jsonl

    report = fleet.report
    drop = record_findings(report, fleet.findings, (), store, no_store, new_only, "host-audit")

    def findings() -> Iterator[Finding]:
        return (f for f in fleet.findings() if drop is None or f.key not in drop)

    if fmt not in STREAMED:
        full = replace(report, findings=tuple(findings()))
        write_output(render(full, fmt), output)
        return exit_code(full, threshold)
    with open_output(output) as out:
        counts = write_json(report, findings, out) if fmt == "json" else write_jsonl(
            report, findings(), out)  # fmt: skip
    if not report.complete:
        return Exit.INCOMPLETE
    if counts.gravest is not None and counts.gravest >= threshold:
        return Exit.FINDINGS
    return Exit.CLEAN


def _check_inputs(paths: list[Path]) -> None:
    """Every named path exists and the whole lot holds at least one snapshot: auditing nothing
    is a usage error, never a clean report."""
    from cloudfw.hosts.audit import expand

    for p in paths:
        if not p.exists():
            fail(f"{p}: no such file or directory")
    if not expand(paths):
        fail(f"no host snapshots found in {', '.join(str(p) for p in paths)}")


def collector_script(platform: str) -> str:
    name = SCRIPTS[platform]
    res = resources.files("cloudfw").joinpath(f"data/collectors/{name}")
    return res.read_text(encoding="utf-8")


@handle_errors
def collector(
    platform: Annotated[Platform, typer.Option("--platform", "-p", help="macos | linux | windows")],
) -> None:
    """Print the read-only collector script for a platform (no dependencies beyond the OS).

    \b
    Examples:
      cloudfw host collector --platform linux > collect.sh && sudo sh collect.sh /tmp/out
      cloudfw host collector --platform macos | sudo sh -s -- /tmp/out
      cloudfw host collector --platform windows > collect.ps1   # run as Administrator

    The script writes one bundle (a directory and a .tar.gz with manifest.json) that
    `cloudfw host audit` reads.
    """
    write_output(collector_script(platform.value), None)


def register(app: typer.Typer) -> None:
    """Attach `audit` and `collector` to the `host` sub-app (which `cli.host` registers)."""
    if any(c.name == "audit" for c in host_app.registered_commands):
        return  # already attached (register is called once per app; host_app is shared)
    host_app.command("audit")(audit)
    host_app.command("collector")(collector)

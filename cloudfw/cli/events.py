"""`cloudfw events` and `cloudfw evidence export|verify`."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cloudfw.cli.common import Exit, fail, handle_errors
from cloudfw.cli.events_store import EventSpool
from cloudfw.cli.history import NoStoreOpt, StoreOpt
from cloudfw.cli.history_maint import add_history_chain
from cloudfw.events import (
    EventReader,
    EventsError,
    ReadOptions,
    ReadStats,
    RecordUnit,
    StreamUnit,
    Unit,
    UnitGroup,
)
from cloudfw.model import ChangeEvent

MAX_SHOWN_PROBLEMS = 20
SCHEMES = {
    "s3://": "s3://bucket/prefix",
    "cloudtrail://": "cloudtrail://us-east-1",
    "azure-activity://": "azure-activity://SUBSCRIPTION-ID",
    "gcp-audit://": "gcp-audit://PROJECT-ID",
}


class EventFormat(StrEnum):
    jsonl = "jsonl"
    table = "table"
    csv = "csv"
    ocsf = "ocsf"


class Provider(StrEnum):
    aws = "aws"
    azure = "azure"
    gcp = "gcp"


def parse_time(text: str | None, option: str, now: datetime | None = None) -> datetime | None:
    """ISO date/time (UTC unless an offset is given) or a relative ``30m``/``12h``/``7d``."""
    if text is None:
        return None
    t = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if t[:-1].isdigit() and t[-1:] in units:
        return (now or datetime.now(UTC)) - timedelta(**{units[t[-1]]: int(t[:-1])})
    try:
        value = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{option}: {text!r} is not a date/time (use 2026-11-01, 2026-11-01T10:00Z or 7d)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_window(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """``--since``/``--until``; a window that ends before it starts is a usage error."""
    t0, t1 = parse_time(since, "--since", now), parse_time(until, "--until", now)
    if t0 is not None and t1 is not None and t1 <= t0:
        raise typer.BadParameter(
            f"--until {until} is not after --since {since}: the window is empty"
        )
    return t0, t1


def _expand(
    p: str, since: datetime | None, until: datetime | None
) -> Iterator[StreamUnit | RecordUnit]:
    from cloudfw.events import local_units

    if p.startswith("s3://"):
        from cloudfw.providers.events_aws import s3_objects

        for loc, opener in s3_objects(p):
            yield StreamUnit(loc, opener)
    elif p.startswith("cloudtrail://"):
        from cloudfw.providers.events_aws import lookup_events

        region = p[len("cloudtrail://") :].strip("/")
        yield RecordUnit(p, lookup_events(region, since, until), kind="lookup")
    elif p.startswith("azure-activity://"):
        from cloudfw.providers.events_azure import activity_log

        sub = p[len("azure-activity://") :].strip("/")
        yield RecordUnit(p, activity_log(sub, since, until), kind="azure")
    elif p.startswith("gcp-audit://"):
        from cloudfw.providers.events_gcp import audit_entries

        project = p[len("gcp-audit://") :].strip("/")
        yield RecordUnit(p, audit_entries(project, since, until), kind="gcp")
    else:
        yield from local_units(p)


def build_units(paths: list[str], since: datetime | None, until: datetime | None) -> list[Unit]:
    """Local files/dirs, ``s3://bucket/prefix`` and ``cloudtrail://REGION`` (LookupEvents);
    one lazily expanded group per path, so a failing source does not stop the others."""
    return [UnitGroup(p, functools.partial(_expand, p, since, until)) for p in paths]


def check_paths(paths: list[str]) -> None:
    for p in paths:
        if "://" not in p and not Path(p).exists():
            fail(f"{p}: no such file or directory")
        scheme = p.split("://", 1)[0] + "://" if "://" in p else ""
        if scheme and scheme not in SCHEMES:
            fail(f"{p}: unsupported URL (use a path, {', '.join(SCHEMES.values())})")
        if scheme and scheme != "s3://" and not p[len(scheme) :].strip("/"):
            raise EventsError(f"{p}: name it, e.g. {SCHEMES[scheme]}")


def report_stats(stats: ReadStats) -> None:
    typer.echo(f"cloudfw: events: {stats.summary()}", err=True)
    for p in stats.problems[:MAX_SHOWN_PROBLEMS]:
        typer.echo(f"cloudfw: unreadable: {p}", err=True)
    if stats.problem_count > MAX_SHOWN_PROBLEMS:
        typer.echo(f"cloudfw: ... and {stats.problem_count - MAX_SHOWN_PROBLEMS} more", err=True)


def _write_stream(events: Iterator[ChangeEvent], fmt: EventFormat, out: Any) -> None:
    from cloudfw.events import serialize

    if fmt is EventFormat.jsonl:
        for ev in events:
            out.write(serialize.to_jsonl(ev))
    elif fmt is EventFormat.ocsf:  # OCSF API Activity (6003), one JSON object per line
        from cloudfw import __version__
        from cloudfw.export.ocsf import ocsf_api_activity
        from cloudfw.export.ocsf import to_jsonl as ocsf_line

        for doc in ocsf_api_activity(events, __version__):
            out.write(ocsf_line(doc))
    elif fmt is EventFormat.csv:
        out.write(serialize.to_csv([], header=True).encode())
        for ev in events:
            out.write(serialize.to_csv([ev], header=False).encode())
    else:
        out.write((serialize.to_table(list(events)) + "\n").encode())


PathsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, directories, s3://bucket/prefix, cloudtrail://REGION (LookupEvents), "
        "azure-activity://SUBSCRIPTION (Activity Log API) or gcp-audit://PROJECT (Logging API)."
    ),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Keep events at or after T (ISO or 7d/12h/30m).")
]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Keep events before T.")]


@handle_errors
def events_cmd(
    paths: PathsArg,
    since: SinceOpt = None,
    until: UntilOpt = None,
    provider: Annotated[
        list[Provider] | None, typer.Option("--provider", help="Only this cloud (repeatable).")
    ] = None,
    fmt: Annotated[EventFormat, typer.Option("--format", "-f")] = EventFormat.jsonl,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Firewall change events from CloudTrail, Azure Activity Log and GCP Audit Logs.

    Formats are detected per file: CloudTrail files (.json/.json.gz, whole AWSLogs/ trees,
    organization trails), LookupEvents output, CloudTrail Lake results, EventBridge archives,
    Azure {"records": [...]} exports, PT1H.json lines and API JSON, GCP LogEntry arrays and
    JSON Lines. Input is streamed: memory stays flat however big the logs are.

    Formats: jsonl (the change-event contract), csv, table, ocsf (OCSF API Activity, 6003).
    Unreadable files and records are counted and located on stderr; the exit code is then 3.
    Each run is recorded in the scan history (kind "events": digest, coverage, every event)
    unless --no-store; see `cloudfw history --kind events`.

    \b
    Examples:
      cloudfw events ./AWSLogs --since 2026-07-01 --until 2026-10-01
      cloudfw events s3://trail-bucket/AWSLogs/111122223333/ --format table
      cloudfw events cloudtrail://us-east-1 --since 7d
      cloudfw events azure-activity://8f2d1c3b-5a6e-4f70-9b81-2c3d4e5f6a7b --since 30d
      cloudfw events gcp-audit://acme-prod-4821 --since 2026-11-01
      cloudfw events activity/ audit.jsonl --provider azure --provider gcp --format csv
    """
    check_paths(paths)
    t0, t1 = parse_window(since, until)
    options = ReadOptions(since=t0, until=t1, providers=frozenset(p.value for p in provider or []))
    reader = EventReader(options)
    with EventSpool(enabled=not no_store) as spool:
        events = spool.tee(reader.read(build_units(paths, t0, t1)))
        if output is None:
            _write_stream(events, fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("wb") as f:
                _write_stream(events, fmt, f)
        report_stats(reader.stats)
        spool.record(paths, reader.stats, store)
    raise typer.Exit(int(Exit.CLEAN if reader.stats.complete else Exit.INCOMPLETE))


evidence_app = typer.Typer(
    name="evidence",
    help="Export a verifiable evidence bundle of firewall changes, and verify one.",
    no_args_is_help=True,
)


@evidence_app.command("export")
@handle_errors
def export_cmd(
    since: Annotated[str, typer.Option("--since", help="Window start (ISO or 7d/12h).")],
    until: Annotated[str, typer.Option("--until", help="Window end (exclusive).")],
    out: Annotated[Path, typer.Option("--out", help="New or empty directory for the bundle.")],
    events: Annotated[
        list[str] | None,
        typer.Option("--events", help="Event source (repeatable): path, s3://, cloudtrail://."),
    ] = None,
    findings: Annotated[
        Path | None, typer.Option("--findings", help="findings.json from the latest audit.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="The baseline file in force.")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Write changes.csv, changes.jsonl, raw-records.jsonl (credentials redacted), the findings
    and baseline used, history-chain.json (the scan history's hash-chain heads as of --until,
    when a history exists) and manifest.json (SHA-256 of every file, tool version, inputs,
    window).

    \b
    Examples:
      cloudfw evidence export --since 2026-07-01 --until 2026-10-01 --events ./AWSLogs \\
          --findings findings.json --baseline prod.yaml --out evidence-q3
      cloudfw evidence verify evidence-q3
    """
    from cloudfw import __version__
    from cloudfw.evidence import BundleWriter

    sources = list(events or [])
    check_paths(sources)
    for f in (findings, baseline):
        if f is not None and not f.is_file():
            fail(f"{f}: no such file")
    t0, t1 = parse_window(since, until)
    inputs = sources + [str(p) for p in (findings, baseline) if p is not None]
    writer = BundleWriter(
        out, since=t0, until=t1, inputs=inputs, tool_version=__version__,
        clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    with writer:
        reader = EventReader(ReadOptions(since=t0, until=t1, raw_sink=writer.add_raw))
        for ev in reader.read(build_units(sources, t0, t1)):
            writer.add_event(ev)
        if findings is not None:
            writer.add_file(findings, "findings.json", redact_json=True)
        if baseline is not None:
            writer.add_file(baseline, f"baseline{''.join(baseline.suffixes) or '.yaml'}")
        add_history_chain(writer, store, t0, t1)
        st = reader.stats
        manifest = writer.finish(
            {
                "complete": st.complete,
                "summary": st.summary(),
                "problems": [str(p) for p in st.problems[:200]],
            }
        )
    report_stats(st)
    typer.echo(f"cloudfw: evidence: wrote {out} ({writer.changes} change(s)); "
               f"manifest sha256 {manifest['manifest_sha256']}", err=True)  # fmt: skip
    raise typer.Exit(int(Exit.CLEAN if st.complete else Exit.INCOMPLETE))


@evidence_app.command("verify")
@handle_errors
def verify_cmd(
    bundle: Annotated[Path, typer.Argument(help="The bundle directory.")],
) -> None:
    """Check every file against manifest.json. Exit 0 when intact; 1 naming each added,
    removed or edited file; 2 when the directory is not a bundle.

    Example:

      cloudfw evidence verify evidence-q3
    """
    from cloudfw.evidence import verify_bundle
    from cloudfw.evidence.verify import load_manifest

    problems = verify_bundle(bundle)
    for d in problems:
        typer.echo(f"cloudfw: evidence: {bundle / d.path}: {d.kind}", err=True)
    if problems:
        raise typer.Exit(int(Exit.FINDINGS))
    digest = load_manifest(bundle).get("manifest_sha256")
    typer.echo(f"cloudfw: evidence: {bundle}: intact (manifest sha256 {digest})", err=True)


def register(app: typer.Typer) -> None:
    app.command("events")(events_cmd)
    app.add_typer(evidence_app, name="evidence")

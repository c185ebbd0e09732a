"""`cloudfw events` (and the `evidence` group, from `cloudfw.cli.evidence`)."""

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
from cloudfw.cli.events_store import EnumerationRun, EventSpool
from cloudfw.cli.history import NoStoreOpt, StoreOpt
from cloudfw.cli.scope_opts import executor
from cloudfw.events import (
    CHANGES,
    ENUMERATION,
    Event,
    EventReader,
    EventsError,
    ReadLine,
    ReadOptions,
    ReadStats,
    RecordUnit,
    StreamUnit,
    Unit,
    UnitGroup,
)

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


class EventKind(StrEnum):
    changes = "changes"
    enumeration = "enumeration"
    all = "all"

    @property
    def kinds(self) -> frozenset[str]:
        if self is EventKind.all:
            return frozenset({CHANGES, ENUMERATION})
        return frozenset({self.value})


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


def _write_stream(
    events: Iterator[Event], fmt: EventFormat, out: Any, with_agent: bool = False
) -> None:
    """``with_agent``: the run asked for enumeration records, so CSV has a user_agent column."""
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
        out.write(serialize.to_csv([], header=True, with_agent=with_agent).encode())
        for ev in events:
            out.write(serialize.to_csv([ev], header=False, with_agent=with_agent).encode())
    else:
        out.write((serialize.to_table(list(events)) + "\n").encode())


def _write(
    spool: EventSpool,
    events: Iterator[Event | ReadLine],
    fmt: EventFormat,
    out: Any,
    with_agent: bool,
) -> None:
    """The output, every event spooled for the store on the way (jsonl lines are serialized
    once for both; CloudTrail reads arrive serialized, as `ReadLine`s)."""
    if fmt is EventFormat.jsonl:
        write = out.write
        for block in spool.blocks(events):
            write(block)
    else:
        as_events = (ev.event() if isinstance(ev, ReadLine) else ev for ev in events)
        _write_stream(spool.tee(as_events), fmt, out, with_agent)


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
EventsDaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar="CLOUDFW_DASK",
        help="Decode the files / S3 objects as tasks on this dask.distributed scheduler, e.g. "
        "tcp://scheduler:8786 (workers need cloudfw[dask], the files' paths or S3 access). "
        "Default: worker processes on this machine.",
    ),
]


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
    kind: Annotated[
        EventKind,
        typer.Option(
            "--kind",
            help="changes: firewall changes (default); enumeration: reads of firewall "
            "configuration (Describe*, /read, get/list), action 'enumerate'; all: both.",
        ),
    ] = EventKind.changes,
    findings: Annotated[
        Path | None,
        typer.Option(
            "--findings",
            help="Judge the enumeration records (firewall-enumeration) and write the findings "
            "here as JSON; needs --kind enumeration or all.",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            "-b",
            help="Baseline for --findings: policy.enumeration, approved_principals.",
        ),
    ] = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    dask: EventsDaskOpt = None,
) -> None:
    """Firewall change events from CloudTrail, Azure Activity Log and GCP Audit Logs.

    Formats are detected per file: CloudTrail files (.json/.json.gz, whole AWSLogs/ trees,
    organization trails), LookupEvents output, CloudTrail Lake results, EventBridge archives,
    Azure {"records": [...]} exports, PT1H.json lines and API JSON, GCP LogEntry arrays and
    JSON Lines. Input is streamed: memory stays flat however big the logs are. Many files or
    S3 objects are decoded in parallel (worker processes, or tasks with --dask); the output is
    the same bytes as a read in one process.

    Formats: jsonl (the change-event contract), csv, table, ocsf (OCSF API Activity, 6003).
    --kind enumeration (or all) adds the reads of firewall configuration in the same line
    format (action "enumerate", plus user_agent); --findings judges them (firewall-enumeration:
    spread over regions/accounts, access-denied bursts, first-seen principals and addresses,
    offensive tooling; known scanners are info).
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
      cloudfw events ./AWSLogs --kind enumeration --findings recon.json
    """
    check_paths(paths)
    if findings is not None and kind is EventKind.changes:
        fail("--findings judges enumeration records: add --kind enumeration (or all)")
    if baseline is not None and findings is None:
        fail("--baseline is read for --findings only")
    t0, t1 = parse_window(since, until)
    providers = frozenset(p.value for p in provider or [])
    options = ReadOptions(since=t0, until=t1, providers=providers, kinds=kind.kinds, lines=True)
    detector = EnumerationRun(baseline, store, no_store) if findings is not None else None
    with executor(dask, 1) as ex, EventSpool(enabled=not no_store) as spool:
        reader = EventReader(options, ex)
        stream: Iterator[Event | ReadLine] = (
            reader.read(build_units(paths, t0, t1))
            if kind is EventKind.changes
            else reader.read_lines(build_units(paths, t0, t1))
        )
        judged = stream if detector is None else detector.tee(stream)
        with_agent = kind is not EventKind.changes
        if output is None:
            _write(spool, judged, fmt, sys.stdout.buffer, with_agent)
            sys.stdout.buffer.flush()
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("wb") as f:
                _write(spool, judged, fmt, f, with_agent)
        report_stats(reader.stats)
        if detector is not None and findings is not None:
            detector.write(findings)
        spool.record(paths, reader.stats, store)
    raise typer.Exit(int(Exit.CLEAN if reader.stats.complete else Exit.INCOMPLETE))


def register(app: typer.Typer) -> None:
    from cloudfw.cli.evidence import evidence_app

    app.command("events")(events_cmd)
    app.add_typer(evidence_app, name="evidence")

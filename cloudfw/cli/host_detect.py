"""`cloudfw host detect`: firewall tampering and the AN0464 trigger chain in process telemetry."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer
from tabulate import tabulate

from cloudfw import __version__
from cloudfw.cli.common import Exit, fail, parse_severity
from cloudfw.cli.host import host_app
from cloudfw.export.ocsf import detection_finding
from cloudfw.model import CloudfwError
from cloudfw.telemetry.correlate import CorrelationOptions
from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.detection import Detection, iso
from cloudfw.telemetry.events import Malformed
from cloudfw.telemetry.readers import FORMATS, merge_by_time, read_file
from cloudfw.telemetry.suppress import TelemetryPolicy, load_policy

MAX_ERROR_LINES = 20
OUTPUT_FORMATS = ("jsonl", "table", "ocsf")


def detect(
    telemetry: list[Path] = typer.Argument(..., help="Telemetry files (format sniffed)."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl | table | ocsf"),
    window: float | None = typer.Option(
        None, "--window", min=0, help="AN0464: seconds from trigger to outbound [default: 30]"
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Baseline YAML with telemetry.approved_admin suppressions."
    ),
    fail_on: str = typer.Option("medium", "--fail-on", help="info|low|medium|high|critical"),
    input_format: str = typer.Option("auto", "--input-format", help=" | ".join(FORMATS)),
    reorder: float = typer.Option(
        5.0, "--reorder", min=0, help="Seconds of out-of-order events tolerated."
    ),
    show_suppressed: bool = typer.Option(
        False, "--show-suppressed", help="Also print detections that approved admin covers."
    ),
) -> None:
    """Detect who disabled, weakened or enumerated a host firewall, and BPFDoor-style triggers.

    Reads generic JSON Lines process events, auditd logs, macOS eslogger JSON, osquery
    process_events/socket_events results, and Windows Sysmon / Security / Windows Firewall
    events (JSON Lines or XML). Output streams: one JSON object per detection with category
    (disable | modify | allow_process | enumerate | bpf_trigger; hardened, at info, when a
    firewall is turned on), analytic (AN0408, AN0464, DS0018:...), techniques (ATT&CK v19 and
    legacy ids), severity, host, time, pid, cmdline and source {file, line}.

    Examples:

      cloudfw host detect /var/log/audit/audit.log

      cloudfw host detect es.jsonl sysmon.xml --format table --fail-on high

      cloudfw host detect proc.jsonl --baseline prod.yaml --window 60

    Exit codes: 0 nothing at or above --fail-on (default medium), 1 detections at or above it,
    2 bad usage (bad option, bad baseline), 3 some input unreadable or malformed (the rest is
    still processed and reported).
    """
    if fmt not in OUTPUT_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(OUTPUT_FORMATS)}", param_hint="--format"
        )
    if input_format not in FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(FORMATS)}", param_hint="--input-format"
        )
    threshold = parse_severity(fail_on)
    policy = TelemetryPolicy()
    if baseline is not None:
        try:
            policy = load_policy(baseline)
        except CloudfwError as exc:
            fail(str(exc))
    win = window if window is not None else (policy.window if policy.window is not None else 30.0)
    detector = Detector(policy, CorrelationOptions(window=win, reorder=reorder))
    table: list[Detection] = []
    errors = 0
    failed = False

    def emit(found: list[Detection]) -> None:
        nonlocal failed
        for det in found:
            if det.suppressed_by and not show_suppressed:
                continue
            if not det.suppressed_by and det.severity >= threshold:
                failed = True
            if fmt == "table":
                table.append(det)
                continue
            doc = (
                det.to_dict()
                if fmt == "jsonl"
                else detection_finding(det, __version__, datetime.now(UTC))
            )
            sys.stdout.write(orjson.dumps(doc).decode() + "\n")
            sys.stdout.flush()

    def error(msg: str) -> None:
        nonlocal errors
        errors += 1
        if errors <= MAX_ERROR_LINES:
            typer.echo(f"cloudfw: error: {msg}", err=True)

    streams = []
    for path in telemetry:
        try:
            streams.append(read_file(path, input_format))
        except CloudfwError as exc:
            error(str(exc))
    for item in merge_by_time(streams):
        if isinstance(item, Malformed):
            error(f"{item.source}: {item.message}")
        else:
            emit(detector.feed(item))
    emit(detector.finish())

    if fmt == "table":
        _print_table(table)
    st = detector.stats
    typer.echo(
        f"cloudfw: {st.events} events, {st.detections} detections ({st.suppressed} suppressed), "
        f"{errors} unreadable or malformed inputs",
        err=True,
    )
    if errors:
        raise typer.Exit(int(Exit.INCOMPLETE))
    raise typer.Exit(int(Exit.FINDINGS if failed else Exit.CLEAN))


def _print_table(rows: list[Detection]) -> None:
    body = [
        [iso(d.time) or "", d.host, d.severity.label, d.category, d.analytic,
         ",".join(d.techniques), "" if d.pid is None else d.pid,
         (d.command or d.cmdline)[:80], str(d.source)]
        for d in rows
    ]  # fmt: skip
    headers = ["time", "host", "severity", "category", "analytic", "techniques", "pid", "command",
               "source"]  # fmt: skip
    sys.stdout.write(tabulate(body, headers=headers) + "\n")


def register(app: typer.Typer) -> None:
    """Adds `detect` to the `host` sub-app (``app`` is the root app, unused here)."""
    if not any(c.name == "detect" for c in host_app.registered_commands):
        host_app.command("detect")(detect)

"""`cloudfw history` and `cloudfw diff`: the scan history that `audit` records.

Also the glue `audit` uses to record a run and to keep only new findings (`--new-only`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from tabulate import tabulate

from cloudfw.cli.common import fail, handle_errors, write_output
from cloudfw.model import Finding
from cloudfw.model.report import Report

if TYPE_CHECKING:
    from cloudfw.store import RuleRow, ScanDiff

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="CLOUDFW_STORE",
        help="Scan history file (SQLite). Default: history.sqlite under the user data dir.",
    ),
]
NoStoreOpt = Annotated[
    bool, typer.Option("--no-store", help="Do not record this run in the scan history.")
]
NewOnlyOpt = Annotated[
    bool,
    typer.Option(
        "--new-only",
        help="Report only findings that the previous scan of the same scope did not have "
        "(the exit code follows what is shown).",
    ),
]


def store_path(store: Path | None) -> Path:
    from cloudfw.store import default_store_path

    return store if store is not None else default_store_path()


def record_audit(
    report: Report,
    rows: Iterable[RuleRow],
    store: Path | None,
    no_store: bool,
    new_only: bool,
    kind: str = "audit",
) -> Report:
    """Record the audit (unless ``no_store``) and, with ``new_only``, drop the findings the
    previous scan of the same scope already had. ``rows`` are the audited rules (`rule_rows`),
    for `cloudfw diff`. Returns the report to render."""
    known = record_findings(report, lambda: report.findings, rows, store, no_store, new_only, kind)
    if known is None:
        return report
    return replace(report, findings=tuple(f for f in report.findings if f.key not in known))


def record_findings(
    report: Report,
    findings: Callable[[], Iterable[Finding]],
    rows: Iterable[RuleRow],
    store: Path | None,
    no_store: bool,
    new_only: bool,
    kind: str = "audit",
) -> frozenset[str] | None:
    """`record_audit` for findings that are not in ``report`` (``findings`` gives them, in
    order, each time it is called). Returns the keys ``--new-only`` drops (None: keep all)."""
    from cloudfw.store import Store, audit_scope

    if no_store:
        if new_only:
            fail("--new-only needs the scan history: drop --no-store")
        return None
    scope = audit_scope(report.coverage)
    with Store(store_path(store)) as db:
        previous = db.previous_scan(kind, scope)
        scan_id = db.record_scan(
            kind,
            scope,
            report.snapshot_digest,
            report.coverage,
            findings(),
            rows,
            tool_version=report.tool_version,
            suppressed=report.suppressed,
        )
        typer.echo(f"recorded scan {scan_id} in {db.path}", err=True)
        if not new_only:
            return None
        if previous is None:
            typer.echo("no previous scan of this scope: every finding is new", err=True)
            return None
        known = frozenset(db.finding_keys(previous.id))
    total = fresh = 0
    for f in findings():
        total += 1
        fresh += f.key not in known
    typer.echo(
        f"--new-only: {fresh} of {total} findings are new since scan "
        f"{previous.id} ({previous.started_at})",
        err=True,
    )
    return known


history_app = typer.Typer(name="history", invoke_without_command=True)


@history_app.callback()
@handle_errors
def history(
    ctx: typer.Context,
    store: StoreOpt = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Only scans of this kind (audit, host-audit, events)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Newest N scans.")] = 20,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
) -> None:
    """List recorded scans, newest first, and the store's size (file, scans, bytes per scan);
    prune old scans; verify the hash chain. Read-only, except `prune`: never creates or writes
    the store.

    \b
    Examples:
      cloudfw history
      cloudfw history --kind audit -n 5 --format json
      cloudfw history --store ci-history.sqlite
      cloudfw history prune --keep 30 --dry-run
      cloudfw history verify
    """
    from cloudfw.store import Store

    if ctx.invoked_subcommand is not None:
        return
    if fmt not in ("table", "json"):
        fail(f"unknown --format {fmt!r} (known: json, table)")
    path = store_path(store)
    if not path.exists():
        typer.echo(f"no scans recorded yet ({path} does not exist)", err=True)
        write_output("[]\n" if fmt == "json" else "", None)
        return
    with Store(path, readonly=True) as db:
        scans = db.scans(kind=kind, limit=limit)
        size = size_line(path, *db.size())
    if fmt == "json":
        docs = [
            {
                "id": s.id,
                "kind": s.kind,
                "scope": s.scope,
                "started_at": s.started_at,
                "digest": s.digest,
                "tool_version": s.tool_version,
                "complete": s.complete,
                "findings": s.findings,
                "rules": s.rules,
                "events": s.events,
            }
            for s in scans
        ]
        write_output(orjson.dumps(docs, option=orjson.OPT_INDENT_2).decode() + "\n", None)
        typer.echo(size, err=True)
        return
    rows = [
        (
            s.id,
            s.started_at[:19],
            s.kind,
            clip(s.scope, 48),
            s.digest[:12],
            "yes" if s.complete else "NO",
            s.findings,
            s.rules,
            s.events,
        )
        for s in scans
    ]
    head = ("SCAN", "STARTED", "KIND", "SCOPE", "DIGEST", "COMPLETE", "FINDINGS", "RULES", "EVENTS")
    table = tabulate(rows, headers=head) if rows else "No scans."
    write_output(f"{table}\n\n{size}\n", None)


def size_line(path: Path, nbytes: int, scans: int) -> str:
    per = f", {human_bytes(nbytes // scans)}/scan" if scans else ""
    return f"store: {path}: {human_bytes(nbytes)} ({nbytes:,} bytes), {scans} scan(s){per}"


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _diff_doc(d: ScanDiff) -> dict[str, Any]:
    def rule(r: RuleRow) -> dict[str, str]:
        return {"ruleset": r.ruleset, "rule_key": r.rule_key, "content_hash": r.content_hash}

    return {
        "schema": "cloudfw.diff/1",
        "scan_a": d.a.id,
        "scan_b": d.b.id,
        "rules_added": [rule(r) for r in d.rules_added],
        "rules_removed": [rule(r) for r in d.rules_removed],
        "rules_changed": [{**rule(b), "previous_hash": a.content_hash} for a, b in d.rules_changed],
        "findings_new": list(d.findings_new),
        "findings_resolved": list(d.findings_resolved),
    }


def _diff_text(d: ScanDiff) -> str:
    lines = [f"scan {d.a.id} ({d.a.started_at[:19]}) -> scan {d.b.id} ({d.b.started_at[:19]})"]
    if d.a.scope != d.b.scope:
        lines.append(f"note: different scopes: {d.a.scope!r} vs {d.b.scope!r}")
    sections = [
        ("rules added", [f"+ {r.ruleset} {r.rule_key}" for r in d.rules_added]),
        ("rules removed", [f"- {r.ruleset} {r.rule_key}" for r in d.rules_removed]),
        ("rules changed", [f"~ {b.ruleset} {b.rule_key}" for _, b in d.rules_changed]),
        ("findings new", [_finding_line("+", f) for f in d.findings_new]),
        ("findings resolved", [_finding_line("-", f) for f in d.findings_resolved]),
    ]
    for title, items in sections:
        lines.append(f"{title}: {len(items)}")
        lines.extend(f"  {item}" for item in items)
    return "\n".join(lines) + "\n"


def _finding_line(sign: str, f: dict[str, Any]) -> str:
    rule = f.get("rule_id") or "-"
    return f"{sign} [{f.get('severity')}] {f.get('check')} {f.get('resource_id')} rule {rule}"


@handle_errors
def diff(
    scan_a: Annotated[int, typer.Argument(help="The older scan id (see `cloudfw history`).")],
    scan_b: Annotated[int, typer.Argument(help="The newer scan id.")],
    store: StoreOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
) -> None:
    """What changed between two recorded scans: rules added, removed and changed; findings new
    and resolved (by finding key).

    \b
    Examples:
      cloudfw diff 41 42
      cloudfw diff 41 42 --format json --store ci-history.sqlite
    """
    from cloudfw.store import Store

    if fmt not in ("table", "json"):
        fail(f"unknown --format {fmt!r} (known: json, table)")
    path = store_path(store)
    if not path.exists():
        fail(f"{path}: no scan history yet (run `cloudfw audit` first)")
    with Store(path, readonly=True) as db:
        d = db.diff(scan_a, scan_b)
    if fmt == "json":
        write_output(orjson.dumps(_diff_doc(d), option=orjson.OPT_INDENT_2).decode() + "\n", None)
    else:
        write_output(_diff_text(d), None)


def register(app: typer.Typer) -> None:
    import cloudfw.cli.history_maint  # noqa: F401 (its commands join history_app)

    app.add_typer(history_app, name="history")
    app.command("diff")(diff)

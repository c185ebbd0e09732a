"""`cloudfw history prune` and `cloudfw history verify` (registered on `history_app`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from cloudfw.cli.common import Exit, fail, handle_errors, write_output
from cloudfw.cli.history import StoreOpt, clip, history_app, human_bytes, store_path

if TYPE_CHECKING:
    from cloudfw.evidence import BundleWriter
    from cloudfw.store import PruneResult, Store, Verdict


@history_app.command("prune")
@handle_errors
def prune_cmd(
    keep: Annotated[
        int | None,
        typer.Option("--keep", min=0, help="Keep the newest N scans of each kind and scope."),
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", help="Remove scans started before this (90d, 2026-01-01)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would go; change nothing.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Remove the oldest scans of each (kind, scope) and the findings and rules that no kept
    scan uses, then shrink the file. With both options a scan goes only when both say so. Kept
    scans diff exactly as before, and the hash chain stays verifiable (a checkpoint records the
    newest removed scan of each chain).

    \b
    Examples:
      cloudfw history prune --keep 30 --dry-run
      cloudfw history prune --older-than 90d
      cloudfw history prune --keep 10 --older-than 30d --store ci-history.sqlite
    """
    from cloudfw.cli.events import parse_time
    from cloudfw.store import Store

    if keep is None and older_than is None:
        fail("history prune: give --keep N, --older-than AGE, or both")
    before = parse_time(older_than, "--older-than")
    path = store_path(store)
    if not path.exists():
        typer.echo(f"no scans recorded yet ({path} does not exist)", err=True)
        return
    with Store(path, readonly=dry_run) as db:
        result = db.prune(keep, before, dry_run=dry_run)
    write_output(_prune_text(result), None)


def _prune_text(r: PruneResult) -> str:
    verb = "would remove" if r.dry_run else "removed"
    ids = _ranges(r.scans) if r.scans else "none"
    content = ", ".join(f"{n:,} {what}" for what, n in r.unused.items() if n) or "nothing"
    lines = [
        f"prune: {verb} {len(r.scans)} scan(s) ({ids})",
        f"prune: {verb} what no kept scan uses: {content}",
    ]
    if not r.dry_run:
        lines.append(f"prune: store {human_bytes(r.bytes_before)} -> {human_bytes(r.bytes_after)}")
    return "\n".join(lines) + "\n"


def _ranges(ids: tuple[int, ...]) -> str:
    spans: list[list[int]] = []
    for i in ids:
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:8])
    return "scans " + text + (f", +{len(spans) - 8} more ranges" if len(spans) > 8 else "")


@history_app.command("verify")
@handle_errors
def verify_cmd(
    store: StoreOpt = None,
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchor",
            help="An evidence bundle (repeatable): its recorded chain heads must still be in "
            "the history, unchanged.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
) -> None:
    """Recompute the hash chain of every recorded scan and name the first scan that was
    edited, removed or inserted. Exit 0 when intact, 1 when broken. Read-only.

    Removing the newest scans, or rewriting a scan and every hash after it, is only visible
    against a chain head kept elsewhere: pass the evidence bundles that recorded one.

    \b
    Examples:
      cloudfw history verify
      cloudfw history verify --anchor evidence-q3 --format json
    """
    from cloudfw.store import Store

    if fmt not in ("text", "json"):
        fail(f"unknown --format {fmt!r} (known: json, text)")
    path = store_path(store)
    if not path.exists() and not anchor:
        typer.echo(f"no scans recorded yet ({path} does not exist)", err=True)
        return
    anchored: list[str] = []
    heads = 0
    with Store(path, readonly=True) as db:
        verdict = db.verify()
        for bundle in anchor or []:
            found, n = _check_anchor(db, bundle)
            anchored += found
            heads += n
    problems = [str(b) for b in verdict.breaks] + anchored
    if fmt == "json":
        write_output(_verdict_json(verdict, problems), None)
    else:
        write_output(_verdict_text(verdict, problems, len(anchor or []), heads), None)
    if problems:
        raise typer.Exit(int(Exit.FINDINGS))


def _check_anchor(db: Store, bundle: Path) -> tuple[list[str], int]:
    """Problems with the chain heads that ``bundle`` recorded (none: every head is still there,
    with the same hash, in an intact chain, so every scan up to it is unchanged), and how many
    heads it recorded."""
    from cloudfw.evidence import verify_bundle
    from cloudfw.store.anchor import CHAIN_FILE, load_anchor

    damaged = verify_bundle(bundle)
    if damaged:
        return [f"{bundle}: the bundle itself does not verify ({damaged[0]})"], 0
    doc = load_anchor(bundle / CHAIN_FILE)
    return [f"{bundle}: {p}" for p in db.check_anchor(doc)], len(doc["heads"])


def _verdict_text(v: Verdict, problems: list[str], anchors: int, heads: int) -> str:
    if problems:
        return "".join(f"history: BROKEN: {p}\n" for p in problems)
    matched = f", {anchors} anchor(s) matched ({heads} chain head(s))" if anchors else ""
    lines = [f"history: intact: {v.scans} scan(s) in {v.chains} chain(s){matched}"]
    if v.at_migration:
        lines.append(
            f"history: {v.at_migration} scan(s) predate the chain and were chained when the "
            "store was upgraded: unchanged since then"
        )
    if v.pruned:
        lines.append(f"history: {v.pruned} older scan(s) were pruned (chain checkpoints kept)")
    lines += [
        f"  {h.kind} {clip(h.scope, 60)}: head scan {h.scan_id} (#{h.seq}) {h.hash}"
        for h in v.heads
    ]
    return "\n".join(lines) + "\n"


def _verdict_json(v: Verdict, problems: list[str]) -> str:
    doc: dict[str, Any] = {
        "schema": "cloudfw.history-verify/1",
        "intact": not problems,
        "scans": v.scans,
        "chains": v.chains,
        "chained_at_migration": v.at_migration,
        "pruned": v.pruned,
        "breaks": [
            {"scan": b.scan_id, "kind": b.kind, "chain": list(b.chain), "detail": b.detail}
            for b in v.breaks
        ],
        "problems": problems,
        "heads": [
            {"kind": h.kind, "scope": h.scope, "scan": h.scan_id, "seq": h.seq, "hash": h.hash}
            for h in v.heads
        ],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def add_history_chain(
    writer: BundleWriter, store: Path | None, since: datetime | None, until: datetime | None
) -> None:
    """Put the scan history's chain heads as of ``until`` into an evidence bundle (read-only;
    a missing history is said on stderr, and the bundle then has no such file)."""
    from cloudfw.store import Store
    from cloudfw.store.anchor import CHAIN_FILE, anchor_doc

    path = store_path(store)
    if not path.exists():
        typer.echo(f"cloudfw: evidence: no scan history at {path}: no {CHAIN_FILE}", err=True)
        return
    with Store(path, readonly=True) as db:
        verdict = db.verify()
        found = db.chain_heads(since, until)
    window = {"since": _iso(since), "until": _iso(until)}
    writer.add_json(CHAIN_FILE, anchor_doc(verdict, found, window))
    state = "intact" if verdict.intact else f"BROKEN: {verdict.breaks[0]}"
    in_window = sum(h.scans_in_window for h in found)
    typer.echo(f"cloudfw: evidence: {CHAIN_FILE}: {len(found)} chain head(s), {in_window} "
               f"scan(s) in the window; history {state}", err=True)  # fmt: skip


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")

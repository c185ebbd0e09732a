"""`cloudfw evidence keygen|export|verify`: signed, verifiable evidence bundles."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cloudfw.cli.common import Exit, fail, handle_errors
from cloudfw.cli.events import build_units, check_paths, parse_window, report_stats
from cloudfw.cli.history import StoreOpt, store_path
from cloudfw.cli.history_maint import add_history_chain

if TYPE_CHECKING:
    from cloudfw.evidence.review import History
    from cloudfw.evidence.verify import Discrepancy

PASSPHRASE_ENV = "CLOUDFW_KEY_PASSPHRASE"


class KeyFormat(StrEnum):  # `cloudfw.evidence.keys.KeyFormat`, kept here so startup is light
    openssh = "openssh"
    pem = "pem"


evidence_app = typer.Typer(
    name="evidence",
    help="Export a verifiable (optionally signed) evidence bundle, and verify one.",
    no_args_is_help=True,
)


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode() if value else None


@evidence_app.command("keygen")
@handle_errors
def keygen_cmd(
    out: Annotated[Path, typer.Option("--out", help="Private key file to create (mode 0600).")],
    fmt: Annotated[
        KeyFormat, typer.Option("--format", "-f", help="openssh (ssh-keygen's) or pem (PKCS#8).")
    ] = KeyFormat.openssh,
    comment: Annotated[str, typer.Option("--comment", help="Comment on the public key.")] = "",
) -> None:
    """Make an Ed25519 signing key: OUT (private, 0600, never printed) and OUT.pub (public: give
    it to whoever verifies). Existing files are never overwritten. With CLOUDFW_KEY_PASSPHRASE
    set, the private key is encrypted with it (pem; openssh needs the bcrypt package).

    \b
    Examples:
      cloudfw evidence keygen --out ~/.config/cloudfw/evidence-key --comment "secops CI"
      cloudfw evidence keygen --out evidence.pem --format pem
    """
    from cloudfw.evidence import keys

    pair = keys.generate(out, keys.KeyFormat(fmt.value), comment, _passphrase())
    typer.echo(
        f"cloudfw: evidence: wrote private key {pair.private} (mode 0600: keep it secret) "
        f"and public key {pair.public}; fingerprint {pair.fingerprint}",
        err=True,
    )


def _history(store: Path | None, since: datetime | None, until: datetime | None) -> History:
    from cloudfw.evidence.review import History, scan_history
    from cloudfw.store import Store

    path = store_path(store)
    if not path.exists():  # never create a store just to read it
        return History(None, notes=[f"no scan history at {path}: scans and findings not listed"])
    with Store(path, readonly=True) as db:
        return scan_history(db, since, until)


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
        Path | None,
        typer.Option("--baseline", help="The baseline in force: copied, and changes judged."),
    ] = None,
    sign: Annotated[
        Path | None,
        typer.Option("--sign", help="Ed25519 private key (OpenSSH or PEM) to sign the manifest."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Write changes.csv, changes.jsonl, raw-records.jsonl (credentials redacted), the findings
    and baseline used, the review summary (review-summary.json and a printable
    review-summary.html: every scan of the window with its coverage, every finding opened and
    resolved, every change with its approval status), history-chain.json (the scan history's
    hash-chain heads as of --until, when a history exists) and manifest.json (SHA-256 of every
    file, tool version, inputs, window). With --sign, manifest.json.sig is an SSH signature
    (namespace cloudfw-evidence) of manifest.json. The bundle appears at --out only when
    complete.

    \b
    Examples:
      cloudfw evidence export --since 2026-07-01 --until 2026-10-01 --events ./AWSLogs \\
          --findings findings.json --baseline prod.yaml --sign evidence-key --out evidence-q3
      cloudfw evidence verify evidence-q3 --pubkey evidence-key.pub
    """
    from cloudfw import __version__
    from cloudfw.cli.runner import load_policy
    from cloudfw.events import EventReader, ReadOptions
    from cloudfw.evidence import BundleWriter
    from cloudfw.evidence.keys import load_signing_key

    signer = None if sign is None else load_signing_key(sign, _passphrase())
    sources = list(events or [])
    check_paths(sources)
    for f in (findings, baseline):
        if f is not None and not f.is_file():
            fail(f"{f}: no such file")
    t0, t1 = parse_window(since, until)
    judged = None if baseline is None else load_policy(baseline).baseline
    inputs = sources + [str(p) for p in (findings, baseline) if p is not None]
    writer = BundleWriter(
        out, since=t0, until=t1, inputs=inputs, tool_version=__version__,
        clock=lambda: datetime.now(UTC), baseline=judged,
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
        history = _history(store, t0, t1)
        st = reader.stats
        coverage = {
            "complete": st.complete,
            "summary": st.summary(),
            "problems": [str(p) for p in st.problems[:200]],
        }
        manifest = writer.finish(coverage, history=history, signer=signer)
    report_stats(st)
    signed = "" if signer is None else f"; signed ({out / 'manifest.json.sig'})"
    typer.echo(f"cloudfw: evidence: wrote {out} ({writer.changes} change(s), "
               f"{len(history.scans)} scan(s), {len(history.findings)} finding(s) in the review); "
               f"manifest sha256 {manifest['manifest_sha256']}{signed}", err=True)  # fmt: skip
    for note in history.notes:
        typer.echo(f"cloudfw: evidence: note: {note}", err=True)
    raise typer.Exit(int(Exit.CLEAN if st.complete else Exit.INCOMPLETE))


def _say(bundle: Path, d: Discrepancy) -> None:
    detail = f": {d.detail}" if d.detail else ""
    typer.echo(f"cloudfw: evidence: {bundle / d.path}: {d.kind}{detail}", err=True)


@evidence_app.command("verify")
@handle_errors
def verify_cmd(
    bundle: Annotated[Path, typer.Argument(help="The bundle directory.")],
    pubkey: Annotated[
        list[Path] | None,
        typer.Option(
            "--pubkey",
            help="Trusted public key(s): OpenSSH .pub lines, PEM, or an allowed_signers file "
            "(repeatable). The bundle must then be signed by one of them.",
        ),
    ] = None,
) -> None:
    """Check every file against manifest.json and, with --pubkey, manifest.json against its
    signature. Exit 0 when intact (and signed by a trusted key); 1 naming each added, removed or
    edited file and a missing, foreign or non-matching signature; 2 when the directory is not a
    bundle or a key file cannot be read.

    \b
    Examples:
      cloudfw evidence verify evidence-q3 --pubkey evidence-key.pub
      cloudfw evidence verify evidence-q3 --pubkey allowed_signers
    """
    from cloudfw.evidence import verify_bundle
    from cloudfw.evidence.keys import TrustedKeys, load_trusted
    from cloudfw.evidence.verify import load_manifest, signature_key, verify_signature

    trusted = None
    if pubkey:
        sets = [load_trusted(p) for p in pubkey]
        trusted = TrustedKeys(tuple(k for s in sets for k in s.keys),
                              tuple(n for s in sets for n in s.notes))  # fmt: skip
        for note in trusted.notes:
            typer.echo(f"cloudfw: evidence: note: {note}", err=True)
    problems = verify_bundle(bundle)
    signer = None
    if trusted is not None:
        signer, bad = verify_signature(bundle, trusted, datetime.now(UTC))
        if bad is not None:
            problems.insert(0, bad)
    for d in problems:
        _say(bundle, d)
    if problems:
        raise typer.Exit(int(Exit.FINDINGS))
    digest = load_manifest(bundle).get("manifest_sha256")
    typer.echo(f"cloudfw: evidence: {bundle}: intact (manifest sha256 {digest})", err=True)
    if signer is not None:
        who = f"{signer.principals} " if signer.principals else ""
        typer.echo(f"cloudfw: evidence: {bundle}: signed by {who}{signer.key_type} "
                   f"{signer.fingerprint} (trusted: {signer.where})", err=True)  # fmt: skip
        return
    claimed = signature_key(bundle)
    typer.echo(
        f"cloudfw: evidence: {bundle}: "
        + (f"carries a signature by {claimed}, not checked: pass --pubkey to check it"
           if claimed else "not signed: its origin cannot be checked"),
        err=True,
    )  # fmt: skip

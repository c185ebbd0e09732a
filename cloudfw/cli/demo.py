"""`cloudfw demo`: a complete audit of local stand-ins. No credentials, no internet.

AWS comes from moto's server on 127.0.0.1, seeded from ``moto_fixtures/scenarios``; Azure and GCP
from recorded API responses served by the stand-ins in ``cloudfw/standins``; hosts from the
recorded agent snapshots in ``fixtures/hosts``. The same collectors and checks run as against real
clouds; only the endpoints differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cloudfw.cli.common import StderrProgress, exit_code, fail, handle_errors, write_output
from cloudfw.model import Severity, Snapshot
from cloudfw.model.report import Report
from cloudfw.providers.base import CollectOptions

DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "CLOUDFW_AZURE_TOKEN": "demo-token",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
# The recorded fixtures also hold a forbidden and a malformed subscription for the tests; the demo
# audits the one realistic subscription so that its run is complete.
DEMO_SUBSCRIPTION = "11111111-1111-4111-8111-111111111111"
DROP_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CLOUDFW_GCP_TOKEN")


@contextmanager
def _demo_env(endpoint: str, nfw_endpoint: str = "") -> Iterator[None]:
    """Point boto3 at moto (and Network Firewall at its stand-in) and make sure no real
    credential can be picked up."""
    saved = dict(os.environ)
    os.environ.update(DEMO_ENV)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    if nfw_endpoint:
        os.environ["AWS_ENDPOINT_URL_NETWORK_FIREWALL"] = nfw_endpoint
    for name in DROP_ENV:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _say(msg: str) -> None:
    typer.echo(f"demo: {msg}", err=True)


def _aws(scenarios: Path, progress: StderrProgress) -> Snapshot:
    from cloudfw.providers.aws import collect
    from cloudfw.standins import moto, nfw

    regions = sorted({sc.region for sc in moto.load_scenarios(scenarios)})
    server = moto.start()
    firewalls: nfw.NfwStandin | None = None
    try:
        _say(f"moto server on {server.endpoint}; seeding {scenarios} ({', '.join(regions)})")
        ids = moto.seed(server.endpoint, scenarios)
        firewalls = nfw.NfwStandin(nfw.seed(server.endpoint, scenarios, ids)).start()
        _say(f"Network Firewall stand-in on {firewalls.endpoint}")
        with _demo_env(server.endpoint, firewalls.endpoint):
            return collect(CollectOptions(regions=tuple(regions)), progress)
    finally:
        if firewalls is not None:
            firewalls.stop()
        server.stop()


def _azure(fixtures: Path, progress: StderrProgress) -> Snapshot:
    from cloudfw.providers.azure import collect
    from cloudfw.standins import arm

    server, url = arm.start(fixtures, faults=arm.Faults())
    try:
        _say(f"Azure ARM stand-in on {url} serving {fixtures} (subscription {DEMO_SUBSCRIPTION})")
        with _demo_env("http://127.0.0.1:9"):
            opts = CollectOptions(azure_endpoint=url, subscriptions=(DEMO_SUBSCRIPTION,))
            return collect(opts, progress)
    finally:
        arm.stop(server)


def _gcp(fixtures: Path, progress: StderrProgress) -> Snapshot:
    from cloudfw.providers.gcp import collect
    from cloudfw.standins import gce

    server, url = gce.start(fixtures)
    try:
        _say(f"GCP Compute stand-in on {url} serving {fixtures}")
        with _demo_env("http://127.0.0.1:9"):
            return collect(CollectOptions(gcp_endpoint=url), progress)
    finally:
        server.stop()


def _hosts(fixtures: Path, extra: tuple[Path, ...] = ()) -> Snapshot:
    from cloudfw.hosts.audit import load_snapshot

    # `large/` holds a 9,000-line kube-proxy ruleset for the tests and benchmarks
    paths = sorted(p for p in fixtures.iterdir() if p.name != "large") + sorted(extra)
    _say(f"host snapshots: {', '.join(p.name for p in paths)}")
    return load_snapshot(paths, datetime.now(UTC))


@handle_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for the reports.")] = Path(
        "reports"
    ),
    scenarios: Annotated[Path, typer.Option("--scenarios", help="moto scenario directory.")] = Path(
        "moto_fixtures/scenarios"
    ),
    fixtures: Annotated[
        Path, typer.Option("--fixtures", help="Recorded Azure/GCP/host fixtures.")
    ] = Path("fixtures"),
    baseline: Annotated[Path, typer.Option("--baseline", help="Demo baseline.")] = Path(
        "policies/demo-baseline.yaml"
    ),
    with_failure: Annotated[
        bool,
        typer.Option(
            "--with-failure",
            help="Also audit a recorded host whose collector could not read one source "
            "(fixtures/hosts-failure): the run is incomplete, and `cloudfw audit` exits 3.",
        ),
    ] = False,
) -> None:
    """Run a complete audit on local stand-ins and write the reports (no credentials needed).

    \b
    Run it from the cloudfw checkout (`make demo` does). It starts moto's server and the
    Azure/GCP stand-ins on 127.0.0.1, seeds them, collects with the real SDK clients, audits
    against policies/demo-baseline.yaml, prints the findings table, writes
    reports/demo-report.json and reports/demo-snapshot.json, and ends by saying which exit code
    `cloudfw audit` would give on this estate in CI, and why. The demo itself exits 0.

    \b
    Examples:
      cloudfw demo                   # complete: the audit would exit 1 (findings at fail_on)
      cloudfw demo --with-failure    # one unreadable host source: the audit would exit 3
    """
    from cloudfw.cli.runner import audit_snapshot, load_policy
    from cloudfw.export import render
    from cloudfw.snapshotio import write_snapshot

    for p in (scenarios, fixtures, baseline):
        if not p.exists():
            fail(f"{p}: not found (run `cloudfw demo` from the cloudfw checkout, or pass paths)")
    loaded = load_policy(baseline)
    progress = StderrProgress()
    snap = _aws(scenarios, progress)
    if (fixtures / "azure").is_dir():
        snap = snap.merge(_azure(fixtures / "azure", progress))
    if (fixtures / "gcp").is_dir():
        snap = snap.merge(_gcp(fixtures / "gcp", progress))
    failing = fixtures / "hosts-failure"
    if with_failure and not failing.is_dir():
        fail(f"{failing}: not found (the recorded host with a failed collection)")
    if (fixtures / "hosts").is_dir():
        snap = snap.merge(_hosts(fixtures / "hosts", (failing,) if with_failure else ()))
    report = audit_snapshot(snap, loaded, datetime.now(UTC))
    out.mkdir(parents=True, exist_ok=True)
    write_snapshot(snap, out / "demo-snapshot.json")
    write_output(render(report, "json"), out / "demo-report.json")
    _write_exports(_with_exposure(report, snap, out), out)
    write_output(render(report, "table"), None)
    _say(f"wrote {out / 'demo-report.json'} and {out / 'demo-snapshot.json'}")
    for line in exit_story(report, loaded.policy.fail_on, with_failure, out):
        _say(line)


def exit_story(report: Report, fail_on: Severity, with_failure: bool, out: Path) -> list[str]:
    """Which exit code `cloudfw audit` gives on this estate in CI, and why (README: Exit codes)."""
    code = exit_code(report, fail_on)
    gaps = [c for c in report.coverage if not c.ok]
    over = [f for f in report.findings if f.severity >= fail_on]
    cmd = f"cloudfw audit --snapshot {out / 'demo-snapshot.json'} -b policies/demo-baseline.yaml"
    lines = [f"in CI, `{cmd}` exits {int(code)}:"]
    if gaps:
        lines.append(
            f"  3 = incomplete: {len(gaps)} scope(s) could not be read ({gaps[0].scope}); an "
            "auditor never reports a partly read estate as clean, so 3 wins over 1"
        )
    elif over:
        lines.append(
            f"  1 = {len(over)} finding(s) at or above fail_on {fail_on.label} (the baseline's "
            "policy; --fail-on overrides it)"
        )
    else:
        lines.append(f"  0 = complete, nothing at or above fail_on {fail_on.label}")
    if not with_failure:
        lines.append(
            "  see exit 3: `cloudfw demo --with-failure` adds a host whose collector failed; "
            "2 is bad usage or input (`cloudfw audit --bogus`)"
        )
    return lines


def _with_exposure(report: Report, snap: Snapshot, out: Path) -> Report:
    """Effective exposure of every asset (reports/demo-exposure.json), shown in the HTML report."""
    import orjson

    from cloudfw.exposure import build_paths, effective_exposure
    from cloudfw.exposure.report import document, rows

    results = effective_exposure(build_paths(snap.rulesets))
    doc = document(results, snap.coverage, report.generated_at)
    write_output(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n",
                 out / "demo-exposure.json")  # fmt: skip
    reach = {r.path.asset.uid for r in results if r.reachable}
    _say(f"effective exposure: {len(reach)} of {len({r.path.asset.uid for r in results})} assets "
         f"reachable from the internet (reports/demo-exposure.json)")  # fmt: skip
    return replace(report, extra={**report.extra, "exposure": rows(results)})


def _write_exports(report: Report, out: Path) -> None:
    """reports/demo-report.{sarif,ocsf.json,csv,html,md,junit.xml} next to the JSON report."""
    from cloudfw.cli.runner import known_check_ids
    from cloudfw.export import render
    from cloudfw.export.junit import render_junit

    for fmt, suffix in (("sarif", "sarif"), ("ocsf", "ocsf.json"), ("csv", "csv"),
                        ("html", "html"), ("markdown", "md")):  # fmt: skip
        write_output(render(report, fmt), out / f"demo-report.{suffix}")
    write_output(render_junit(report, sorted(known_check_ids())), out / "demo-report.junit.xml")
    _say(f"wrote {out}/demo-report.{{sarif,ocsf.json,csv,html,md,junit.xml}}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

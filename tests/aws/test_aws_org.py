"""`--org` / `--role-arn`: an AWS organization read account by account through assumed roles,
on moto's server with IAM authorization enforced (see `org_support`): 20 readable members in
two regions, one closed account skipped, one member whose role the auditor may not assume."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_proxy import Proxy, ProxyState
from aws_support import ROOT
from dask_support import local_cluster
from org_support import (
    MANAGEMENT,
    MEMBER_ROLE,
    REGIONS,
    ROLE,
    Org,
    build,
    enforce_iam,
    member_role_actions,
)
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.providers.aws import collect
from cloudfw.providers.aws.assume import SESSIONS, Target
from cloudfw.providers.aws.org import discover
from cloudfw.providers.aws.scope import AwsScope
from cloudfw.providers.aws.session import ReadOnlyViolation, client_config, credentials_client
from cloudfw.providers.aws.tuning import AwsTuning
from cloudfw.providers.base import CollectError, CollectOptions, NullProgress
from cloudfw.standins import moto

_register_all()
pytestmark = pytest.mark.slow
REGION_ARGS = [a for r in REGIONS for a in ("--region", r)]


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    server = moto.start()
    built = build(server.endpoint)
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", built.auditor_key[0])
        mp.setenv("AWS_SECRET_ACCESS_KEY", built.auditor_key[1])
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_ENDPOINT_URL", server.endpoint)
        enforce_iam(server.endpoint, True)
        try:
            yield built
        finally:
            enforce_iam(server.endpoint, False)
            server.stop()


def _run(*args: str) -> tuple[int, dict[str, object], str]:
    res = CliRunner().invoke(app, [*args])
    assert isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, json.loads(res.stdout) if res.stdout.startswith("{") else {}, res.stderr


def _scopes(doc: dict[str, object]) -> dict[str, dict[str, object]]:
    return {c["scope"]: c for c in doc["coverage"]}  # type: ignore[attr-defined, index]


def test_org_audit_reads_every_active_member_and_names_the_refused_one(org: Org) -> None:
    code, doc, err = _run("audit", "--provider", "aws", "--org", *REGION_ARGS,
                          "--format", "json", "--no-store")  # fmt: skip
    assert code == 3, err
    cov = _scopes(doc)
    members = set(org.accounts) - {org.denied}
    assert len(members) >= 20
    want = {f"aws:{a}:{r}" for a in (*members, "123456789012") for r in REGIONS}
    assert {s for s, c in cov.items() if c["status"] == "ok"} == want
    bad = {s: c for s, c in cov.items() if c["status"] != "ok"}
    assert set(bad) == {f"aws:{org.denied}:{r}" for r in REGIONS}, bad
    for c in bad.values():
        assert "AssumeRole: AccessDenied" in str(c["reason"]), c
        assert f"{org.denied}" in str(c["reason"])
    assert not any(org.suspended in s for s in cov), "a closed account is skipped"
    assert any("not ACTIVE" in w and org.suspended in w for w in doc["warnings"])  # type: ignore[attr-defined]
    ssh = {f["account"] for f in doc["findings"]  # type: ignore[attr-defined]
           if f["check"].startswith("internet-ingress") and "ssh" in f["check"]}  # fmt: skip
    assert members <= ssh, "every member's open ssh group is found through its assumed role"


def _selected(**scope: object) -> set[str]:
    """The accounts `discover` picks from the organization (listing only, no region read)."""
    import boto3

    config = client_config(AwsTuning())
    found = discover(boto3.session.Session(), AwsScope(org=True, **scope), MANAGEMENT, config)  # type: ignore[arg-type]
    assert not found.error
    return {t.account for t in found.targets}


def test_ou_subtrees_and_globs_narrow_the_accounts(org: Org) -> None:
    prod = {a for a, ou in org.placed.items() if ou in ("prod", "prod-eu")} & set(org.accounts)
    assert _selected(ous=(org.ous["prod"],)) == prod, "the OU and its child OU"
    eu = {a for a, ou in org.placed.items() if ou == "prod-eu"} & set(org.accounts)
    assert eu and _selected(ous=(org.ous["prod-eu"],)) == eu
    everyone = set(org.accounts) | {MANAGEMENT}
    assert _selected() == everyone
    sandboxes = {a for a, n in org.accounts.items() if n.endswith("-sandbox")}
    assert sandboxes and _selected(exclude_accounts=("*-sandbox",)) == everyone - sandboxes
    picked = {a for a, n in org.accounts.items() if n.startswith("team-1")}
    assert picked and _selected(accounts=("team-1*",)) == picked
    one = next(iter(org.accounts))
    assert _selected(accounts=(one,)) == {one}, "an id glob"
    assert _selected(accounts=("team-1*",), exclude_accounts=(one, "team-10")) == (
        picked - {one} - {a for a, n in org.accounts.items() if n == "team-10"}
    )


def test_collect_narrowed_by_an_ou_reads_only_those_accounts(org: Org, tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    res = CliRunner().invoke(app, ["collect", "aws", "--org", "--ou", org.ous["prod-eu"],
                                   "--region", "eu-west-1", "--out", str(out)])  # fmt: skip
    eu = {a for a, ou in org.placed.items() if ou == "prod-eu"} & set(org.accounts)
    assert res.exit_code == (3 if org.denied in eu else 0), res.stderr
    scopes = {c["scope"] for c in json.loads(out.read_text())["coverage"]}
    assert scopes == {f"aws:{a}:eu-west-1" for a in eu}


def test_role_arn_reads_one_account(org: Org, tmp_path: Path) -> None:
    member = next(a for a in org.accounts if a != org.denied)
    out = tmp_path / "one.json"
    res = CliRunner().invoke(app, ["collect", "aws", "--role-arn",
                                   f"arn:aws:iam::{member}:role/{ROLE}", *REGION_ARGS,
                                   "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.stderr
    snap = json.loads(out.read_text())
    assert {c["scope"] for c in snap["coverage"]} == {f"aws:{member}:{r}" for r in REGIONS}
    assert {rs["asset"]["account"] for rs in snap["rulesets"]} == {member}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "--role-arn", "arn:aws:iam::1:role/x"], "exclude each other"),
        (["--ou", "ou-1"], "need --org"),
        (["--external-id", "x"], "--external-id needs"),
        (["--role-arn", "arn:aws:s3:::bucket"], "expected arn:aws:iam::ACCOUNT:role/NAME"),
    ],
)
def test_bad_scope_options_are_one_line_errors(org: Org, args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["collect", "aws", "--out", "/dev/null", *args])
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and message in lines[0], res.stderr


def test_clients_of_assumed_sessions_are_read_only(org: Org) -> None:
    member = next(a for a in org.accounts if a != org.denied)
    target = Target(member, f"arn:aws:iam::{member}:role/{ROLE}")
    config = client_config(AwsTuning())
    with SESSIONS.clients("read-only-test", target, None, "us-east-1", config, "ec2", "sts") as (
        ec2,
        sts,
    ):
        assert ec2.describe_security_groups()["SecurityGroups"]
        with pytest.raises(ReadOnlyViolation, match="ec2:CreateSecurityGroup"):
            ec2.create_security_group(GroupName="must-not-exist", Description="x")
        with pytest.raises(ReadOnlyViolation, match="sts:AssumeRole"):
            sts.assume_role(RoleArn=target.role_arn, RoleSessionName="x")
    with pytest.raises(CollectError, match="outside an account"):
        ec2.describe_security_groups()  # never with another account's keys
    import boto3

    creds = credentials_client(boto3.session.Session(), "us-east-1", config)
    with pytest.raises(ReadOnlyViolation, match="sts:DecodeAuthorizationMessage"):
        creds.decode_authorization_message(EncodedMessage="x")


def _assume_calls(org: Org, duration: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, object]:
    """AssumeRole calls of a two-region read of one account (through a recording proxy, with
    moto's enforcement off: the proxy re-signs nothing)."""
    member = next(a for a in org.accounts if a != org.denied)
    enforce_iam(org.endpoint, False)
    try:
        state = ProxyState(upstream=org.endpoint.removeprefix("http://"))
        with Proxy(state) as proxy:
            monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
            scope = AwsScope(role_arn=f"arn:aws:iam::{member}:role/{ROLE}", duration=duration)
            snap = collect(CollectOptions(regions=REGIONS, aws=scope), NullProgress())
    finally:
        enforce_iam(org.endpoint, True)
    assert snap.complete
    return sum(c.action == "AssumeRole" for c in state.calls), state


def test_role_credentials_are_refreshed_before_they_expire(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    once, _ = _assume_calls(org, 3600, monkeypatch)
    assert once == 1, "one AssumeRole serves both regions of the account"
    # 15 minutes (the shortest role session) is inside botocore's refresh window: every call
    # finds the credentials about to expire and assumes the role again first
    often, _ = _assume_calls(org, 900, monkeypatch)
    assert often > 2


def test_org_calls_are_those_the_policies_grant(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    enforce_iam(org.endpoint, False)
    try:
        state = ProxyState(upstream=org.endpoint.removeprefix("http://"), regions=REGIONS)
        with Proxy(state) as proxy:
            monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
            scope = AwsScope(org=True, ous=(org.ous["prod-eu"],))
            snap = collect(CollectOptions(aws=scope), NullProgress())  # regions listed too
    finally:
        enforce_iam(org.endpoint, True)
    assert len(snap.coverage) == 2 * len(set(org.accounts) & {
        a for a, ou in org.placed.items() if ou == "prod-eu"})  # fmt: skip
    made = {f"{c.service}:{c.action}" for c in state.calls}
    policies = ROOT / "policies" / "iam"
    granted = set()
    for name in ("aws-readonly.json", "aws-org-management.json"):
        for st in json.loads((policies / name).read_text())["Statement"]:
            granted |= set(st["Action"])
    assert "organizations:ListAccountsForParent" in made and "sts:AssumeRole" in made
    assert made <= granted, made - granted


# -- the same units on a Dask cluster -------------------------------------------------------------
STAMP = re.compile(rb'"generated_at": "[^"]*"')


def _report_bytes(*extra: str) -> tuple[int, bytes]:
    res = CliRunner().invoke(app, ["audit", "--provider", "aws", "--org", *REGION_ARGS,
                                   "--format", "json", "--no-store", *extra])  # fmt: skip
    assert isinstance(res.exception, SystemExit), res.exception
    out, n = STAMP.subn(b'"generated_at": "-"', res.stdout_bytes)
    assert n == 1
    return res.exit_code, out


@pytest.fixture(scope="module")
def here(org: Org) -> bytes:
    """The in-process report of the organization (exit 3: the denied member)."""
    code, report = _report_bytes()
    assert code == 3
    return report


def test_dask_cluster_gives_the_in_process_report_byte_for_byte(org: Org, here: bytes) -> None:
    with local_cluster(threads=4) as cluster:  # started after the fixture's env: inherited
        code_d, there = _report_bytes("--dask", cluster.scheduler_address)
    assert code_d == 3
    assert there == here
    assert f"aws:{org.denied}:eu-west-1".encode() in here


@pytest.mark.parametrize("allowed_failures", [3, 0])
def test_a_worker_killed_mid_run_leaves_a_complete_or_correctly_incomplete_report(
    org: Org, here: bytes, allowed_failures: int
) -> None:
    """Dask's default (3): the scheduler runs the lost units again elsewhere and the report is
    complete, byte for byte the in-process one. 0: the units the dead worker held fail for good
    (KilledWorker) and each one is a coverage entry saying so; the rest is as in-process."""
    expected = json.loads(here)
    config = {"distributed.scheduler.allowed-failures": allowed_failures}
    with local_cluster(threads=4, **config) as cluster:
        from distributed import Client

        got: dict[str, object] = {}
        runner = threading.Thread(
            target=lambda: got.update(r=_report_bytes("--dask", cluster.scheduler_address))
        )
        with Client(cluster.scheduler_address) as client:
            runner.start()
            victim = _busy_worker(client, runner)
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            runner.join(timeout=300)
            assert not runner.is_alive(), "the run ends after the worker is lost"
            assert victim not in client.scheduler_info()["workers"], "that worker was lost"
    code, there = got["r"]  # type: ignore[misc]
    doc = json.loads(there)
    lost = [c for c in doc["coverage"] if "KilledWorker" in str(c.get("reason"))]
    assert code == 3
    if allowed_failures:
        assert not lost and there == here
    else:
        assert lost, "at least the units the worker was running when it died"
    cov, want = _scopes(doc), _scopes(expected)
    assert set(cov) == set(want), "every account x region is in the report once"
    for scope, c in cov.items():
        if c["status"] == "ok":
            assert c == want[scope]
        elif scope not in {f"aws:{org.denied}:{r}" for r in REGIONS}:
            assert "KilledWorker" in str(c["reason"]), c  # correctly incomplete: says why
    ok = {s for s, c in cov.items() if c["status"] == "ok"}

    def findings(d: dict[str, object]) -> list[object]:
        return [f for f in d["findings"]  # type: ignore[attr-defined]
                if f"aws:{f['account']}:{f['region']}" in ok]  # fmt: skip

    assert findings(doc) == findings(expected)


def _busy_worker(client: object, runner: threading.Thread) -> str:
    """A worker that is running one of the units while others are still to come."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and runner.is_alive():
        busy = [w for w, keys in client.processing().items() if keys]  # type: ignore[attr-defined]
        if busy:
            return str(busy[0])
        time.sleep(0.02)
    raise AssertionError("no unit ever ran on the cluster")


def test_the_member_role_grants_what_the_collector_needs() -> None:
    """The StackSet template's role and the single-account policy grant the same collection
    actions (the org tests above run with the template's actions, under IAM enforcement)."""
    doc = json.loads((MEMBER_ROLE.parents[0] / "aws-readonly.json").read_text(encoding="utf-8"))
    collect = next(s for s in doc["Statement"] if s["Sid"] == "CloudfwCollectAwsReadOnly")
    assert sorted(member_role_actions()) == sorted(collect["Action"])
